"""The portal's feeds page: a supplier's admins add their supplier's feeds, see their health, poll
one now and clear one that failed. Nobody else sees them; another supplier's feed is a 404.
Operators manage every feed in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Post
from integrations import services
from integrations.models import Feed
from tests.integrations.feedserver import Answer, fixture

FEEDS = "/portal/feeds/"


def umbrella_feed(umbrella) -> Feed:
    return Feed.objects.create(
        kind="rss", target="https://umbrella.example/rss", name="umbrella-news", supplier=umbrella
    )


@pytest.mark.django_db
def test_only_a_suppliers_admins_open_its_feeds_page(client, ivy, carol, alice, dave):
    for person, status in ((ivy, 200), (carol, 403), (alice, 403), (dave, 403)):
        client.force_login(person)
        assert client.get(FEEDS).status_code == status, person.email


@pytest.mark.django_db
def test_an_admin_sees_only_their_suppliers_feeds(
    client, ivy, initech, umbrella, django_assert_max_num_queries
):
    for n in range(5):
        Feed.objects.create(
            kind="rss", target=f"https://initech.example/{n}", name=f"initech-{n}", supplier=initech
        )
    Feed.objects.create(kind="rss", target="https://ops.example/rss", name="operators-feed")
    umbrella_feed(umbrella)
    client.force_login(ivy)

    with django_assert_max_num_queries(12):
        page = client.get(FEEDS).content.decode()

    assert page.count('id="feed-') == 5
    assert "umbrella-news" not in page and "operators-feed" not in page


@pytest.mark.django_db
def test_another_suppliers_feed_cannot_be_polled_or_cleared(client, ivy, umbrella):
    other = umbrella_feed(umbrella)
    client.force_login(ivy)
    assert client.post(reverse("portal-feed-poll", args=[other.pk])).status_code == 404
    assert client.post(reverse("portal-feed-clear", args=[other.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_an_admin_adds_a_feed_which_is_polled_at_once(client, ivy, initech, feed_server):
    feed_server.routes["/rss"] = fixture("rss.xml")
    client.force_login(ivy)

    answer = client.post(
        FEEDS,
        {
            "kind": "rss",
            "target": feed_server.url("/rss"),
            "name": "forum",
            "interval_seconds": "600",
        },
    )

    assert answer.status_code == 302
    feed = Feed.objects.get(name="forum")
    assert feed.supplier == initech and feed.created_by == ivy
    # A supplier's feed's posts come from its supplier's slug and its name.
    assert feed.source == "initech-components-forum"
    assert Post.objects.filter(source="initech-components-forum").count() == 3
    page = client.get(FEEDS).content.decode()
    assert "healthy" in page and "3 stored of 4 seen" in page


@pytest.mark.django_db
def test_a_bad_feed_is_refused_beside_its_field(client, ivy):
    client.force_login(ivy)
    answer = client.post(
        FEEDS, {"kind": "mastodon", "target": "https://fosstodon.example/@initech"}
    )
    assert answer.status_code == 400
    assert "expected https://instance/tags/TAG" in answer.content.decode()
    assert not Feed.objects.exists()


@pytest.mark.django_db
def test_an_inbound_webhooks_secret_is_shown_once(client, ivy):
    client.force_login(ivy)
    answer = client.post(FEEDS, {"kind": "webhook", "name": "scraper"})
    feed = Feed.objects.get(name="scraper")
    assert feed.secret in answer.content.decode()
    assert f"/api/v1/feeds/inbound/{feed.inbound_token}/" in answer.content.decode()
    assert feed.secret not in client.get(FEEDS).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_disabled_feed_shows_why_and_is_cleared_by_an_admin(
    client, ivy, initech, feed_server, settings
):
    settings.SW_FEED_DISABLE_AFTER = 1
    feed_server.routes["/rss"] = Answer(status=500)
    feed = services.feed_create(
        kind="rss", target=feed_server.url("/rss"), name="forum", supplier=initech
    ).feed
    client.force_login(ivy)

    page = client.get(FEEDS).content.decode()
    assert "disabled" in page and "HTTP 500 Internal Server Error" in page
    assert "No poll has succeeded yet." in page
    assert "Poll now" not in page

    feed_server.routes["/rss"] = fixture("rss.xml")
    client.post(reverse("portal-feed-clear", args=[feed.pk]))

    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY
    assert Post.objects.filter(source=feed.source).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_failing_feed_says_when_it_last_worked(client, ivy, initech, feed_server):
    feed_server.routes["/rss"] = [fixture("rss.xml"), Answer(status=503)]
    feed = services.feed_create(
        kind="rss", target=feed_server.url("/rss"), name="forum", supplier=initech
    ).feed
    services.feed_poll(feed_id=feed.pk)
    feed.refresh_from_db()
    client.force_login(ivy)

    row = client.get(FEEDS).content.decode().split(f'id="feed-{feed.pk}"')[1].split("</tr>")[0]

    assert "failing" in row and "HTTP 503 Service Unavailable" in row
    assert f"Last success {feed.last_success_at:%Y-%m-%d %H:%M} UTC." in row


@pytest.mark.django_db(transaction=True)
def test_an_operator_adds_a_feed_in_the_admin_and_polls_it(op, feed_server):
    feed_server.routes["/rss"] = fixture("rss.xml")
    answer = op.post(
        reverse("admin:integrations_feed_add"),
        {
            "kind": "rss",
            "target": feed_server.url("/rss"),
            "name": "",
            "interval_seconds": "",
            "supplier": "",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    feed = Feed.objects.get()
    assert feed.supplier is None and feed.name.startswith("rss-127-0-0-1")
    assert Post.objects.filter(source=feed.name).count() == 3

    changed = op.post(
        reverse("admin:integrations_feed_changelist"),
        {"action": "poll_now", "_selected_action": [feed.pk]},
    )
    assert changed.status_code == 302
    feed.refresh_from_db()
    assert feed.items_seen == 8


@pytest.mark.django_db
def test_the_admin_refuses_a_bad_feed_beside_its_field(op):
    answer = op.post(
        reverse("admin:integrations_feed_add"),
        {"kind": "bluesky", "target": "", "name": "", "interval_seconds": "", "supplier": ""},
    )
    assert answer.status_code == 200
    assert "a search of 1 to 200 characters" in answer.content.decode()
    assert not Feed.objects.exists()


@pytest.mark.django_db
def test_the_admin_refuses_a_poll_interval_out_of_range_beside_its_field(op, settings):
    """The change form applies the rule a new feed's interval is checked by, rather than a 500."""
    settings.SW_FEED_MIN_INTERVAL_SECONDS = 60
    feed = Feed.objects.create(kind="rss", target="https://ops.example/rss", name="forum")
    change = reverse("admin:integrations_feed_change", args=[feed.pk])

    refused = op.post(change, {"interval_seconds": "5"})

    assert refused.status_code == 200
    assert "expected a number from 60 to 86400" in refused.content.decode()
    feed.refresh_from_db()
    assert feed.interval_seconds == 900

    assert op.post(change, {"interval_seconds": "120"}).status_code == 302
    feed.refresh_from_db()
    assert feed.interval_seconds == 120


@pytest.mark.django_db(transaction=True)
def test_an_operator_clears_a_disabled_feed_in_the_admin(op, feed_server, settings):
    settings.SW_FEED_DISABLE_AFTER = 1
    feed_server.routes["/rss"] = Answer(status=500)
    feed = services.feed_create(kind="rss", target=feed_server.url("/rss"), name="forum").feed
    feed.refresh_from_db()
    assert feed.status == Feed.Status.DISABLED
    feed_server.routes["/rss"] = fixture("rss.xml")

    answer = op.post(
        reverse("admin:integrations_feed_changelist"),
        {"action": "clear", "_selected_action": [feed.pk]},
    )

    assert answer.status_code == 302
    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY and feed.failure_count == 0
    assert feed.disabled_at is None
    assert Post.objects.filter(source=feed.source).count() == 3  # polled again at once
