"""A dispute in a real browser: a supplier's responder disputes an anonymous report from the
portal; another buyer reads the dispute on the incident's history and the evidence still counted,
marked as disputed; the reporting buyer rejects it on the incident page and the evidence stays.
Nobody outside Acme learns that Acme reported it."""

from __future__ import annotations

import re

import pytest

from incidents import services
from incidents.models import Dispute, Incident
from tests.factories import defect_category

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REPORT = "Lot L-77 of gaskets leaked on the test bench; 40 units affected."


def test_a_dispute_is_on_the_timeline_buyers_read_and_removes_nothing_until_decided(
    new_page, screenshot, alice, bob, carol, initech
):
    post = services.post_report(
        author=alice, supplier=initech, text=REPORT, category=defect_category(), lot="L-77"
    )
    incident = Incident.objects.get(matches__post=post)
    assert incident.post_count == 1

    # 1. Carol disputes it from the portal: not about Initech.
    responder = new_page()
    login(responder, "carol@initech.test")
    responder.goto(f"/portal/incidents/{incident.pk}/")
    responder.get_by_text("Dispute this evidence").click()
    responder.get_by_label("Why", exact=True).select_option(label="Not about us")
    responder.get_by_label(re.compile("Note for whoever decides")).fill("We make no gaskets.")
    responder.get_by_role("button", name="Dispute", exact=True).click()
    responder.get_by_text(re.compile("Disputed: the evidence stays counted")).wait_for()
    assert responder.get_by_text("Disputed by the supplier").is_visible()
    screenshot(responder, "1-disputed")

    # 2. Another buyer reads it on the history; the report still counts, marked disputed.
    other = new_page()
    login(other, "bob@globex.test")
    other.goto(f"/incidents/{incident.pk}/")
    other.get_by_text(
        re.compile("Initech Components disputes a buyer report: not about it")
    ).wait_for()
    assert other.get_by_text("Disputed by the supplier").is_visible()
    assert other.get_by_text(REPORT).is_visible()
    assert "Disputes for you to decide" not in other.content()
    assert "Acme" not in other.content() and "Alice" not in other.content()
    screenshot(other, "2-other-buyer")
    incident.refresh_from_db()
    assert incident.post_count == 1

    # 3. Acme decides: the report is about Initech after all.
    reporter = new_page()
    login(reporter, "alice@acme.test")
    reporter.goto(f"/incidents/{incident.pk}/")
    reporter.get_by_role("heading", name="Disputes for you to decide (1)").wait_for()
    reporter.get_by_text(re.compile("note: We make no gaskets")).first.wait_for()
    reporter.get_by_role("button", name="Reject it").click()
    reporter.get_by_text("Dispute rejected: the evidence stays counted.").wait_for()
    screenshot(reporter, "3-rejected")
    assert Dispute.objects.get().status == Dispute.Status.REJECTED
    incident.refresh_from_db()
    assert incident.post_count == 1

    # 4. The portal reads the decision, without learning who decided.
    responder.goto(f"/portal/incidents/{incident.pk}/")
    responder.get_by_text(
        re.compile("The reporting organization rejected the dispute of a buyer report")
    ).wait_for()
    assert "Acme" not in responder.content() and "Alice" not in responder.content()
