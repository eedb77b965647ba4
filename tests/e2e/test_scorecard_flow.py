"""Scorecards in a real browser: a buyer finds a supplier in the directory by its alias and reads
its scorecard; the supplier's staff read their own with what would raise it; screenshots of both,
on a desktop and a phone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import scoring, services
from incidents.models import Incident, Post, ScoringCriterion, Severity, Standing
from incidents.services.processing import incidents_recount
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierAliasFactory,
    SupplierFactory,
    VendorCodeFactory,
    defect_category,
)

from .conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scored(acme, globex, initech, umbrella, alice, bob):
    """The seeded criteria and standings (a transactional flush wipes what migrations seed), and a
    month of evidence about Initech and Umbrella."""
    defect_category()
    for position, criterion in enumerate(scoring.DEFAULT_CRITERIA):
        ScoringCriterion.objects.update_or_create(
            key=criterion.key,
            defaults={"weight": criterion.weight, "worst": criterion.worst, "position": position},
        )
    for name, lowest in scoring.DEFAULT_STANDINGS:
        Standing.objects.update_or_create(name=name, defaults={"min_score": lowest})
    SupplierAliasFactory(supplier=initech, kind="handle", text="@InitechParts")
    VendorCodeFactory(organization=acme, supplier=initech, code="V-1001")
    for n in range(3):
        SupplierFactory(name=f"Quiet Supplier {n}")
    now = timezone.now()
    incident = IncidentFactory(supplier=initech, severity=Severity.HIGH)
    incident.start_sla(now - timedelta(hours=30))
    incident.acknowledged_at = now - timedelta(hours=2)
    incident.time_to_first_answer = incident.acknowledged_at - incident.sla_started_at
    incident.status = Incident.Status.ACKNOWLEDGED
    incident.save()
    for organization, visibility, severity, quantity in (
        (acme, Post.Visibility.ANONYMOUS, Severity.HIGH, 120),
        (globex, Post.Visibility.NAMED, Severity.CRITICAL, 40),
        (acme, Post.Visibility.PRIVATE, Severity.CRITICAL, 5000),
    ):
        post = BuyerPostFactory(
            organization=organization,
            supplier=initech,
            visibility=visibility,
            severity=severity,
            quantity_affected=quantity,
        )
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    for _ in range(4):
        PostMatchFactory(post=PublicPostFactory(), supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    other = IncidentFactory(supplier=umbrella)
    PostMatchFactory(post=PublicPostFactory(), supplier=umbrella, incident=other)
    incidents_recount(incident_ids=[other.pk])
    services.scorecards_compute_current()


def test_buyer_finds_a_supplier_by_alias_and_reads_its_scorecard(
    new_page, scored, alice, screenshot
):
    page = new_page()
    login(page, alice.email)
    page.get_by_role("link", name="Suppliers", exact=True).first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/suppliers/")
    screenshot(page, "directory")
    page.get_by_label(re.compile("Name, alias")).fill("@initechparts")
    page.get_by_role("button", name="Find suppliers").click()
    page.wait_for_load_state()
    rows = page.locator("section table tbody tr")
    assert rows.count() == 1
    assert "Initech Components" in rows.first.inner_text()
    assert "V-1001" in rows.first.inner_text()
    page.get_by_role("link", name="Initech Components").click()
    page.wait_for_load_state()
    card = page.locator("section.scorecard")
    assert "Standing" in card.inner_text()
    page.get_by_text("How the score is computed").click()
    assert "Disputes upheld" in card.inner_text()
    assert "no dispute decided" in card.inner_text()
    screenshot(page, "supplier-page")
    phone = new_page(viewport=PHONE)
    login(phone, alice.email)
    phone.goto("/suppliers/")
    screenshot(phone, "directory-phone")
    phone.goto("/suppliers/initech-components/?period=week")
    assert "Week" in phone.locator("section.scorecard").inner_text()
    screenshot(phone, "supplier-page-phone")


def test_supplier_reads_its_own_scorecard_and_what_would_raise_it(page, scored, carol, screenshot):
    login(page, carol.email)
    page.get_by_role("link", name="Scorecard").click()
    page.wait_for_load_state()
    text = page.locator("main").inner_text()
    assert "Scorecard of Initech Components" in text
    assert "What would raise it" in text
    assert "points lost" in text
    screenshot(page, "portal-scorecard")
