"""Supplier staff in a real browser: open an incident from the list, acknowledge, answer publicly
and resolve it; staff of another supplier get a 404; a viewer only reads; screenshots of the portal.
"""

from __future__ import annotations

import re

import pytest

from incidents.models import Incident, IncidentEvent, Post, Response
from incidents.services.processing import incidents_recount
from suppliers.models import Membership
from tests.factories import (
    BuyerPostFactory,
    IncidentEventFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
    SupplierMembershipFactory,
    defect_category,
)

from .conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _incident(supplier, *posts: Post, **fields) -> Incident:
    incident = IncidentFactory(supplier=supplier, category=defect_category(), **fields)
    for post in posts:
        PostMatchFactory(post=post, supplier=supplier, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


@pytest.fixture
def cracked(alice, bob, initech) -> Incident:
    """Initech's incident: an anonymous report by alice, a named one by bob, a public post."""
    return _incident(
        initech,
        BuyerPostFactory(
            organization=alice.party.organization,
            author=alice,
            supplier=initech,
            lot="L-2611",
            po_number="PO-ALICE-1",
            text="Forty housings of lot L-2611 cracked at incoming inspection",
        ),
        BuyerPostFactory(
            organization=bob.party.organization,
            author=bob,
            supplier=initech,
            lot="L-2611",
            visibility=Post.Visibility.NAMED,
            text="Lot L-2611 again: housings crack when torqued",
        ),
        PublicPostFactory(
            text="@InitechParts cracked housings again, third time this month",
            author_handle="@plantmanager",
            url="https://social.example/p/1",
        ),
        title="Defect / nonconformance: Initech Components, lot L-2611",
        lot="L-2611",
    )


def test_staff_acknowledge_answer_and_resolve_an_incident(page, carol, cracked, screenshot):
    login(page, "carol@initech.test")
    page.goto("/portal/incidents/")
    page.get_by_role("link", name=re.compile(rf"#{cracked.pk} Defect")).click()
    page.wait_for_url(f"**/portal/incidents/{cracked.pk}/")

    # Evidence as each post's visibility says: alice is anonymous, bob named, the tweet public.
    assert page.get_by_text("Forty housings of lot L-2611 cracked").is_visible()
    body = page.content()
    assert "Alice" not in body and "alice@acme.test" not in body and "Acme" not in body
    assert "PO-ALICE-1" not in body
    assert "Globex" in body
    assert page.get_by_role("link", name="open the post").get_attribute("rel") == (
        "noopener nofollow ugc"
    )

    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Incident acknowledged.").wait_for()
    assert page.locator(".incident-head .badge").first.inner_text() == "Acknowledged"

    page.get_by_role("textbox", name=re.compile("^Answer")).fill(
        "We quarantined lot L-2611; replacements ship on Friday."
    )
    page.get_by_role("button", name="Send answer").click()
    page.get_by_text("Answer sent.").wait_for()
    assert page.get_by_text("We quarantined lot L-2611; replacements ship on Friday.").is_visible()

    page.get_by_role("textbox", name=re.compile("^Resolution note")).fill(
        "New mould since lot L-2702."
    )
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("Incident resolved.").wait_for()
    assert page.locator(".incident-head .badge").first.inner_text() == "Resolved"
    assert page.get_by_text("Status changed from Acknowledged to Resolved.").is_visible()
    screenshot(page, "incident-resolved")

    cracked.refresh_from_db()
    assert cracked.status == Incident.Status.RESOLVED
    answer = Response.objects.get(incident=cracked)
    assert answer.visibility == Response.Visibility.PUBLIC and answer.author == carol
    kinds = list(
        IncidentEvent.objects.filter(incident=cracked, actor=carol).values_list("kind", flat=True)
    )
    assert kinds == ["status_changed", "response", "status_changed"]


def test_staff_of_another_supplier_get_404(page, dave, cracked):
    login(page, "dave@umbrella.test")
    response = page.goto(f"/portal/incidents/{cracked.pk}/")
    assert response.status == 404
    assert "Forty housings" not in page.content()
    missing = page.goto(f"/portal/incidents/{cracked.pk + 10_000}/")
    assert missing.status == 404


def test_viewer_reads_but_has_no_actions(page, initech, cracked):
    SupplierMembershipFactory(
        user__email="vic@initech.test", supplier=initech, role=Membership.Role.VIEWER
    )
    login(page, "vic@initech.test")
    page.goto(f"/portal/incidents/{cracked.pk}/")
    assert page.get_by_text("Forty housings of lot L-2611 cracked").is_visible()
    assert page.get_by_role("button", name="Acknowledge").count() == 0
    assert page.get_by_role("button", name="Send answer").count() == 0
    assert page.get_by_text("ask an admin for that role").is_visible()


def test_filters_work_from_the_keyboard(page, carol, initech, cracked):
    other = _incident(
        initech,
        BuyerPostFactory(supplier=initech, text="Certificates missing for every pallet"),
        title="Documentation: Initech Components",
    )
    login(page, "carol@initech.test")
    page.goto("/portal/incidents/")
    assert page.get_by_role("link", name=re.compile(f"#{other.pk} ")).is_visible()
    search = page.get_by_role("searchbox", name="Search")
    search.focus()
    page.keyboard.type("torqued", delay=30)  # words of bob's report
    page.keyboard.press("Enter")
    page.get_by_text("1 incident", exact=True).wait_for()
    assert page.get_by_role("link", name=re.compile(f"#{cracked.pk} ")).is_visible()
    assert page.get_by_role("link", name=re.compile(f"#{other.pk} ")).count() == 0
    assert "q=torqued" in page.url  # the filtered list has its own address


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_of_the_portal_pages(new_page, ivy, initech, cracked, device, screenshot):
    """The portal's pages on a laptop and on a phone, for a person to look at."""
    ResponseFactory(
        incident=cracked, author=ivy, body="We have quarantined lot L-2611; replacements Friday."
    )
    IncidentEventFactory(
        incident=cracked,
        kind=IncidentEvent.Kind.SPIKE,
        data={"complaints_last_hour": 9, "expected": 0.5},
    )
    for n in range(3):
        _incident(
            initech,
            BuyerPostFactory(supplier=initech, text=f"Late again, order {n}"),
            title=f"Late delivery: Initech Components, SKU P-{n}",
            severity=n + 1,
        )
    page = new_page(viewport=PHONE if device == "phone" else None)
    login(page, "ivy@initech.test")
    for name, path in (
        ("dashboard", "/portal/"),
        ("incidents", "/portal/incidents/"),
        ("incident", f"/portal/incidents/{cracked.pk}/"),
        ("team", "/portal/team/"),
    ):
        response = page.goto(path)
        assert response.status == 200, path
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
        screenshot(page, name)
