"""A supplier admin sets its working calendar and a faster promise in a real browser; a buyer reads
the promise on the supplier's page. Screenshots of both pages."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Severity, SlaPolicy, WorkCalendar

from .conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def default_policy(operator) -> None:
    """The default policy (a transactional test's flush removed the migration's rows)."""
    for severity, (first, resolution, business) in {
        Severity.CRITICAL: (4, 72, False),
        Severity.HIGH: (16, 80, True),
        Severity.MEDIUM: (72, 336, False),
        Severity.LOW: (120, 720, False),
    }.items():
        services.sla_default_policy_save(
            actor=operator,
            severity=severity,
            first_answer_hours=first,
            resolution_hours=resolution,
            business_hours_only=business,
        )


def test_an_admin_sets_calendar_and_promise_and_a_buyer_reads_it(
    new_page, default_policy, ivy, alice, initech, screenshot
):
    page = new_page()
    login(page, "ivy@initech.test")
    page.goto("/portal/")
    page.get_by_role("link", name="Working hours & SLA").click()

    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_role("button", name="Save calendar").click()
    page.get_by_text("Not a time zone of the IANA database").wait_for()
    assert not WorkCalendar.objects.exists()

    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Country of public holidays").fill("DE")
    page.get_by_label("Region (optional)").fill("BY")
    page.get_by_role("button", name="Save calendar").click()
    page.get_by_text("Working calendar saved.").wait_for()

    page.get_by_label("Critical: first answer (hours)").fill("6")
    page.get_by_role("button", name="Save promises").click()
    page.get_by_text("may be at most 4 hours").wait_for()
    page.get_by_label("Critical: first answer (hours)").fill("2")
    page.get_by_label("High: resolution (hours)").fill("40")
    page.get_by_role("button", name="Save promises").click()
    page.get_by_text("Promises saved.").wait_for()
    screenshot(page, "portal-settings")
    own = SlaPolicy.objects.filter(supplier=initech).order_by("-severity")
    assert [(p.severity, p.first_answer_hours, p.resolution_hours) for p in own] == [
        (4, 2, 72),
        (3, 16, 40),
    ]

    for device in ("desktop", "phone"):
        buyer = new_page(viewport=PHONE if device == "phone" else None)
        login(buyer, "alice@acme.test")
        assert buyer.goto(f"/suppliers/{initech.slug}/").status == 200
        section = buyer.locator("#sla")
        assert "2 hours" in section.inner_text() and "40 business hours" in section.inner_text()
        assert "Europe/Berlin" in section.inner_text()
        overflow = buyer.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the supplier page is {overflow}px wider than the screen"
        screenshot(buyer, f"supplier-page-{device}")
