"""Feeds whose answers are odd but readable, polled from a local server: items with neither id nor
link, and text in other encodings than UTF-8, declared by the document or by its Content-Type.
Each is stored once, with its words as written."""

from __future__ import annotations

import json

import pytest

from incidents.models import Post
from integrations import services
from integrations.models import Feed
from tests.integrations.feedserver import Answer

pytestmark = pytest.mark.django_db(transaction=True)

NO_ID_NOR_LINK = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quality board</title>
<item><description>Initech housings arrived cracked, no certificate.</description></item>
<item><title>Initech late again</title><pubDate>Mon, 30 Nov 2026 09:15:00 GMT</pubDate></item>
</channel></rss>"""


def add_feed(kind: str, target: str, name: str) -> Feed:
    return services.feed_create(kind=kind, target=target, name=name).feed


def texts(feed: Feed) -> list[str]:
    return sorted(Post.objects.filter(source=feed.source).values_list("text", flat=True))


def test_items_with_neither_id_nor_link_are_stored_once_however_often_polled(feed_server):
    feed_server.routes["/board"] = Answer(
        body=NO_ID_NOR_LINK, headers={"Content-Type": "application/rss+xml"}
    )
    feed = add_feed("rss", feed_server.url("/board"), name="board")  # polled once when added

    again = services.feed_poll(feed_id=feed.pk)

    assert again.outcome == "ok" and again.stored == 0 and again.duplicates == 2
    assert texts(feed) == [
        "Initech housings arrived cracked, no certificate.",
        "Initech late again",
    ]
    assert all(
        external_id.startswith("sha256:")
        for external_id in Post.objects.filter(source=feed.source).values_list(
            "external_id", flat=True
        )
    )


def test_an_rss_feed_whose_encoding_only_its_content_type_names_is_read_in_it(feed_server):
    body = (
        '<rss version="2.0"><channel><title>Forum</title><item><guid>w-1</guid>'
        "<title>Initech: qualité médiocre – 3 € de remise</title></item></channel></rss>"
    ).encode("cp1252")
    feed_server.routes["/forum"] = Answer(
        body=body, headers={"Content-Type": "text/xml; charset=windows-1252"}
    )
    feed = add_feed("rss", feed_server.url("/forum"), name="forum-cp1252")

    assert texts(feed) == ["Initech: qualité médiocre – 3 € de remise"]


def test_a_mastodon_page_in_the_charset_its_content_type_declares_is_read_in_it(feed_server):
    statuses = [
        {
            "id": "71",
            "created_at": "2026-11-30T09:00:00Z",
            "url": "https://social.example/@eve/71",
            "content": "<p>Initech: pièces défectueuses, livraison en retard</p>",
            "account": {"acct": "eve"},
        }
    ]
    feed_server.routes["/api/v1/timelines/tag/initech"] = Answer(
        body=json.dumps(statuses, ensure_ascii=False).encode("latin-1"),
        headers={"Content-Type": "application/json; charset=ISO-8859-1"},
    )
    feed = add_feed("mastodon", feed_server.url("/tags/initech"), name="social-fr")

    feed.refresh_from_db()
    assert feed.status == Feed.Status.HEALTHY, feed.last_error
    assert texts(feed) == ["Initech: pièces défectueuses, livraison en retard"]


def test_a_bluesky_page_in_utf16_is_read(feed_server, settings):
    settings.SW_BLUESKY_APPVIEW_URL = feed_server.url("")
    page = {
        "posts": [
            {
                "uri": "at://did:plc:abc/app.bsky.feed.post/3kutf16",
                "cid": "c1",
                "author": {"handle": "jo.bsky.social"},
                "record": {"text": "Initech: 不良品が届いた", "createdAt": "2026-11-30T09:00:00Z"},
                "indexedAt": "2026-11-30T09:00:01Z",
            }
        ]
    }
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts"] = Answer(
        body=json.dumps(page, ensure_ascii=False).encode("utf-16"),
        headers={"Content-Type": "application/json"},
    )
    feed = add_feed("bluesky", "initech", name="bluesky-ja")

    assert texts(feed) == ["Initech: 不良品が届いた"]
