"""A supplier admin writes an assignment rule in a real browser; screenshots of the rules page."""

from __future__ import annotations

import pytest

from incidents.models import RoutingRule
from suppliers.models import Membership
from suppliers.services import membership_remove
from tests.factories import RoutingRuleFactory, SupplierMembershipFactory, defect_category

from .conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_a_rule_from_the_portal_nav(page, ivy, carol, screenshot):
    defect_category()
    login(page, "ivy@initech.test")
    page.goto("/portal/")
    page.get_by_role("link", name="Assignment rules").click()
    page.get_by_label("Name").fill("Critical defects to Carol")
    page.get_by_label("Category").select_option(label="Defect / nonconformance")
    page.get_by_label("Severity", exact=True).select_option(label="at least")
    page.get_by_label("Severity level").select_option(label="High")
    page.get_by_label("Carol Carter").check()
    page.get_by_role("button", name="Add rule").click()
    page.get_by_text("Rule \u201cCritical defects to Carol\u201d added.").wait_for()
    screenshot(page, "rule-added")

    rule = RoutingRule.objects.get()
    assert (rule.severity, list(rule.assignees.all())) == (3, [carol])


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_of_the_rules_page(new_page, ivy, carol, initech, device, screenshot):
    """Rules in order, one flagged because it names a colleague who left."""
    responder = SupplierMembershipFactory(
        supplier=initech, user__first_name="Rita", role=Membership.Role.RESPONDER
    ).user
    RoutingRuleFactory(
        supplier=initech,
        name="Critical defects",
        category=defect_category(),
        severity=4,
        assignees=[carol],
    )
    RoutingRuleFactory(supplier=initech, name="Lot L-26", lot_prefix="L-26", assignees=[responder])
    RoutingRuleFactory(supplier=initech, name="Everything else", assignees=[carol, responder, ivy])
    membership_remove(membership=carol.membership, actor=ivy)
    page = new_page(viewport=PHONE if device == "phone" else None)
    login(page, "ivy@initech.test")
    response = page.goto("/portal/rules/")
    assert response.status == 200
    assert page.get_by_text("skipped: nobody it names may act").is_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the rules page is {overflow}px wider than the screen"
    screenshot(page, "rules")
