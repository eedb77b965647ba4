"""A supplier's admin in a real browser: adds an RSS feed to the portal, sees it polled and healthy,
polls it again, and finds the posts it brought in the supplier's incidents, each linking to the
original. The feed is served by a local server (tests/integrations/feedserver.py)."""

from __future__ import annotations

import re

import pytest

from suppliers.models import SupplierAlias
from tests.factories import CategoryFactory, SupplierAliasFactory
from tests.integrations.feedserver import FeedServer, fixture

from .conftest import DESKTOP, PHONE, login

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_supplier_admin_adds_a_feed_polls_it_and_sees_its_posts_in_incidents(
    page, ivy, initech, screenshot
):
    CategoryFactory(slug="defect", name="Defect / nonconformance", keywords=["cracked", "defect"])
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    with FeedServer() as server:
        server.routes["/rss"] = fixture("rss.xml")
        login(page, "ivy@initech.test")
        page.goto("/portal/")
        page.get_by_role("link", name="Feeds").click()
        page.wait_for_url("**/portal/feeds/")

        page.get_by_label("Kind").select_option("rss")
        page.get_by_label("Address or search").fill(server.url("/rss"))
        page.get_by_label("Name").fill("quality-forum")
        page.get_by_role("button", name="Add the feed").click()
        page.get_by_text("Feed “quality-forum” added").wait_for()

        row = page.locator("tr", has_text="quality-forum")
        assert row.locator("[data-health]").inner_text() == "healthy"
        assert "3 stored of 4 seen" in row.inner_text()
        assert "Last item refused" in row.inner_text()  # the item dated in the year 9999
        screenshot(page, "portal-feeds")
        # On a phone the feed's address breaks, so that its buttons stay in view.
        page.set_viewport_size(PHONE)
        table = page.locator(".table-wrap", has_text="quality-forum")
        assert table.evaluate("wrap => wrap.scrollWidth - wrap.clientWidth") <= 0
        assert row.get_by_role("button", name=re.compile("Poll now")).is_visible()
        screenshot(page, "portal-feeds-phone")
        page.set_viewport_size(DESKTOP)

        row.get_by_role("button", name=re.compile("Poll now")).click()
        page.get_by_text("Feed “quality-forum” is being polled.").wait_for()
        assert "3 stored of 8 seen" in page.locator("tr", has_text="quality-forum").inner_text()
        assert len(server.asked_for("/rss")) == 2

    page.goto("/portal/incidents/")
    page.get_by_role("link", name=re.compile(r"#\d+")).first.click()
    page.get_by_text("had cracked housings").wait_for()
    original = page.get_by_role("link", name="open the post")
    assert original.get_attribute("href") == (
        "https://forum.example.com/t/initech-housings-cracked/101"
    )
