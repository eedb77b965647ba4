"""A busy Bluesky search loses nothing: a search that brings more pages between two polls than one
poll reads goes on from the page it reached at the next polls, which come sooner, until it is back
at the posts it already has; a page cursor the AppView refuses ends the catch-up cleanly."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import Post
from integrations import services
from integrations.models import Feed
from integrations.presenters import feed_view
from tests.integrations.feedserver import Answer, Asked

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
START = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _time(number: int) -> str:
    """Post `number`'s index time, in the AppView's format: one every 20 seconds, so that the
    five minutes a poll reads back before its mark (`since`) hold 15 posts."""
    return (START + timedelta(seconds=20 * number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _since(number: int) -> str:
    """The `since` of a poll whose mark is post `number`'s index time."""
    return _time(number - 15)


@dataclass
class AppView:
    """searchPosts as the AppView answers it: newest first, `since` inclusive, the cursor an
    offset into the results (so posts arriving at the top shift the pages down, never up)."""

    count: int = 0
    refuse_cursors: bool = False
    asked: list[dict[str, str]] = field(default_factory=list)

    def post(self, number: int) -> dict[str, object]:
        return {
            "uri": f"at://did:plc:busy/app.bsky.feed.post/p{number}",
            "cid": f"bafy{number}",
            "author": {"did": "did:plc:busy", "handle": "busy.bsky.social"},
            "record": {
                "text": f"Initech housing cracked, report {number}",
                "createdAt": _time(number),
            },
            "indexedAt": _time(number),
        }

    def add(self, posts: int) -> None:
        self.count += posts

    def __call__(self, asked: Asked) -> Answer:
        self.asked.append(asked.query)
        cursor = asked.query.get("cursor")
        if cursor and self.refuse_cursors:
            return Answer(status=400, body=b'{"error": "InvalidRequest", "message": "bad cursor"}')
        since = asked.query.get("since", "")
        numbers = [n for n in range(self.count, 0, -1) if _time(n) >= since]
        offset, limit = int(cursor or 0), int(asked.query["limit"])
        body: dict[str, object] = {
            "posts": [self.post(n) for n in numbers[offset : offset + limit]]
        }
        if offset + limit < len(numbers):
            body["cursor"] = str(offset + limit)
        return Answer(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})


@pytest.fixture
def appview(feed_server, settings) -> AppView:
    settings.SW_BLUESKY_APPVIEW_URL = feed_server.url("")
    settings.SW_FEED_MIN_INTERVAL_SECONDS = 60
    view = AppView()
    feed_server.routes[SEARCH] = view
    return view


def stored(feed: Feed) -> list[str]:
    return list(Post.objects.filter(source=feed.source).values_list("external_id", flat=True))


def busy_feed(appview: AppView) -> Feed:
    """A search feed polled once (its latest page), with a mark at post 30's index time."""
    appview.add(30)
    feed = services.feed_create(
        kind="bluesky", target="initech", name="bsky", interval_seconds=900
    ).feed
    feed.refresh_from_db()
    assert feed.cursor == _time(30) and len(stored(feed)) == 30
    return feed


def test_a_search_with_eight_pages_between_two_polls_stores_them_all_over_the_next_polls(appview):
    feed = busy_feed(appview)
    appview.add(400)  # eight pages of 50 since the last poll: posts 31 to 430

    before = timezone.now()
    first = services.feed_poll(feed_id=feed.pk)

    assert first.outcome == "ok" and first.stored == 250 and first.duplicates == 0
    feed.refresh_from_db()
    assert feed.cursor == _time(30)  # not moved until the search is read back to it
    assert feed.catch_up_cursor == "250" and feed.catch_up_newest == _time(430)
    assert feed.next_poll_at <= before + timedelta(seconds=61)  # soon, not after 900 s
    assert "Catching up" in feed_view(feed).summary
    assert feed_view(feed).health == "healthy"
    listed = StringIO()
    call_command("feeds", "list", stdout=listed)
    assert "healthy, catching up" in listed.getvalue()

    appview.add(20)  # more keep coming meanwhile: posts 431 to 450 push the pages down
    second = services.feed_poll(feed_id=feed.pk)

    assert second.outcome == "ok" and second.stored == 150
    resumed = appview.asked[-4]
    assert resumed["cursor"] == "250" and resumed["since"] == _since(30)
    feed.refresh_from_db()
    assert feed.cursor == _time(430) and not feed.is_catching_up
    assert feed.next_poll_at >= timezone.now() + timedelta(seconds=800)
    assert "Catching up" not in feed_view(feed).summary

    third = services.feed_poll(feed_id=feed.pk)

    assert third.outcome == "ok" and third.stored == 20
    assert appview.asked[-1]["since"] == _since(430) and "cursor" not in appview.asked[-1]
    assert sorted(stored(feed)) == sorted(
        f"at://did:plc:busy/app.bsky.feed.post/p{n}" for n in range(1, 451)
    )
    assert first.stored + second.stored + third.stored == 420
    feed.refresh_from_db()
    assert feed.items_stored == 450


def test_a_catch_up_cut_short_goes_on_from_the_last_page_it_stored(appview, feed_server):
    feed = busy_feed(appview)
    appview.add(400)

    def third_page_fails(asked: Asked) -> Answer:
        return Answer(status=503) if asked.query.get("cursor") == "100" else appview(asked)

    feed_server.routes[SEARCH] = third_page_fails
    failed = services.feed_poll(feed_id=feed.pk)

    assert failed.outcome == "failed" and failed.stored == 100
    feed.refresh_from_db()
    assert feed.status == Feed.Status.FAILING and feed.catch_up_cursor == "100"

    feed_server.routes[SEARCH] = appview
    again = services.feed_poll(feed_id=feed.pk)

    assert appview.asked[-5]["cursor"] == "100"
    assert again.stored == 250 and again.duplicates == 0
    services.feed_poll(feed_id=feed.pk)
    assert len(stored(feed)) == 430 == len(set(stored(feed)))


def test_a_refused_catch_up_cursor_goes_back_to_polling_from_the_newest_post_and_says_so(appview):
    feed = busy_feed(appview)
    appview.add(400)
    services.feed_poll(feed_id=feed.pk)
    appview.refuse_cursors = True  # the cursor expired (or went too deep) meanwhile

    refused = services.feed_poll(feed_id=feed.pk)

    assert refused.outcome == "ok" and refused.stored == 0
    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY and feed.failure_count == 0
    assert not feed.is_catching_up and feed.catch_up_newest == ""
    assert feed.cursor == _time(430)
    assert "Catching up stopped" in feed.last_error and "HTTP 400" in feed.last_error
    assert feed.last_error_at is not None

    appview.add(10)
    again = services.feed_poll(feed_id=feed.pk)

    assert again.outcome == "ok" and again.stored == 10
    assert appview.asked[-1] == {
        "q": "initech",
        "sort": "latest",
        "limit": "50",
        "since": _since(430),
    }
    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY and feed.cursor == _time(440)
