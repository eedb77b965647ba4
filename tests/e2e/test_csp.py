"""The product's pages work in a real browser under their content security policy: signed out, as a
buyer, as supplier staff, as an operator in the admin, and the API's documentation. Each test fails
on any refusal of the policy (tests/e2e/conftest.py) and on any error in the browser's console, and
the documentation loads nothing from outside the site."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from incidents.models import Incident, Post
from incidents.services.processing import incidents_recount
from suppliers.models import Membership
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    defect_category,
)

from .conftest import login, unexpected

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watched(new_page, live_server) -> Callable:
    """watched(): a page, and a function that lists what went wrong in it so far: console errors,
    uncaught exceptions, refusals of the policy and requests that left the site."""

    def open_page():
        page = new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
        # The site's own addresses, and blob: URLs that its pages made (Redoc's worker).
        own = (live_server.url, f"blob:{live_server.url}")
        page.on("request", lambda r: None if r.url.startswith(own) else problems.append(r.url))

        def seen() -> list[str]:
            return unexpected(problems + page.policy_violations)

        return page, seen

    return open_page


@pytest.fixture
def incident(alice, bob, initech) -> Incident:
    """Initech's incident with reports of two buyers and a public post: charts and evidence."""
    incident = IncidentFactory(supplier=initech, category=defect_category(), lot="L-2611")
    for post in (
        BuyerPostFactory(organization=alice.party.organization, author=alice, supplier=initech),
        BuyerPostFactory(
            organization=bob.party.organization,
            author=bob,
            supplier=initech,
            visibility=Post.Visibility.NAMED,
        ),
        PublicPostFactory(text="@InitechParts cracked housings again"),
    ):
        PostMatchFactory(post=post, supplier=initech, incident=incident)
    incidents_recount(incident_ids=[incident.pk])
    return incident


def test_signed_out_pages_and_the_api_documentation_work_under_the_policy(watched):
    page, seen = watched()
    page.goto("/accounts/login/")
    page.goto("/accounts/password_reset/")

    page.goto("/api/docs/")
    page.get_by_text("/api/v1/incidents/", exact=True).first.wait_for()
    page.get_by_role("button", name="Authorize").wait_for()
    page.goto("/api/redoc/")
    page.get_by_role("heading", name=re.compile("supplierwatch API")).wait_for()
    page.get_by_role("heading", name="List incidents").wait_for()
    # Redoc's search runs in its web worker.
    page.get_by_role("textbox", name="Search").fill("incident")
    page.get_by_role("menuitem", name="Read an incident").wait_for()

    assert seen() == []


def test_buyer_pages_work_under_the_policy(watched, alice, initech, incident):
    page, seen = watched()
    login(page, "alice@acme.test")
    page.goto("/buyer/")
    page.goto("/buyer/report/")
    # The report form's script and htmx: the supplier search answers as one types.
    page.get_by_role("searchbox", name="Supplier").press_sequentially("initec", delay=40)
    page.get_by_role("button", name=re.compile("Initech Components")).click()
    assert page.locator(".chosen").inner_text() == "Chosen: Initech Components"

    page.goto(f"/incidents/{incident.pk}/")
    assert page.locator("#evidence-chart svg rect.b-bar").count() > 0
    page.get_by_role("button", name="Follow").click()
    page.get_by_role("button", name=re.compile("Following")).wait_for()
    page.goto(f"/suppliers/{initech.slug}/")
    assert page.locator("#trend-chart svg").count() == 1

    assert seen() == []


def test_a_new_api_key_is_selected_for_copying_without_inline_script(watched, alice):
    Membership.objects.filter(user=alice).update(role=Membership.Role.ADMIN)
    page, seen = watched()
    login(page, "alice@acme.test")
    page.goto("/settings/api-keys/")
    page.get_by_label("Name").fill("SAP connector")
    page.get_by_role("button", name="Issue the key").click()
    page.wait_for_load_state()
    key = page.get_by_label("Key", exact=True)
    key.focus()
    selected = key.evaluate("field => field.value.slice(field.selectionStart, field.selectionEnd)")
    assert selected.startswith("sw_live_") and selected == key.input_value()

    assert seen() == []


def test_supplier_portal_works_under_the_policy(watched, carol, incident):
    Membership.objects.filter(user=carol).update(role=Membership.Role.ADMIN)
    page, seen = watched()
    login(page, "carol@initech.test")
    page.goto("/portal/")
    page.goto("/portal/incidents/")
    # The filter form swaps the results in with htmx as one types.
    page.locator("#id_q").press_sequentially("zzz-nothing", delay=30)
    page.wait_for_url(re.compile(r"q=zzz-nothing"))
    page.goto(f"/portal/incidents/{incident.pk}/")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text("Incident acknowledged.").wait_for()
    page.goto("/portal/team/")

    assert seen() == []


def test_the_admin_works_under_the_policy(watched, operator, incident):
    page, seen = watched()
    login(page, operator.email)
    page.goto("/admin/")
    page.goto("/admin/incidents/incident/")
    page.goto(f"/admin/incidents/incident/{incident.pk}/change/")
    page.goto("/admin/suppliers/user/add/")
    page.goto("/admin/suppliers/supplier/")
    page.get_by_role("link", name="Initech Components").click()
    page.wait_for_url(re.compile(r"/change/$"))

    assert seen() == []
