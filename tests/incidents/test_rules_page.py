"""The portal's assignment rules page (/portal/rules/): only the supplier's admins get it.

ivy is Initech's admin, carol an Initech responder, dave Umbrella's responder, alice a buyer.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import RoutingRule, Severity
from suppliers.models import Membership
from suppliers.services import membership_remove
from tests.factories import SupplierMembershipFactory, defect_category

pytestmark = pytest.mark.django_db

RULES = "/portal/rules/"


@pytest.fixture
def admin_client(client, ivy):
    client.force_login(ivy)
    return client


def add_rule(ivy, initech, *assignees, name="Defects", **conditions) -> RoutingRule:
    return services.routing_rule_save(
        actor=ivy, supplier=initech, name=name, assignees=list(assignees), **conditions
    )


def order() -> list[str]:
    return list(RoutingRule.objects.order_by("position", "pk").values_list("name", flat=True))


# --- Who gets in ---------------------------------------------------------------------------------


def test_the_supplier_s_admin_gets_the_page_in_the_portal_nav(admin_client):
    response = admin_client.get(RULES)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/portal/rules/" aria-current="page"' in html
    assert 'href="/portal/team/"' in html


@pytest.mark.parametrize("role", [Membership.Role.RESPONDER, Membership.Role.VIEWER])
def test_other_staff_get_403_and_no_link(client, initech, role):
    staff = SupplierMembershipFactory(supplier=initech, role=role).user
    client.force_login(staff)
    assert client.get(RULES).status_code == 403
    assert "/portal/rules/" not in client.get("/portal/").content.decode()


def test_buyers_get_403_and_visitors_are_sent_to_login(client, alice):
    assert client.get(RULES).status_code == 302
    client.force_login(alice)
    assert client.get(RULES).status_code == 403


def test_another_supplier_s_rule_is_a_404_to_its_admin(client, ivy, initech, carol, umbrella):
    rule = add_rule(ivy, initech, carol)
    other_admin = SupplierMembershipFactory(supplier=umbrella, role=Membership.Role.ADMIN).user
    client.force_login(other_admin)
    assert client.get(f"{RULES}{rule.pk}/").status_code == 404
    assert client.post(f"{RULES}{rule.pk}/delete/").status_code == 404
    assert client.post(f"{RULES}{rule.pk}/move/", {"direction": "down"}).status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk).exists()
    assert "Defects" not in client.get(RULES).content.decode()


# --- Add, edit, delete, reorder --------------------------------------------------------------


def test_an_admin_adds_a_rule(admin_client, carol, ivy):
    response = admin_client.post(
        RULES,
        {
            "name": "Critical defects",
            "category": defect_category().pk,
            "severity_match": "exactly",
            "severity": str(Severity.CRITICAL),
            "sku_prefix": "hx",
            "lot_prefix": "",
            "source": "buyer",
            "assignees": [carol.pk, ivy.pk],
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.severity, rule.severity_match, rule.sku_prefix, rule.source) == (
        "Critical defects",
        Severity.CRITICAL,
        "exactly",
        "HX",
        "buyer",
    )
    assert set(rule.assignees.all()) == {carol, ivy}


def test_the_form_offers_no_viewer_and_refuses_one_naming_the_field(admin_client, initech, carol):
    viewer = SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user
    page = admin_client.get(RULES)
    assert viewer not in page.context["form"].fields["assignees"].queryset
    response = admin_client.post(RULES, {"name": "R", "assignees": [viewer.pk]})
    assert response.status_code == 400
    assert "viewers only read" in response.context["form"].errors["assignees"][0]
    response = admin_client.post(RULES, {"name": "R"})
    assert response.status_code == 400
    assert response.context["form"].errors["assignees"]
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("assignee", ["9" * 25, "0", "-3"])
def test_a_colleague_who_could_be_no_row_is_refused_naming_the_field(admin_client, assignee):
    response = admin_client.post(RULES, {"name": "R", "assignees": [assignee]})
    assert response.status_code == 400
    assert response.context["form"].errors["assignees"]
    assert not RoutingRule.objects.exists()


def test_an_admin_edits_a_rule(admin_client, ivy, initech, carol):
    rule = add_rule(ivy, initech, carol)
    page = admin_client.get(f"{RULES}{rule.pk}/")
    assert page.status_code == 200
    assert page.context["form"].initial["assignees"] == [carol.pk]
    response = admin_client.post(
        f"{RULES}{rule.pk}/", {"name": "Lots", "lot_prefix": "L-9", "assignees": [ivy.pk]}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.lot_prefix, list(rule.assignees.all())) == ("Lots", "L-9", [ivy])


def test_an_admin_deletes_a_rule(admin_client, ivy, initech, carol):
    rule = add_rule(ivy, initech, carol)
    assert admin_client.get(f"{RULES}{rule.pk}/delete/").status_code == 405
    assert admin_client.post(f"{RULES}{rule.pk}/delete/").status_code == 302
    assert not RoutingRule.objects.exists()


def test_an_admin_reorders_the_rules(admin_client, ivy, initech, carol):
    add_rule(ivy, initech, carol, name="a")
    second = add_rule(ivy, initech, carol, name="b")
    response = admin_client.post(f"{RULES}{second.pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert order() == ["b", "a"]
    admin_client.post(f"{RULES}{second.pk}/move/", {"direction": "down"})
    assert order() == ["a", "b"]


# --- Flags ---------------------------------------------------------------------------------------


def test_a_rule_naming_a_colleague_who_left_is_flagged(admin_client, ivy, initech, carol):
    add_rule(ivy, initech, carol, ivy, name="Group")
    add_rule(ivy, initech, carol, name="Carol only")
    membership_remove(membership=carol.membership, actor=ivy)
    rows = {row.rule.name: row for row in admin_client.get(RULES).context["rows"]}
    assert rows["Group"].inactive == [carol] and not rows["Group"].is_skipped
    assert rows["Carol only"].is_skipped
    html = admin_client.get(RULES).content.decode()
    assert "skipped: nobody it names may act" in html
    assert "names colleagues who may no longer act" in html


def test_the_rules_page_costs_the_same_queries_for_one_or_many_rules(
    admin_client, ivy, initech, carol
):
    add_rule(ivy, initech, carol)
    with CaptureQueriesContext(connection) as one:
        admin_client.get(RULES)
    for n in range(5):
        add_rule(ivy, initech, carol, ivy, name=f"r{n}", category=defect_category())
    with CaptureQueriesContext(connection) as many:
        admin_client.get(RULES)
    assert len(many) == len(one)
