"""`manage.py feeds`: operators' scripts add feeds, list their health and poll them now."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidents.models import Post
from integrations.models import Feed
from tests.integrations.feedserver import Answer, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def feeds(*args: str) -> str:
    out = StringIO()
    call_command("feeds", *args, stdout=out)
    return out.getvalue()


def test_an_operator_adds_lists_and_polls_feeds_from_the_command_line(feed_server, initech):
    feed_server.routes["/rss"] = fixture("rss.xml")

    added = feeds("add", "rss", feed_server.url("/rss"), "--name", "forum", "--interval", "600")

    assert "Added rss feed 'forum'." in added and "healthy" in added
    assert Post.objects.filter(source="forum").count() == 3
    feed = Feed.objects.get(name="forum")
    assert feed.interval_seconds == 600 and feed.supplier is None

    listed = feeds("list")
    assert "forum  rss" in listed and "3 stored of 4 seen" in listed

    feed_server.routes["/rss"] = Answer(status=503)
    assert feeds("poll", "forum") == "forum: failed: HTTP 503 Service Unavailable\n"
    feed_server.routes["/rss"] = fixture("rss.xml")
    assert feeds("poll") == "forum: 0 stored, 3 already known, 1 refused\n"


def test_polling_from_the_command_line_prints_each_post_stored(feed_server, monkeypatch):
    from integrations.management.commands import feeds as command

    feed_server.routes["/rss"] = Answer(status=304)
    feeds("add", "rss", feed_server.url("/rss"), "--name", "forum")
    feed_server.routes["/rss"] = fixture("rss.xml")

    assert feeds("poll", "forum").splitlines() == [
        "forum: 3 stored, 0 already known, 1 refused",
        "  + forum-101  https://forum.example.com/t/initech-housings-cracked/101",
        "  + forum-102  https://forum.example.com/t/umbrella-boxes-crushed/102",
        "  + https://forum.example.com/t/undated/103  https://forum.example.com/t/undated/103",
    ]

    monkeypatch.setattr(command, "STORED_SHOWN", 1)
    Post.objects.all().delete()
    assert feeds("poll", "forum").splitlines()[1:] == [
        "  + forum-101  https://forum.example.com/t/initech-housings-cracked/101",
        "  ... and 2 more",
    ]


def test_a_supplier_feed_and_an_inbound_webhook_from_the_command_line(initech):
    added = feeds("add", "webhook", "--name", "scraper", "--supplier", initech.slug)

    feed = Feed.objects.get(name="scraper")
    assert feed.supplier == initech and feed.kind == "webhook"
    assert f"/api/v1/feeds/inbound/{feed.inbound_token}/" in added
    assert feed.secret in added


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "rss", "not a url"), r"target: not a valid http\(s\) address"),
        (("add", "mastodon", "https://fosstodon.example/@someone"), "target: expected"),
        (("add", "bluesky", "initech", "--interval", "5"), "interval_seconds"),
        (("poll", "nothing-by-that-name"), "No feed named"),
    ],
)
def test_bad_arguments_are_refused_naming_what_is_wrong(args, message):
    with pytest.raises(CommandError, match=message):
        feeds(*args)
    assert not Feed.objects.exists()
