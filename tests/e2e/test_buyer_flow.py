"""A buyer in a real browser: reports a problem, lands on its incident, follows it; what another
buyer sees of it; user text that looks like markup stays text; screenshots of the buyer pages."""

from __future__ import annotations

import re

import pytest

from incidents import services
from incidents.models import Incident, Post
from incidents.services.processing import incidents_recount
from tests.factories import (
    BuyerPostFactory,
    CategoryFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    ResponseFactory,
    SupplierAliasFactory,
    VendorCodeFactory,
    defect_category,
)
from tests.helpers import png

from .conftest import PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def catalogue(acme, initech, umbrella):
    """Categories (flushed by transactional tests, so made here), aliases and a vendor code."""
    defect_category()
    CategoryFactory(slug="late-delivery", name="Late delivery", keywords=["late"])
    SupplierAliasFactory(supplier=initech, kind="handle", text="@InitechParts")
    SupplierAliasFactory(supplier=umbrella, text="Umbrella")
    VendorCodeFactory(organization=acme, supplier=initech, code="V-1001")


def _incident_with(supplier, *posts: Post, **fields) -> Incident:
    incident = IncidentFactory(supplier=supplier, **fields)
    for post in posts:
        PostMatchFactory(post=post, supplier=supplier, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    incident.refresh_from_db()
    return incident


def test_buyer_reports_a_problem_and_lands_on_its_incident(
    page, catalogue, alice, bob, acme, initech, screenshot
):
    # Someone at Globex reported the same lot before: alice's report joins that incident.
    earlier = BuyerPostFactory(
        organization=bob.party.organization,
        author=bob,
        supplier=initech,
        lot="L-2611",
        sku="",
        text="Lot L-2611: housings crack when torqued",
    )
    services.posts_process(post_ids=[earlier.pk])
    login(page, "alice@acme.test")
    page.goto("/buyer/report/")
    screenshot(page, "report-form-empty")

    supplier = page.get_by_role("searchbox", name="Supplier")
    supplier.press_sequentially("initec", delay=40)
    choice = page.get_by_role("button", name=re.compile("Initech Components"))
    choice.wait_for()
    screenshot(page, "report-form-search")
    choice.click()
    assert page.locator(".chosen").inner_text() == "Chosen: Initech Components"
    # Choosing moves on to the next field.
    assert page.evaluate("document.activeElement.id") == "id_po_number"

    page.get_by_label("PO number").fill("PO-45035")
    page.get_by_label("Lot / batch").fill("L-2611")
    page.get_by_label("Quantity affected").fill("246")
    page.get_by_label("Category").select_option(label="Defect / nonconformance")
    page.get_by_label("Severity").select_option(label="High")
    assert page.get_by_role("radio", name=re.compile("Anonymous:")).is_checked()
    page.get_by_label("Describe the problem").fill(
        "Incoming inspection rejected 246 units of lot L-2611: dimensions out of tolerance."
    )
    page.get_by_label("Photos and documents").set_input_files(
        files=[{"name": "crack.png", "mimeType": "image/png", "buffer": png()}]
    )
    screenshot(page, "report-form-filled")
    page.get_by_role("button", name="Send report").click()

    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    post = Post.objects.get(author=alice)
    incident = Incident.objects.get(matches__post=post)
    assert incident.matches.filter(post=earlier).exists()
    assert page.url.endswith(f"/incidents/{incident.pk}/")
    assert page.get_by_text("your report is saved and joined this incident").is_visible()
    assert page.get_by_text("Incoming inspection rejected 246 units of lot L-2611").is_visible()
    assert page.get_by_text("Lot L-2611: housings crack when torqued").is_visible()
    assert page.get_by_role("link", name="crack.png").is_visible()
    # The reporter follows it from the start; unfollowing and following again need no page
    # load (htmx swaps the button).
    page.get_by_role("button", name=re.compile("Following")).click()
    page.get_by_role("button", name="Follow", exact=True).wait_for()
    assert not incident.follows.filter(user=alice).exists()
    page.get_by_role("button", name="Follow", exact=True).click()
    page.get_by_role("button", name=re.compile("Following")).wait_for()
    assert incident.follows.filter(user=alice).exists()
    screenshot(page, "incident-after-report")

    page.goto("/buyer/")
    assert page.get_by_role("link", name=f"Incident #{incident.pk}").is_visible()
    screenshot(page, "dashboard-after-report")


def test_supplier_search_works_from_the_keyboard(page, catalogue, alice):
    login(page, "alice@acme.test")
    page.goto("/buyer/report/")
    supplier = page.get_by_role("searchbox", name="Supplier")
    supplier.focus()
    page.keyboard.type("V-1001", delay=40)  # alice's own vendor code for Initech
    page.get_by_text("your vendor code V-1001").wait_for()
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.supplierName") == "Initech Components"
    page.keyboard.press("Enter")
    assert page.locator("#id_supplier").input_value() != ""
    assert supplier.input_value() == "Initech Components"


def test_report_form_works_without_javascript_and_keeps_input_on_error(
    new_page, catalogue, alice, initech
):
    page = new_page(js=False)
    login(page, "alice@acme.test")
    page.goto("/buyer/report/")
    page.get_by_label("Supplier", exact=True).fill("@InitechParts")
    page.get_by_label("PO number").fill("PO-KEEP-1")
    page.get_by_role("button", name="Send report").click()
    # The description is missing: the error names the field; what was typed is still there.
    assert page.get_by_role("link", name="Describe the problem").is_visible()
    assert page.get_by_label("PO number").input_value() == "PO-KEEP-1"
    assert page.get_by_label("Supplier", exact=True).input_value() == "@InitechParts"
    page.get_by_label("Describe the problem").fill("Forty brackets bent in transit.")
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url(re.compile(r"/(incidents/\d+|buyer)/$"))
    assert Post.objects.get(author=alice).supplier == initech


def test_markup_in_a_post_is_shown_as_text_and_runs_nothing(
    page, catalogue, alice, bob, initech, screenshot
):
    report = BuyerPostFactory(
        organization=alice.party.organization, author=alice, supplier=initech, text=XSS
    )
    tweet = PublicPostFactory(text=f"@InitechParts {XSS}", url="javascript:alert(2)")
    incident = _incident_with(initech, report, tweet, title=f"Defect {XSS}")
    ResponseFactory(incident=incident, body=f"We looked into it {XSS}")

    for person in ("bob@globex.test", "alice@acme.test"):
        login(page, person)
        for path in (f"/incidents/{incident.pk}/", "/buyer/", f"/suppliers/{initech.slug}/"):
            page.goto(path)
            assert page.locator("img[src=x]").count() == 0, path
        page.goto(f"/incidents/{incident.pk}/")
        assert page.get_by_text(XSS, exact=True).first.is_visible()
        assert page.get_by_text(f"We looked into it {XSS}").is_visible()
        assert page.locator("a[href^=javascript]").count() == 0
        page.context.clear_cookies()
    screenshot(page, "markup-as-text")
    assert page.dialogs == []


def test_another_buyer_never_sees_a_private_report(page, catalogue, alice, bob, initech):
    private = "Acme only: our line stopped for two hours, do not share"
    shared = "Housings cracked again in lot L7"
    incident = _incident_with(
        initech,
        BuyerPostFactory(
            organization=alice.party.organization,
            author=alice,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            text=private,
        ),
        BuyerPostFactory(
            organization=alice.party.organization, author=alice, supplier=initech, text=shared
        ),
    )
    private_only = _incident_with(
        initech,
        BuyerPostFactory(
            organization=alice.party.organization,
            author=alice,
            supplier=initech,
            visibility=Post.Visibility.PRIVATE,
            text="Acme only: certificate missing",
        ),
    )

    login(page, "bob@globex.test")
    page.goto(f"/incidents/{incident.pk}/")
    body = page.content()
    assert shared in body
    assert private not in body
    assert "Alice" not in body and "alice@acme.test" not in body and "Acme" not in body
    for path in ("/buyer/", f"/suppliers/{initech.slug}/"):
        page.goto(path)
        assert private not in page.content()
    response = page.goto(f"/incidents/{private_only.pk}/")
    assert response.status == 404

    page.context.clear_cookies()
    login(page, "alice@acme.test")
    page.goto(f"/incidents/{incident.pk}/")
    assert page.get_by_text(private).is_visible()
    assert page.get_by_text("Including 1 private report of your organization").is_visible()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_screenshots_of_the_buyer_pages(
    new_page, catalogue, alice, bob, initech, device, screenshot
):
    """The main buyer pages on a laptop and on a phone, for a person to look at."""
    reports = [
        BuyerPostFactory(
            organization=person.party.organization,
            author=person,
            supplier=initech,
            lot="L-2611",
            text=f"Lot L-2611: {n + 5} housings cracked on arrival",
        )
        for n, person in enumerate([alice, bob, alice])
    ]
    tweet = PublicPostFactory(text="@InitechParts cracked housings again, third time this month")
    incident = _incident_with(
        initech, *reports, tweet, title="Defect: Initech Components, lot L-2611"
    )
    ResponseFactory(
        incident=incident, body="We have quarantined lot L-2611; replacements ship Friday."
    )
    page = new_page(viewport=PHONE if device == "phone" else None)
    login(page, "alice@acme.test")
    for name, path in (
        ("dashboard", "/buyer/"),
        ("report", "/buyer/report/"),
        ("incident", f"/incidents/{incident.pk}/"),
        ("supplier", f"/suppliers/{initech.slug}/"),
    ):
        response = page.goto(path)
        assert response.status == 200, path
        # Nothing may stick out sideways on a phone.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than the screen"
        screenshot(page, name)


def test_on_a_phone_the_header_links_fold_behind_a_menu(new_page, screenshot, alice):
    page = new_page(viewport=PHONE)
    login(page, "alice@acme.test")
    incidents_link = page.locator("header.top").get_by_role("link", name="Incidents", exact=True)
    assert not incidents_link.is_visible()
    page.get_by_text("Menu", exact=True).click()
    assert incidents_link.is_visible()
    screenshot(page, "phone-menu")
    incidents_link.click()
    page.wait_for_url(re.compile(r"/incidents/$"))
    # On a wide screen there is no menu button: the links are all there.
    wide = new_page()
    login(wide, "alice@acme.test")
    assert not wide.get_by_text("Menu", exact=True).is_visible()
    assert wide.locator("header.top").get_by_role("link", name="Incidents", exact=True).is_visible()
