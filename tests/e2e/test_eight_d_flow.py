"""The 8D in a real browser: a responder fills in a discipline from the incident page (owner, due
date), an overdue one stands out, and the printable 8D report prints (a PDF) without the page's
navigation, for the supplier with owners' names and for a buyer without them or the anonymous
reporter."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import EightDStep, Incident, Post
from incidents.services.processing import incidents_recount
from tests.factories import BuyerPostFactory, IncidentFactory, PostMatchFactory, defect_category

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cracked(alice, initech, carol) -> Incident:
    """Initech's incident from alice's anonymous report; D3 done, D5 overdue."""
    incident = IncidentFactory(
        supplier=initech,
        category=defect_category(),
        title="Defect / nonconformance: Initech Components, lot L-2611",
        lot="L-2611",
    )
    post = BuyerPostFactory(
        organization=alice.party.organization,
        author=alice,
        supplier=initech,
        lot="L-2611",
        visibility=Post.Visibility.ANONYMOUS,
        text="Forty housings of lot L-2611 cracked at incoming inspection",
    )
    PostMatchFactory(post=post, supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    today = timezone.localdate()
    services.eightd_update(
        incident=incident,
        discipline="d3",
        actor=carol,
        text="Lot L-2611 quarantined; replacements ship from lot L-2702.",
        owner=carol,
        done_on=today,
    )
    services.eightd_update(
        incident=incident, discipline="d5", actor=carol, due_on=today - timedelta(days=2)
    )
    return incident


def test_a_responder_fills_in_a_discipline_and_prints_the_report(
    page, carol, ivy, cracked, screenshot, tmp_path
):
    login(page, "carol@initech.test")
    page.goto(f"/portal/incidents/{cracked.pk}/#eight-d")
    assert "state-overdue" in (page.locator("#d5").get_attribute("class") or "")
    page.get_by_text("Edit D4 Root cause").click()
    form = page.locator("#form-8d-d4")
    form.get_by_label("Text").fill("Cavity 3 of the mould worn beyond tolerance.")
    form.get_by_label("Owner").select_option(label="Ivy Ingram")
    form.get_by_label("Due").fill((timezone.localdate() + timedelta(days=5)).isoformat())
    form.get_by_role("button", name="Save D4").click()
    page.wait_for_url(re.compile(rf"/portal/incidents/{cracked.pk}/#d4$"))
    assert page.locator("#d4").get_by_text("Owner: Ivy Ingram").is_visible()
    step = EightDStep.objects.get(incident=cracked, discipline="d4")
    assert (step.text, step.owner) == ("Cavity 3 of the mould worn beyond tolerance.", ivy)
    screenshot(page, "portal-8d")

    page.get_by_role("link", name="Printable 8D report").click()
    page.wait_for_url(f"**/portal/incidents/{cracked.pk}/8d/")
    assert page.get_by_text("Owner: Ivy Ingram").is_visible()
    screenshot(page, "report-supplier")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert page.locator("#d4-h").is_visible()
    screenshot(page, "report-supplier-print")
    pdf = page.pdf(path=str(tmp_path / "8d-supplier.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")


def test_a_buyer_prints_the_report_without_owners_or_the_reporter(
    new_page, bob, cracked, screenshot, tmp_path
):
    page = new_page()
    login(page, "bob@globex.test")
    page.goto(f"/incidents/{cracked.pk}/")
    page.get_by_role("link", name="Printable 8D report").click()
    page.wait_for_url(f"**/incidents/{cracked.pk}/8d/")
    assert page.get_by_text("Lot L-2611 quarantined").is_visible()
    assert page.get_by_text("1 of 8 disciplines done, 1 overdue").is_visible()
    body = page.content()
    for hidden in ("Carol", "carol@initech.test", "Alice", "alice@acme.test", "Acme"):
        assert hidden not in body, hidden
    screenshot(page, "report-buyer")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    pdf = page.pdf(path=str(tmp_path / "8d-buyer.pdf"), format="A4")
    assert pdf.startswith(b"%PDF")
