"""Invariants the database itself enforces, on SQLite and PostgreSQL alike.

Each violation runs inside its own transaction.atomic() block, so the test database stays usable
after the IntegrityError and the test can go on to show what *is* allowed.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction

from incidents.models import Incident, Post, PostMatch, Response
from suppliers.models import Membership, Supplier, SupplierAlias, User, VendorCode
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    OrganizationFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierAliasFactory,
    SupplierFactory,
    UserFactory,
    VendorCodeFactory,
)

pytestmark = pytest.mark.django_db


# --- Membership: exactly one party, with a role of that party ---------------------------------

VALID_MEMBERSHIPS = [
    ("organization", "member"),
    ("organization", "admin"),
    ("supplier", "viewer"),
    ("supplier", "responder"),
    ("supplier", "admin"),
]
INVALID_MEMBERSHIPS = [
    ("neither", "member"),
    ("neither", "admin"),
    ("both", "admin"),
    ("both", "member"),
    ("organization", "viewer"),
    ("organization", "responder"),
    ("supplier", "member"),
    ("organization", ""),
    ("supplier", "owner"),
]


def _membership(party: str, role: str) -> Membership:
    organization = OrganizationFactory() if party in ("organization", "both") else None
    supplier = SupplierFactory() if party in ("supplier", "both") else None
    return Membership(user=UserFactory(), organization=organization, supplier=supplier, role=role)


@pytest.mark.parametrize(("party", "role"), VALID_MEMBERSHIPS)
def test_membership_allows_one_party_with_its_own_role(party, role):
    membership = _membership(party, role)
    membership.save()
    assert Membership.objects.filter(pk=membership.pk, role=role).exists()


@pytest.mark.parametrize(("party", "role"), INVALID_MEMBERSHIPS)
def test_membership_rejects_wrong_party_or_role(party, role):
    membership = _membership(party, role)
    with pytest.raises(IntegrityError), transaction.atomic():
        membership.save()
    assert not Membership.objects.exists()


def test_user_has_at_most_one_membership(acme, globex):
    user = UserFactory()
    Membership.objects.create(user=user, organization=acme, role="member")
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, organization=globex, role="member")
    assert Membership.objects.get(user=user).organization == acme


# --- Users log in with their e-mail address, whatever its case -------------------------------


def test_email_is_stored_lower_cased():
    user = User.objects.create_user("Alice.Smith@ACME.Test", password="pw")
    assert user.email == "alice.smith@acme.test"


def test_email_is_unique():
    User.objects.create_user("alice@acme.test", password="pw")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("alice@acme.test", password="other")
    assert User.objects.filter(email="alice@acme.test").count() == 1


def test_email_is_unique_whatever_its_case():
    """create_user lower-cases the address; a second account that differs only in case must be
    refused too, whichever path created it, or get_by_natural_key (email__iexact) finds two."""
    User.objects.create_user("alice@acme.test", password="pw")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ALICE@acme.test")


def signing_in(rf):
    """The request a login arrives with: the lockout check (django-axes) counts per client."""
    return rf.post("/accounts/login/")


def test_two_accounts_differing_in_case_cannot_break_login(rf):
    alice = User.objects.create_user("alice@acme.test", password="pw")
    try:
        with transaction.atomic():
            User.objects.create(email="Alice@Acme.test")
    except IntegrityError:
        pass
    assert authenticate(signing_in(rf), email="alice@acme.test", password="pw") == alice


@pytest.mark.parametrize("typed", ["alice@acme.test", "ALICE@ACME.TEST", "Alice@Acme.Test"])
def test_login_by_email_ignores_case(rf, typed):
    alice = User.objects.create_user("alice@acme.test", password="pw")
    assert User.objects.get_by_natural_key(typed) == alice
    assert authenticate(signing_in(rf), email=typed, password="pw") == alice
    assert authenticate(signing_in(rf), username=typed, password="pw") == alice


def test_login_refuses_wrong_password_and_unknown_address(rf):
    User.objects.create_user("alice@acme.test", password="pw")
    assert authenticate(signing_in(rf), email="alice@acme.test", password="wrong") is None
    assert authenticate(signing_in(rf), email="nobody@acme.test", password="pw") is None


def test_user_needs_an_email_address():
    with pytest.raises(ValueError, match="e-mail"):
        User.objects.create_user("", password="pw")


# --- Suppliers, aliases, vendor codes ---------------------------------------------------------


def test_supplier_name_is_unique_whatever_its_case():
    SupplierFactory(name="Initech Components", slug="initech-components")
    with pytest.raises(IntegrityError), transaction.atomic():
        Supplier.objects.create(name="INITECH components", slug="initech-2")
    assert Supplier.objects.count() == 1


def test_alias_is_unique_per_supplier_and_kind_whatever_its_case(initech, umbrella):
    SupplierAliasFactory(supplier=initech, kind="alias", text="Initech")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierAlias.objects.create(supplier=initech, kind="alias", text="INITECH")
    # The same text is fine for another supplier, or as another kind.
    SupplierAliasFactory(supplier=umbrella, kind="alias", text="Initech")
    SupplierAliasFactory(supplier=initech, kind="name", text="Initech")
    assert SupplierAlias.objects.filter(text__iexact="initech").count() == 3


def test_vendor_code_is_unique_per_organization(acme, globex, initech, umbrella):
    VendorCodeFactory(organization=acme, supplier=initech, code="V100")
    with pytest.raises(IntegrityError), transaction.atomic():
        VendorCode.objects.create(organization=acme, supplier=umbrella, code="V100")
    # Another organization's ERP may use the same number for a different supplier.
    VendorCodeFactory(organization=globex, supplier=umbrella, code="V100")
    assert VendorCode.objects.filter(code="V100").count() == 2


# --- Posts ------------------------------------------------------------------------------------


def test_post_source_and_external_id_are_unique():
    PublicPostFactory(source="twitter", external_id="123")
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicPostFactory(source="twitter", external_id="123")
    PublicPostFactory(source="reddit", external_id="123")
    assert Post.objects.filter(external_id="123").count() == 2


@pytest.mark.parametrize("visibility", ["private", "anonymous", "named"])
def test_buyer_post_with_organization_and_supplier_is_valid(visibility):
    post = BuyerPostFactory(visibility=visibility)
    assert post.is_buyer_post


def test_public_post_without_organization_is_valid():
    post = PublicPostFactory()
    assert not post.is_buyer_post


BAD_POST_SHAPES = {
    "buyer post without organization": (BuyerPostFactory, {"organization": None}),
    "buyer post without supplier": (BuyerPostFactory, {"supplier": None}),
    "buyer post made public": (BuyerPostFactory, {"visibility": "public"}),
    "buyer post from a feed": (BuyerPostFactory, {"source": "twitter"}),
    "public post of an organization": (PublicPostFactory, {"organization": "acme"}),
    "public post not public": (PublicPostFactory, {"visibility": "anonymous"}),
    "public post marked private": (PublicPostFactory, {"visibility": "private"}),
    "public post claiming to be a buyer's": (PublicPostFactory, {"source": "buyer"}),
}


@pytest.mark.parametrize("shape", BAD_POST_SHAPES)
def test_post_shape_is_buyer_or_public(shape, acme, alice):
    factory_class, overrides = BAD_POST_SHAPES[shape]
    overrides = {key: acme if value == "acme" else value for key, value in overrides.items()}
    with pytest.raises(IntegrityError), transaction.atomic():
        factory_class(external_id="bad-shape", author=alice, **overrides)
    assert not Post.objects.filter(external_id="bad-shape").exists()


# --- Matches ----------------------------------------------------------------------------------


def test_a_post_has_one_primary_match_at_most(initech, umbrella):
    post = PublicPostFactory()
    PostMatchFactory(post=post, supplier=initech, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostMatchFactory(post=post, supplier=umbrella, is_primary=True)
    PostMatchFactory(post=post, supplier=umbrella, is_primary=False)
    assert PostMatch.objects.filter(post=post).count() == 2


def test_a_post_matches_a_supplier_once(initech):
    post = PublicPostFactory()
    PostMatchFactory(post=post, supplier=initech, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostMatchFactory(post=post, supplier=initech, is_primary=False)
    assert PostMatch.objects.filter(post=post).count() == 1


# --- Incidents --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", Incident.OPEN_STATUSES)
def test_only_one_open_incident_per_supplier_and_fingerprint(initech, status):
    IncidentFactory(supplier=initech, fingerprint="initech:defect:L7", status="new")
    with pytest.raises(IntegrityError), transaction.atomic():
        IncidentFactory(supplier=initech, fingerprint="initech:defect:L7", status=status)
    assert Incident.objects.filter(fingerprint="initech:defect:L7").count() == 1


@pytest.mark.parametrize("closed_status", ["resolved", "closed"])
def test_resolved_incident_does_not_block_a_new_one_with_its_fingerprint(initech, closed_status):
    IncidentFactory(supplier=initech, fingerprint="initech:defect:L7", status=closed_status)
    IncidentFactory(supplier=initech, fingerprint="initech:defect:L7", status=closed_status)
    IncidentFactory(supplier=initech, fingerprint="initech:defect:L7", status="new")
    assert Incident.objects.filter(fingerprint="initech:defect:L7").count() == 3


def test_same_fingerprint_may_be_open_for_two_suppliers(initech, umbrella):
    IncidentFactory(supplier=initech, fingerprint="defect")
    IncidentFactory(supplier=umbrella, fingerprint="defect")
    assert Incident.objects.open().filter(fingerprint="defect").count() == 2


def test_reopening_a_resolved_incident_is_refused_while_another_is_open(initech):
    resolved = IncidentFactory(supplier=initech, fingerprint="fp", status="resolved")
    IncidentFactory(supplier=initech, fingerprint="fp", status="new")
    resolved.status = Incident.Status.REOPENED
    with pytest.raises(IntegrityError), transaction.atomic():
        resolved.save()


# --- Responses --------------------------------------------------------------------------------


def test_private_response_needs_an_organization(acme):
    incident = IncidentFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(incident=incident, body="x", visibility="organization")
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(incident=incident, body="x", visibility="public", organization=acme)
    Response.objects.create(
        incident=incident, body="ok", visibility="organization", organization=acme
    )
    Response.objects.create(incident=incident, body="ok", visibility="public")
    assert incident.responses.count() == 2
