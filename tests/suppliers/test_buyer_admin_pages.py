"""A buyer organization's admin pages: its team (invite, roles, remove: the supplier team's
services, for an organization) and its vendor codes.

ada is Acme's admin; alice an Acme member; bob is at Globex; ivy is Initech's admin.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from suppliers.models import Invitation, Membership, User, VendorCode
from suppliers.services import membership_invite, membership_remove, membership_set_role
from supplierwatch.errors import ApplicationError
from tests.factories import BuyerMembershipFactory, SupplierFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-42"


@pytest.fixture
def ada(acme) -> User:
    return BuyerMembershipFactory(
        user__email="ada@acme.test",
        user__first_name="Ada",
        organization=acme,
        role=Membership.Role.ADMIN,
    ).user


def test_a_buyer_admin_sees_the_team_and_its_invite_form(client, ada, alice):
    client.force_login(ada)
    page = client.get(reverse("buyer-team")).content.decode()
    assert "alice@acme.test" in page
    assert 'value="member"' in page and 'value="responder"' not in page


def test_members_and_other_parties_cannot_open_the_buyer_admin_pages(client, alice, ivy):
    client.force_login(alice)
    assert client.get(reverse("buyer-team")).status_code == 403
    assert client.get(reverse("buyer-vendor-codes")).status_code == 403
    client.force_login(ivy)
    assert client.get(reverse("buyer-vendor-codes")).status_code == 403


def test_each_kind_of_admin_is_sent_to_its_own_team_page(client, ada, ivy):
    client.force_login(ada)
    assert client.get(reverse("team"))["Location"] == reverse("buyer-team")
    client.force_login(ivy)
    assert client.get(reverse("buyer-team"))["Location"] == reverse("team")


def test_a_buyer_admin_invites_a_colleague_who_joins_the_organization(
    client, ada, acme, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("team-invite"), {"email": "nick@acme.test", "role": "member"}
        )
    assert response["Location"] == reverse("buyer-team")
    assert Invitation.objects.get().organization == acme
    (message,) = mail.outbox
    assert "Acme" in message.body and "logs quality problems" in message.body
    path = re.search(r"https?://[^/\s]+(/portal/team/join/\S+/)", message.body).group(1)
    client.logout()
    client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    joined = User.objects.get(email="nick@acme.test").membership
    assert (joined.organization, joined.role) == (acme, "member")


def test_a_supplier_role_is_refused_for_an_organization(ada, acme):
    with pytest.raises(ApplicationError, match="member or admin"):
        membership_invite(organization=acme, invited_by=ada, email="x@acme.test", role="responder")


def test_a_supplier_admin_cannot_invite_to_an_organization(ivy, acme):
    with pytest.raises(ApplicationError):
        membership_invite(organization=acme, invited_by=ivy, email="x@acme.test", role="member")


def test_a_buyer_admin_sets_roles_and_removes_but_keeps_an_admin(client, ada, alice):
    membership_set_role(membership=alice.membership, role="admin", actor=ada)
    alice = User.objects.get(pk=alice.pk)  # as her next request sees her
    assert alice.membership.role == "admin"
    membership_set_role(membership=ada.membership, role="member", actor=alice)
    with pytest.raises(ApplicationError, match="only admin"):
        membership_set_role(membership=alice.membership, role="member", actor=alice)
    client.force_login(alice)
    response = client.post(reverse("team-remove", args=[ada.membership.pk]))
    assert response["Location"] == reverse("buyer-team")
    assert not User.objects.get(pk=ada.pk).is_active


def test_another_organizations_member_is_a_404(client, ada, bob):
    client.force_login(ada)
    assert client.post(reverse("team-remove", args=[bob.membership.pk])).status_code == 404
    with pytest.raises(ApplicationError):
        membership_remove(membership=bob.membership, actor=ada)


def test_a_buyer_admin_adds_and_removes_a_vendor_code(client, ada, acme, initech):
    client.force_login(ada)
    response = client.post(
        reverse("buyer-vendor-codes"), {"code": "  V  77 ", "name": "Initech Components"}
    )
    assert response["Location"] == reverse("buyer-vendor-codes")
    code = VendorCode.objects.get(organization=acme)
    assert (code.code, code.supplier) == ("V 77", initech)
    client.post(reverse("buyer-vendor-code-remove", args=[code.pk]))
    assert not VendorCode.objects.exists()


def test_a_bad_vendor_code_is_refused_beside_its_field(client, ada):
    client.force_login(ada)
    response = client.post(reverse("buyer-vendor-codes"), {"code": "x" * 64, "name": "\x00"})
    assert response.status_code == 400
    assert not VendorCode.objects.exists()


def test_another_organizations_vendor_code_is_a_404(client, ada, globex):
    code = VendorCode.objects.create(organization=globex, supplier=SupplierFactory(), code="G1")
    client.force_login(ada)
    assert client.post(reverse("buyer-vendor-code-remove", args=[code.pk])).status_code == 404
    assert VendorCode.objects.filter(pk=code.pk).exists()


# --- fixed query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["buyer-team", "buyer-vendor-codes"])
def test_the_buyer_admin_pages_cost_the_same_for_few_or_many_rows(
    client, ada, acme, url_name, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import VendorCodeFactory

    client.force_login(ada)
    client.get(reverse(url_name))
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for n in range(20):
        BuyerMembershipFactory(organization=acme)
        Invitation.objects.create(organization=acme, email=f"invited{n}@acme.test", role="member")
        VendorCodeFactory(organization=acme, supplier=SupplierFactory(), code=f"V-{n:03}")
    with django_assert_max_num_queries(len(few)):
        page = client.get(reverse(url_name)).content.decode()
    assert "invited19@acme.test" in page or "V-019" in page
