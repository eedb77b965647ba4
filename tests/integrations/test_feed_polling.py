"""Polling feeds against local servers: each item is stored once however often a feed is polled,
the cursor moves only once items are stored, and every fault is recorded on its feed without
stopping the others or losing what was stored."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Post, PostMatch
from integrations import services
from integrations.models import Feed
from suppliers.models import SupplierAlias
from supplierwatch.errors import ApplicationError
from tests.factories import SupplierAliasFactory
from tests.helpers import PUBLIC_ADDRESS
from tests.integrations.feedserver import Answer, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def add_feed(kind: str, target: str, **kwargs) -> Feed:
    return services.feed_create(kind=kind, target=target, **kwargs).feed


def poll(feed: Feed) -> services.PollResult:
    """A poll now, whenever the feed is due (the beat's choice is tested on its own)."""
    return services.feed_poll(feed_id=feed.pk)


def stored(feed: Feed) -> list[str]:
    return sorted(Post.objects.filter(source=feed.source).values_list("external_id", flat=True))


# --- RSS and Atom -------------------------------------------------------------------------------


def test_polling_a_feed_twice_stores_each_item_once(feed_server, initech):
    feed_server.routes["/rss"] = fixture("rss.xml")
    feed = add_feed("rss", feed_server.url("/rss"), name="forum")  # polled once when added

    again = poll(feed)

    assert again.outcome == "ok"
    assert again.stored == 0 and again.duplicates == 3 and again.rejected == 1
    assert stored(feed) == ["forum-101", "forum-102", "https://forum.example.com/t/undated/103"]
    feed.refresh_from_db()
    assert (feed.items_seen, feed.items_stored, feed.items_rejected) == (8, 3, 2)
    assert feed.status == Feed.Status.HEALTHY and feed.last_success_at is not None


def test_an_item_dated_in_the_year_9999_is_refused_and_recorded_and_an_undated_one_dated_when_fetched(
    feed_server,
):
    feed_server.routes["/rss"] = fixture("rss.xml")
    before = timezone.now()
    feed = add_feed("rss", feed_server.url("/rss"), name="forum")

    feed.refresh_from_db()
    assert "forum-104" in feed.last_rejection and "published_at" in feed.last_rejection
    assert not Post.objects.filter(external_id="forum-104").exists()
    undated = Post.objects.get(external_id="https://forum.example.com/t/undated/103")
    assert before <= undated.published_at <= timezone.now()


def test_posts_a_feed_brings_are_matched_classified_and_grouped_like_any_other(
    feed_server, initech
):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.NAME, text="Initech")
    feed_server.routes["/rss"] = fixture("rss.xml")
    feed = add_feed("rss", feed_server.url("/rss"), name="forum")

    post = Post.objects.get(source=feed.source, external_id="forum-101")
    assert post.status == Post.Status.PROCESSED
    match = PostMatch.objects.get(post=post, supplier=initech)
    assert match.incident is not None
    assert post.url == "https://forum.example.com/t/initech-housings-cracked/101"


def test_an_unchanged_feed_is_asked_with_its_etag_and_last_modified_and_costs_nothing(feed_server):
    modified = "Mon, 30 Nov 2026 10:40:00 GMT"
    feed_server.routes["/rss"] = [
        fixture("rss.xml", ETag='"v1"', **{"Last-Modified": modified}),
        Answer(status=304),
    ]
    feed = add_feed("rss", feed_server.url("/rss"), name="forum")

    again = poll(feed)

    asked = feed_server.asked_for("/rss")[-1]
    assert asked.headers["If-None-Match"] == '"v1"'
    assert asked.headers["If-Modified-Since"] == modified
    assert again.outcome == "ok" and again.seen == 0
    assert len(stored(feed)) == 3


def test_an_atom_feed_and_a_feed_in_another_encoding_are_read(feed_server):
    feed_server.routes["/atom"] = fixture("atom.xml", "application/atom+xml")
    feed_server.routes["/fr"] = fixture("rss_latin1.xml", "application/rss+xml")
    add_feed("rss", feed_server.url("/atom"), name="reviews")
    add_feed("rss", feed_server.url("/fr"), name="forum-fr")

    assert Post.objects.get(source="reviews").text.startswith("Initech: defective bearings")
    assert Post.objects.get(source="forum-fr").text.endswith("qualité médiocre.")


def test_an_item_stored_under_its_guid_resolved_against_the_feeds_address_is_not_stored_again(
    feed_server,
):
    """Its relative guid ("fr-1") was once stored resolved against the feed's address; read as it
    is written now, the item is still known (by its address) and not stored twice."""
    feed_server.routes["/fr"] = Answer(status=304)
    feed = add_feed("rss", feed_server.url("/fr"), name="forum-fr")
    services.feed_items_store(
        feed=feed,
        items=[
            {
                "external_id": feed_server.url("/fr-1"),
                "text": "Initech: pièces défectueuses",
                "url": "https://forum.example.fr/t/1",
            }
        ],
    )
    feed_server.routes["/fr"] = fixture("rss_latin1.xml", "application/rss+xml")

    again = poll(feed)

    assert again.outcome == "ok" and again.stored == 0 and again.duplicates == 1
    assert stored(feed) == [feed_server.url("/fr-1")]


def test_two_feeds_carrying_the_same_address_store_it_once(feed_server):
    feed_server.routes["/a"] = fixture("rss.xml")
    feed_server.routes["/b"] = fixture("rss.xml")
    add_feed("rss", feed_server.url("/a"), name="forum-a")
    second = add_feed("rss", feed_server.url("/b"), name="forum-b")

    assert Post.objects.filter(source="forum-a").count() == 3
    assert stored(second) == []
    second.refresh_from_db()
    assert second.items_seen == 4 and second.items_stored == 0


@pytest.mark.postgres
def test_two_feeds_storing_the_same_address_at_once_store_it_once(monkeypatch):
    """Two workers polling two feeds that carry one address: the second to look waits for the
    first to commit, then finds the address known."""
    import threading
    import time

    from django.db import connection

    first, second = add_feed("webhook", "", name="first"), add_feed("webhook", "", name="second")
    real_known = services.feeds._known_addresses
    looked = threading.Event()

    def known_then_linger(urls):
        found = real_known(urls)
        if not looked.is_set():
            looked.set()
            time.sleep(1)  # the other store looks now, before this one commits
        return found

    monkeypatch.setattr(services.feeds, "_known_addresses", known_then_linger)
    item = {"external_id": "1", "text": "Initech late", "url": "https://forum.example/t/1"}

    def store(feed, external_id):
        try:
            services.feed_items_store(feed=feed, items=[{**item, "external_id": external_id}])
        finally:
            connection.close()

    worker = threading.Thread(target=store, args=(first, "a"))
    worker.start()
    assert looked.wait(10)
    services.feed_items_store(feed=second, items=[{**item, "external_id": "b"}])
    worker.join(10)

    assert Post.objects.filter(url="https://forum.example/t/1").count() == 1


def test_a_feed_that_suddenly_repeats_every_item_under_new_ids_stores_none_twice(feed_server):
    original = fixture("rss.xml")
    renamed = Answer(
        body=original.body.replace(b"forum-10", b"renumbered-10"), headers=original.headers
    )
    feed_server.routes["/rss"] = [original, renamed]
    feed = add_feed("rss", feed_server.url("/rss"), name="forum")

    again = poll(feed)

    assert again.stored == 0
    assert len(stored(feed)) == 3


# --- Mastodon ------------------------------------------------------------------------------------


def test_mastodon_goes_on_from_the_newest_status_it_stored(feed_server):
    feed_server.routes["/api/v1/timelines/tag/initech"] = lambda asked: (
        fixture("mastodon_tag_after_103.json")
        if asked.query.get("min_id") == "109000000000000103"
        else Answer(body=b"[]")
        if asked.query.get("min_id")
        else fixture("mastodon_tag_latest.json")
    )
    feed = add_feed("mastodon", feed_server.url("/tags/initech"), name="fosstodon-initech")
    feed.refresh_from_db()
    assert feed.cursor == "109000000000000103"

    poll(feed)
    poll(feed)

    feed.refresh_from_db()
    assert feed.cursor == "109000000000000105"
    asked = feed_server.asked_for("/api/v1/timelines/tag/initech")
    assert [a.query.get("min_id") for a in asked] == [
        None,
        "109000000000000103",
        "109000000000000105",
    ]
    assert len(stored(feed)) == 4
    post = Post.objects.get(external_id="109000000000000102")
    assert post.author_handle == "ben@other.example"
    assert post.text == "quality rant\n\n#initech parts out of spec & late"


def _statuses(first: int, count: int) -> bytes:
    return json.dumps(
        [
            {
                "id": str(number),
                "created_at": "2026-11-30T10:00:00Z",
                "url": f"https://fosstodon.example/@ana/{number}",
                "content": f"<p>#initech complaint {number}</p>",
                "account": {"acct": "ana"},
            }
            for number in range(first + count - 1, first - 1, -1)
        ]
    ).encode()


def _paged_timeline(newest: int):
    """A tag timeline holding statuses 1000..newest, forty a page after min_id."""

    def answer(asked) -> Answer:
        after = int(asked.query.get("min_id", newest - 1))
        count = min(40, newest - after)
        return Answer(body=_statuses(after + 1, count) if count > 0 else b"[]")

    return answer


def test_a_worker_killed_mid_poll_restarts_from_the_saved_cursor_without_loss_or_duplicates(
    feed_server, monkeypatch
):
    feed_server.routes["/api/v1/timelines/tag/initech"] = _paged_timeline(1000)
    feed = add_feed("mastodon", feed_server.url("/tags/initech"), name="fosstodon-initech")
    assert stored(feed) == ["1000"]
    # 100 new statuses: three pages. The worker dies after storing the first.
    feed_server.routes["/api/v1/timelines/tag/initech"] = _paged_timeline(1100)
    real_store = services.polling.feed_items_store
    calls = []

    def store_then_die(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real_store(**kwargs)

    monkeypatch.setattr(services.polling, "feed_items_store", store_then_die)
    with pytest.raises(SystemExit):
        poll(feed)
    feed.refresh_from_db()
    assert feed.cursor == "1040"
    assert len(stored(feed)) == 41

    # Its lease runs out; the next worker starts from the saved cursor.
    monkeypatch.setattr(services.polling, "feed_items_store", real_store)
    Feed.objects.filter(pk=feed.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    poll(feed)

    feed.refresh_from_db()
    assert feed.cursor == "1100"
    assert stored(feed) == sorted(str(number) for number in range(1000, 1101))
    queried = [
        a.query.get("min_id") for a in feed_server.asked_for("/api/v1/timelines/tag/initech")
    ]
    assert queried[-2:] == ["1040", "1080"]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_poll_whose_process_is_killed_restarts_from_the_page_it_committed(feed_server):
    """A real process (`manage.py feeds poll`) killed with SIGKILL while it waits for the second
    page: the first page and its cursor are committed, the lease runs out, and the next poll goes
    on from there."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    path = "/api/v1/timelines/tag/initech"
    feed_server.routes[path] = _paged_timeline(1000)
    feed = add_feed("mastodon", feed_server.url("/tags/initech"), name="fosstodon-initech")
    pages = _paged_timeline(1100)

    def second_page_hangs(asked):
        answer = pages(asked)
        if asked.query.get("min_id") == "1040":
            answer.delay = 30  # the worker waits for it until it is killed
        return answer

    feed_server.routes[path] = second_page_hangs
    database = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}:{database['PASSWORD']}@"
        f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        "DEBUG": "1",  # loopback may be polled
        "SW_FEED_TIMEOUT_SECONDS": "60",
    }
    env.pop("REDIS_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "feeds", "poll", feed.handle],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not any(a.query.get("min_id") == "1040" for a in feed_server.asked_for(path)):
            assert time.monotonic() < deadline and worker.poll() is None, "no second page asked"
            time.sleep(0.1)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
    connection.close()  # a fresh look at what the killed process committed

    feed.refresh_from_db()
    assert feed.cursor == "1040" and len(stored(feed)) == 41
    assert feed.locked_until is not None  # held by the dead process until its lease runs out
    assert poll(feed).outcome == "skipped"

    feed_server.routes[path] = pages
    Feed.objects.filter(pk=feed.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    again = poll(feed)

    assert again.outcome == "ok", again.error
    assert again.stored == 60 and again.duplicates == 0
    assert stored(feed) == sorted(str(number) for number in range(1000, 1101))


def test_a_mastodon_search_is_polled_through_the_search_api(feed_server):
    feed_server.routes["/api/v2/search"] = fixture("mastodon_search.json")
    feed = add_feed("mastodon", feed_server.url("/search?q=initech+damaged"), name="social-search")

    (asked,) = feed_server.asked_for("/api/v2/search")
    assert asked.query["q"] == "initech damaged" and asked.query["type"] == "statuses"
    assert stored(feed) == ["55"]


# --- Bluesky ---------------------------------------------------------------------------------------


def test_bluesky_searches_from_the_last_polls_newest_post_following_the_cursor(
    feed_server, settings
):
    settings.SW_BLUESKY_APPVIEW_URL = feed_server.url("")
    path = "/xrpc/app.bsky.feed.searchPosts"
    feed_server.routes[path] = lambda asked: (
        fixture("bluesky_page2.json")
        if asked.query.get("cursor") == "page-2"
        else fixture("bluesky_page1.json")
    )
    feed = add_feed("bluesky", "initech components", name="bluesky-initech")
    feed.refresh_from_db()
    assert feed.cursor == "2026-11-30T10:03:01.000Z"
    assert len(stored(feed)) == 2  # the first poll reads the latest page only

    again = poll(feed)

    asked = feed_server.asked_for(path)
    assert asked[1].query == {
        "q": "initech components",
        "sort": "latest",
        "limit": "50",
        "since": "2026-11-30T09:58:01.000Z",  # five minutes before: posts indexed late
    }
    assert asked[2].query["cursor"] == "page-2"
    assert again.stored == 1 and again.duplicates == 2
    assert Post.objects.get(external_id__endswith="3kpost1").url == (
        "https://bsky.app/profile/cy.bsky.social/post/3kpost1"
    )


# --- faults ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (Answer(status=404), "HTTP 404 Not Found"),
        (Answer(status=500), "HTTP 500 Internal Server Error"),
        (Answer(body=b'<?xml version="1.0"?><rss><channel><item><title>x<'), "malformed XML"),
        (Answer(body=b"<html><body>Moved to our new site</body></html>"), "not an RSS or Atom"),
        (Answer(body=b"ok", delay=2.5), "timed out"),
        (Answer(endless=True), "larger than"),
        (Answer(body=b"<rss>" + b" " * (50 * 1024 * 1024)), "larger than"),
        (Answer(status=302, headers={"Location": "/rss"}), "too many redirects"),
    ],
    ids=["404", "500", "malformed", "html", "timeout", "endless", "50MB", "redirect-loop"],
)
def test_a_fault_is_recorded_on_the_feed_with_backoff_and_nothing_stored_is_lost(
    feed_server, settings, answer, error
):
    settings.SW_FEED_MAX_BYTES = 512 * 1024
    feed_server.routes["/rss"] = [fixture("rss.xml"), answer]
    feed = add_feed("rss", feed_server.url("/rss"), name="forum", interval_seconds=120)
    before = timezone.now()

    result = poll(feed)

    assert result.outcome == "failed" and error in result.error
    feed.refresh_from_db()
    assert feed.status == Feed.Status.FAILING
    assert error in feed.last_error and feed.failure_count == 1
    assert feed.next_poll_at >= before + timedelta(seconds=120)
    assert feed.locked_until is None
    assert len(stored(feed)) == 3


def test_malformed_json_from_mastodon_is_recorded(feed_server):
    feed_server.routes["/api/v1/timelines/tag/initech"] = Answer(body=b"[{not json")
    feed = add_feed("mastodon", feed_server.url("/tags/initech"), name="fosstodon-initech")
    feed.refresh_from_db()
    assert feed.status == Feed.Status.FAILING and "malformed JSON" in feed.last_error


def test_too_many_requests_waits_as_long_as_the_server_says(feed_server):
    feed_server.routes["/rss"] = Answer(status=429, headers={"Retry-After": "3600"})
    before = timezone.now()
    feed = add_feed("rss", feed_server.url("/rss"), name="forum", interval_seconds=60)

    feed.refresh_from_db()
    assert feed.last_error == "HTTP 429 Too Many Requests"
    assert feed.next_poll_at >= before + timedelta(seconds=3600)


def test_unavailable_waits_until_the_date_the_server_gives(feed_server):
    from email.utils import format_datetime

    later = timezone.now() + timedelta(hours=2)
    feed_server.routes["/rss"] = Answer(
        status=503, headers={"Retry-After": format_datetime(later, usegmt=True)}
    )
    feed = add_feed("rss", feed_server.url("/rss"), name="forum", interval_seconds=60)

    feed.refresh_from_db()
    assert feed.last_error == "HTTP 503 Service Unavailable"
    assert feed.next_poll_at >= later - timedelta(seconds=2)


def test_the_backoff_stops_growing_at_its_cap(feed_server, settings):
    settings.SW_FEED_BACKOFF_MAX_SECONDS = 300
    settings.SW_FEED_DISABLE_AFTER = 10
    feed_server.routes["/rss"] = Answer(status=500)
    feed = add_feed("rss", feed_server.url("/rss"), name="forum", interval_seconds=120)
    waits = []
    for _ in range(4):
        feed.refresh_from_db()
        waits.append(round((feed.next_poll_at - feed.last_error_at).total_seconds()))
        poll(feed)

    assert waits == [120, 240, 300, 300]


def test_failures_back_off_up_to_the_cap_then_disable_the_feed_until_cleared(feed_server, settings):
    settings.SW_FEED_BACKOFF_MAX_SECONDS = 300
    feed_server.routes["/rss"] = Answer(status=500)
    feed = add_feed("rss", feed_server.url("/rss"), name="forum", interval_seconds=120)
    waits = []
    for _ in range(2):
        feed.refresh_from_db()
        waits.append((feed.next_poll_at - feed.last_error_at).total_seconds())
        poll(feed)
    feed.refresh_from_db()

    assert [round(wait) for wait in waits] == [120, 240]
    assert feed.status == Feed.Status.DISABLED and feed.failure_count == 3
    assert poll(feed).outcome == "skipped"
    assert not Feed.objects.due(timezone.now() + timedelta(days=2)).filter(pk=feed.pk).exists()

    feed_server.routes["/rss"] = fixture("rss.xml")
    services.feed_clear(feed=feed)  # cleared, and polled again at once

    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY and feed.failure_count == 0
    assert len(stored(feed)) == 3


def test_a_redirect_to_a_private_address_is_refused(feed_server, network, settings):
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    network.answers["feeds.example"] = [[PUBLIC_ADDRESS]]
    network.public_goes_to = feed_server.httpd.server_address[1]
    feed_server.routes["/rss"] = Answer(
        status=302, headers={"Location": feed_server.url("/internal")}
    )
    feed_server.routes["/internal"] = fixture("rss.xml")
    feed = add_feed("rss", "http://feeds.example/rss", name="forum")

    feed.refresh_from_db()
    assert feed.last_error.startswith("refused:")
    assert feed_server.asked_for("/internal") == []
    assert stored(feed) == []


def test_a_feed_on_a_private_address_cannot_be_added(settings):
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(ApplicationError) as refused:
        add_feed("rss", "http://127.0.0.1:9/rss", name="internal")
    assert refused.value.field == "target"
    assert not Feed.objects.exists()


def test_one_failing_feed_never_holds_up_the_others(feed_server):
    feed_server.routes["/slow"] = Answer(body=b"", delay=2.5)
    feed_server.routes["/rss"] = fixture("rss.xml")
    broken = Feed.objects.create(kind="rss", target=feed_server.url("/slow"), name="slow")
    healthy = Feed.objects.create(kind="rss", target=feed_server.url("/rss"), name="forum")

    queued = services.feeds_poll_due()

    assert sorted(queued) == sorted([broken.pk, healthy.pk])
    broken.refresh_from_db()
    healthy.refresh_from_db()
    assert broken.status == Feed.Status.FAILING and "timed out" in broken.last_error
    assert healthy.status == Feed.Status.HEALTHY and len(stored(healthy)) == 3
    # Each is due again at its own time, not at the next beat.
    assert services.feeds_poll_due() == []


def test_a_suppliers_feed_brings_posts_about_that_supplier_only(feed_server, initech, umbrella):
    """Otherwise a supplier could put complaints about a competitor into the competitor's incidents."""
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.NAME, text="Initech")
    SupplierAliasFactory(supplier=umbrella, kind=SupplierAlias.Kind.NAME, text="Umbrella Packaging")
    feed_server.routes["/rss"] = fixture("rss.xml")
    theirs = add_feed("rss", feed_server.url("/rss"), name="initech-forum", supplier=initech)

    assert stored(theirs) == ["forum-101", "https://forum.example.com/t/undated/103"]
    theirs.refresh_from_db()
    assert theirs.items_rejected == 2
    assert not PostMatch.objects.filter(supplier=umbrella).exists()

    # An operator's feed brings posts about any supplier.
    feed_server.routes["/ops"] = Answer(
        body=fixture("rss.xml").body.replace(b"forum.example.com", b"forum.example.org"),
        headers={"Content-Type": "application/rss+xml"},
    )
    everyone = add_feed("rss", feed_server.url("/ops"), name="operators-forum")
    assert "forum-102" in stored(everyone)
    assert PostMatch.objects.filter(supplier=umbrella).exists()


def test_beat_polls_the_due_feeds_through_their_own_tasks(feed_server, settings):
    from supplierwatch.celery import app

    app.loader.import_default_modules()  # the worker's autodiscovery of the apps' tasks
    entry = settings.CELERY_BEAT_SCHEDULE["poll-due-feeds"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 60
    feed_server.routes["/rss"] = fixture("rss.xml")
    feed = Feed.objects.create(kind="rss", target=feed_server.url("/rss"), name="forum")

    # Run here (eagerly, its feeds' tasks too): a result's get() refuses to block in a process
    # where an earlier test started a worker.
    assert app.tasks[entry["task"]].apply().result == 1

    assert len(stored(feed)) == 3
