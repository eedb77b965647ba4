"""In a real browser: a buyer finds an incident by a word of its evidence, saves the view and
exports it; a supplier responder acknowledges and assigns five incidents at once; a buyer admin
invites a colleague."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from incidents.models import Incident, IncidentEvent
from incidents.services.processing import incidents_recount
from suppliers.models import Invitation, Membership
from tests.factories import (
    BuyerMembershipFactory,
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    defect_category,
)

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _incident(supplier, post, **fields) -> Incident:
    incident = IncidentFactory(supplier=supplier, category=defect_category(), **fields)
    PostMatchFactory(post=post, supplier=supplier, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


def test_a_buyer_finds_saves_and_exports_incidents(page, alice, bob, initech, screenshot):
    wanted = _incident(
        initech,
        BuyerPostFactory(
            organization=alice.party.organization,
            author=alice,
            supplier=initech,
            text="Housings delaminate after the thermal cycling test",
        ),
        title="Housings fail qualification",
    )
    _incident(initech, PublicPostFactory(text="Initech pallets late again"), title="Late pallets")

    login(page, "bob@globex.test")
    page.get_by_role("link", name="Incidents", exact=True).click()
    page.wait_for_url("**/incidents/")
    page.get_by_label("Search").fill("delaminate")
    page.get_by_role("button", name="Show incidents").click()
    page.wait_for_url(re.compile(r".*q=delaminate.*"))
    results = page.locator("#results")
    # The results are swapped in place: wait for the new ones (and their save form).
    expect(results.get_by_role("status")).to_have_text("1 incident")
    results.get_by_role("link", name=re.compile(rf"#{wanted.pk} Housings")).wait_for()
    assert "Late pallets" not in results.inner_text()
    # Nothing still on its way that could swap the save form out from under the click.
    page.wait_for_load_state("networkidle")

    page.get_by_label("Name of this view").fill("Delamination watch")
    page.get_by_role("button", name="Save these filters").click()
    page.get_by_text("View “Delamination watch” saved").wait_for()
    page.locator(".saved-menu summary").click()
    page.locator(".saved-menu").get_by_role("link", name="Delamination watch").wait_for()
    screenshot(page, "saved-view")

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    exported = download.value.path().read_text(encoding="utf-8")
    assert "Housings fail qualification" in exported
    assert "Late pallets" not in exported


def test_a_responder_acknowledges_and_assigns_five_incidents_at_once(
    page, carol, ivy, initech, screenshot
):
    incidents = [
        _incident(initech, PublicPostFactory(text=f"Initech problem {n}"), title=f"Problem {n}")
        for n in range(6)
    ]
    chosen = incidents[:5]
    login(page, "carol@initech.test")
    page.goto("/portal/incidents/")

    def tick() -> None:
        for incident in chosen:
            page.get_by_label(f"Select incident #{incident.pk}").check()

    tick()
    page.get_by_label("With the selected incidents").select_option("acknowledge")
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Acknowledged 5 incidents").wait_for()

    tick()
    page.get_by_label("With the selected incidents").select_option("assign")
    page.get_by_label("Assignee").select_option(label=ivy.display_name)
    page.get_by_role("button", name="Apply to selected").click()
    page.get_by_text("Assigned 5 incidents").wait_for()
    screenshot(page, "bulk")

    for incident in chosen:
        incident.refresh_from_db()
        assert (incident.status, incident.assignee_id) == ("acknowledged", ivy.pk)
    assert IncidentEvent.objects.filter(kind="assigned", incident__in=chosen).count() == 5
    untouched = Incident.objects.get(pk=incidents[5].pk)
    assert (untouched.status, untouched.assignee_id) == ("new", None)


def test_a_buyer_admin_invites_a_colleague(page, acme):
    BuyerMembershipFactory(
        user__email="ada@acme.test", organization=acme, role=Membership.Role.ADMIN
    )
    login(page, "ada@acme.test")
    page.get_by_role("link", name="Team", exact=True).click()
    page.wait_for_url("**/buyer/team/")
    page.get_by_label("E-mail address").fill("nick@acme.test")
    page.get_by_label(re.compile("Member:")).check()
    page.get_by_role("button", name="Send invitation").click()
    page.get_by_text("An invitation to join as member was sent to nick@acme.test").wait_for()
    assert Invitation.objects.get().organization == acme
    assert [message.to for message in mail.outbox] == [["nick@acme.test"]]
