"""Aliases: what one may be (suppliers.inputs.clean_alias), who makes one active, and what an
operator's review does to matching (suppliers.services.aliases)."""

from __future__ import annotations

import pytest

from incidents import engines, matching
from suppliers import inputs, services
from suppliers.models import SupplierAlias
from suppliers.selectors import alias_version
from supplierwatch.errors import ApplicationError
from supplierwatch.inputs import InputError
from tests.factories import SupplierAliasFactory, VendorCodeFactory

# --- the rule (no database) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("alias", "the"),
        ("alias", "The"),
        ("alias", "of the"),
        ("product", "new"),
        ("alias", "X"),
        ("handle", "@a"),
        ("hashtag", "#fail"),
        ("hashtag", "delivery"),  # the '#' is added, then judged
        ("hashtag", "#Late"),
    ],
)
def test_an_alias_that_would_match_everyday_text_is_refused(kind, text):
    with pytest.raises(InputError) as refused:
        inputs.clean_alias(kind, text, "text")
    assert refused.value.field == "text"


@pytest.mark.parametrize(
    ("kind", "text", "cleaned"),
    [
        ("alias", "United", "United"),  # an ordinary word the matcher weighs as ambiguous
        ("alias", "Delta", "Delta"),
        ("alias", "VX", "VX"),  # an airline's code
        ("alias", "US Airways", "US Airways"),
        ("alias", "Jet Blue", "Jet Blue"),
        ("hashtag", "AcmeFail", "#AcmeFail"),
        ("handle", "@united", "@united"),  # one account, whatever the word
        ("domain", "https://initech.example/", "initech.example"),
        ("name", "3M", "3M"),  # a name alias is the supplier's name: its record's rule
    ],
)
def test_names_and_codes_that_name_a_supplier_are_allowed(kind, text, cleaned):
    assert inputs.clean_alias(kind, text, "text") == cleaned


def test_an_alias_that_names_another_supplier_is_refused_with_its_name():
    with pytest.raises(InputError) as refused:
        inputs.clean_alias("alias", "Umbrella", names_other_supplier=lambda text: "Umbrella Co")
    assert "Umbrella Co" in refused.value.message


def test_a_hashtag_is_refused_as_generic_where_the_matcher_would_call_its_word_common():
    assert inputs.GENERIC_HASHTAG_ZIPF == matching.COMMON_WORD_ZIPF


# --- who makes an alias active -----------------------------------------------------------------


@pytest.mark.django_db
def test_supplier_staffs_alias_is_active_at_once(carol, initech):
    alias, created = services.supplier_alias_add(
        actor=carol, supplier=initech, kind="hashtag", text="#InitechRecall"
    )
    assert created
    assert alias.state == SupplierAlias.State.ACTIVE
    assert alias.proposed_by is None


@pytest.mark.django_db
def test_supplier_staff_cannot_add_to_another_supplier(carol, umbrella):
    with pytest.raises(ApplicationError) as refused:
        services.supplier_alias_add(
            actor=carol, supplier=umbrella, kind="hashtag", text="#UmbrellaRecall"
        )
    assert refused.value.code == "permission_denied"


@pytest.mark.django_db
@pytest.mark.parametrize("reviewer", ["bob", "carol"])
def test_only_operators_approve_or_reject(request, bob, globex, initech, reviewer):
    VendorCodeFactory(organization=globex, supplier=initech, code="G-1")
    alias, _ = services.supplier_alias_add(
        actor=bob, supplier=initech, kind="hashtag", text="#InitechRecall"
    )
    actor = request.getfixturevalue(reviewer)
    for review in (services.supplier_alias_approve, services.supplier_alias_reject):
        with pytest.raises(ApplicationError) as refused:
            review(alias=alias, actor=actor)
        assert refused.value.code == "permission_denied"
    alias.refresh_from_db()
    assert alias.state == SupplierAlias.State.PROPOSED


@pytest.mark.django_db
def test_a_proposal_leaves_the_matcher_alone_and_an_approval_rebuilds_it(
    bob, globex, initech, operator
):
    VendorCodeFactory(organization=globex, supplier=initech, code="G-1")
    before = alias_version()
    alias, _ = services.supplier_alias_add(
        actor=bob, supplier=initech, kind="hashtag", text="#InitechRecall"
    )
    assert alias_version() == before
    assert engines.get_matcher().match("Again #InitechRecall") == []

    services.supplier_alias_approve(alias=alias, actor=operator)
    assert alias_version() != before
    [found] = engines.get_matcher().match("Again #InitechRecall")
    assert found.supplier_id == initech.pk
    alias.refresh_from_db()
    assert (alias.reviewed_by, alias.proposed_by) == (operator, globex)

    services.supplier_alias_reject(alias=alias, actor=operator)
    assert engines.get_matcher().match("Again #InitechRecall") == []


@pytest.mark.django_db
def test_approving_one_proposal_serves_every_organization_that_proposed_it(
    alice, bob, acme, globex, initech, operator
):
    VendorCodeFactory(organization=acme, supplier=initech, code="A-1")
    VendorCodeFactory(organization=globex, supplier=initech, code="G-1")
    acmes, _ = services.supplier_alias_add(
        actor=alice, supplier=initech, kind="hashtag", text="#InitechRecall"
    )
    globexs, _ = services.supplier_alias_add(
        actor=bob, supplier=initech, kind="hashtag", text="#initechrecall"
    )
    assert acmes.pk != globexs.pk

    services.supplier_alias_approve(alias=globexs, actor=operator)
    assert list(initech.aliases.values_list("text", "state")) == [("#initechrecall", "active")]
    again, created = services.supplier_alias_add(
        actor=alice, supplier=initech, kind="hashtag", text="#InitechRecall"
    )
    assert (again.pk, created) == (globexs.pk, False)


@pytest.mark.django_db
def test_an_approval_is_refused_when_another_supplier_took_the_alias_meanwhile(
    bob, globex, initech, umbrella, operator
):
    VendorCodeFactory(organization=globex, supplier=initech, code="G-1")
    alias, _ = services.supplier_alias_add(
        actor=bob, supplier=initech, kind="hashtag", text="#CrushedBoxes"
    )
    SupplierAliasFactory(supplier=umbrella, kind="hashtag", text="#CrushedBoxes")
    with pytest.raises(InputError) as refused:
        services.supplier_alias_approve(alias=alias, actor=operator)
    assert "Umbrella Packaging" in refused.value.message
    alias.refresh_from_db()
    assert alias.state == SupplierAlias.State.PROPOSED


@pytest.mark.django_db
def test_an_import_makes_the_aliases_it_lists_active_and_leaves_other_proposals(
    bob, globex, initech, operator
):
    VendorCodeFactory(organization=globex, supplier=initech, code="G-1")
    for text in ("#InitechRecall", "#InitechLate"):
        services.supplier_alias_add(actor=bob, supplier=initech, kind="hashtag", text=text)
    services.suppliers_import(
        records=[{"name": "Initech Components", "hashtags": ["#initechrecall"]}], prune=True
    )
    assert set(initech.aliases.values_list("text", "state")) == {
        ("Initech Components", "active"),
        ("#initechrecall", "active"),
        ("#InitechLate", "proposed"),
    }


@pytest.mark.django_db
def test_the_supplier_page_shows_an_organization_its_own_proposals_only(
    client, alice, bob, globex, initech
):
    SupplierAliasFactory(supplier=initech, kind="handle", text="@InitechParts")
    SupplierAliasFactory(
        supplier=initech,
        kind="hashtag",
        text="#InitechRecall",
        state="proposed",
        proposed_by=globex,
    )
    client.force_login(bob)
    page = client.get("/suppliers/initech-components/").content.decode()
    assert "@InitechParts" in page
    assert "#InitechRecall (proposed for matching)" in page
    client.force_login(alice)
    page = client.get("/suppliers/initech-components/").content.decode()
    assert "@InitechParts" in page
    assert "#InitechRecall" not in page
