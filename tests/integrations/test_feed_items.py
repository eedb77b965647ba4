"""What a feed's answer becomes: items shaped as public posts, with the cursor to go on from, and
the health arithmetic. No database, no network."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from incidents.inputs import clean_public_post
from integrations.feed_health import (
    backoff_seconds,
    delay_after_failure,
    is_disabled_after,
    retry_after_seconds,
)
from integrations.feed_items import (
    FeedFormatError,
    bluesky_request,
    html_to_text,
    mastodon_target,
    parse_bluesky,
    parse_mastodon,
    parse_rss_atom,
)
from integrations.inputs import clean_feed
from supplierwatch.inputs import InputError

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_rss_items_become_public_posts_with_html_reduced_to_text():
    items = parse_rss_atom(fixture("rss.xml"), "application/rss+xml")
    assert [item.external_id for item in items][:2] == ["forum-101", "forum-102"]
    first = items[0]
    assert first.text == (
        "Initech housings cracked again\n\n"
        "Our last three deliveries from @initech had cracked housings & missing certificates.\n"
        "Anyone else?"
    )
    assert "alert" not in first.text
    assert first.author_handle == "pat_buyer"
    assert first.url == "https://forum.example.com/t/initech-housings-cracked/101"
    assert first.published_at == datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def test_an_rss_item_without_id_is_known_by_its_link_and_without_date_is_dated_when_stored():
    undated = parse_rss_atom(fixture("rss.xml"))[2]
    assert undated.external_id == "https://forum.example.com/t/undated/103"
    assert undated.published_at is None
    assert clean_public_post(undated.as_row()).published_at is None  # the service dates it


def test_an_item_dated_in_the_year_9999_is_refused_by_the_one_validation_of_posts():
    future = parse_rss_atom(fixture("rss.xml"))[3]
    with pytest.raises(InputError) as refused:
        clean_public_post(future.as_row())
    assert refused.value.field == "published_at"


def test_an_item_with_neither_id_nor_link_gets_the_same_id_on_every_poll():
    body = b'<rss version="2.0"><channel><title>t</title><item><description>Initech late</description></item></channel></rss>'
    assert parse_rss_atom(body)[0].external_id == parse_rss_atom(body)[0].external_id
    assert parse_rss_atom(body)[0].external_id.startswith("sha256:")


def test_atom_entries_are_read_with_their_zone():
    (entry,) = parse_rss_atom(fixture("atom.xml"))
    assert entry.external_id == "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    assert entry.text.startswith("Initech: defective bearings\n\nBatch L-2291")
    assert entry.published_at == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    assert entry.author_handle == "Quality Reviewer"


def test_a_feed_in_another_encoding_is_read_as_it_declares():
    (item,) = parse_rss_atom(fixture("rss_latin1.xml"))
    assert item.text == "Initech: pièces défectueuses\n\nLivraison en retard, qualité médiocre."


@pytest.mark.parametrize(
    "body",
    [
        fixture("malformed.xml"),
        b'{"posts": []}',
        b"<html><body>Not a feed</body></html>",
        b"",
    ],
)
def test_what_is_no_rss_or_atom_document_is_refused(body):
    with pytest.raises(FeedFormatError):
        parse_rss_atom(body)


def test_html_to_text_keeps_words_and_paragraphs_only():
    html = "<div><p>One &amp; two</p><style>p{}</style><ul><li>three</li><li>four&nbsp;five</li></ul></div>"
    assert html_to_text(html) == "One & two\nthree\nfour\xa0five".replace("\xa0", " ")


def test_a_mastodon_page_gives_its_statuses_and_the_newest_id_as_cursor():
    page = parse_mastodon(fixture("mastodon_tag_latest.json"))
    assert [item.external_id for item in page.items] == [
        "109000000000000103",
        "109000000000000102",
    ]
    assert page.next_cursor == "109000000000000103"
    assert page.items[0].text == "Third #initech delivery this month with cracked housings."
    assert page.items[1].text == "quality rant\n\n#initech parts out of spec & late"
    assert page.items[1].author_handle == "ben@other.example"


def test_a_mastodon_page_that_moves_nothing_forward_has_no_next_cursor():
    assert parse_mastodon(b"[]", cursor="7").next_cursor is None
    assert (
        parse_mastodon(fixture("mastodon_tag_latest.json"), cursor="109000000000000103").next_cursor
        is None
    )


def test_a_mastodon_search_answer_is_read_like_a_timeline():
    page = parse_mastodon(fixture("mastodon_search.json"))
    assert [item.text for item in page.items] == ["Initech Components sent damaged goods"]


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("utf-8-sig", "application/json; charset=utf-8"),
        ("utf-8-sig", "application/json"),
        ("utf-16", "application/json; charset=UTF-16"),
        ("latin-1", "application/json; charset=ISO-8859-1"),
        ("utf-8", "application/json; charset=no-such-charset"),
    ],
)
def test_a_json_page_is_read_in_the_charset_it_declares_byte_order_mark_or_not(
    encoding, content_type
):
    body = '[{"id": "1", "content": "<p>pièces défectueuses</p>"}]'.encode(encoding)
    (item,) = parse_mastodon(body, content_type).items
    assert item.text == "pièces défectueuses"


@pytest.mark.parametrize("body", [b"{not json", b'{"statuses": 3}', b"[1, 2]", b"\xff\xfe\xfa"])
def test_malformed_mastodon_answers_are_refused(body):
    with pytest.raises(FeedFormatError):
        parse_mastodon(body)


def test_mastodon_targets_are_a_hashtag_page_or_a_search():
    tag = mastodon_target("https://fosstodon.example/tags/initech")
    assert tag.request(cursor="") == (
        "https://fosstodon.example/api/v1/timelines/tag/initech",
        {"limit": "40"},
    )
    assert tag.request(cursor="9")[1]["min_id"] == "9"
    search = mastodon_target("https://social.example/search?q=initech+cracked")
    url, params = search.request(cursor="")
    assert url == "https://social.example/api/v2/search"
    assert params["q"] == "initech cracked" and params["type"] == "statuses"
    with pytest.raises(ValueError):
        mastodon_target("https://social.example/@initech")


def test_a_bluesky_page_gives_posts_with_their_web_address_and_the_next_page():
    page = parse_bluesky(fixture("bluesky_page1.json"))
    assert page.next_cursor == "page-2"
    assert page.newest == "2026-11-30T10:03:01.000Z"
    first = page.items[0]
    assert first.external_id == "at://did:plc:aaa/app.bsky.feed.post/3kpost3"
    assert first.url == "https://bsky.app/profile/ana.bsky.social/post/3kpost3"
    assert first.author_handle == "ana.bsky.social"
    assert parse_bluesky(fixture("bluesky_page2.json")).next_cursor is None


def test_bluesky_searches_go_on_from_a_little_before_the_last_polls_newest_post():
    """A post sorts by the earlier of its author's clock and its index time: one indexed just
    after the last poll may sort before that poll's newest post, and is found all the same."""
    url, params = bluesky_request(
        appview="https://public.api.bsky.app/",
        query="initech",
        since="2026-11-30T10:00:00Z",
        page_cursor="c2",
    )
    assert url == "https://public.api.bsky.app/xrpc/app.bsky.feed.searchPosts"
    assert params == {
        "q": "initech",
        "sort": "latest",
        "limit": "50",
        "since": "2026-11-30T09:55:00.000Z",
        "cursor": "c2",
    }


def test_backoff_doubles_from_the_interval_up_to_the_cap():
    delays = [backoff_seconds(failures=n, interval=300, cap=3600) for n in range(1, 7)]
    assert delays == [300, 600, 1200, 2400, 3600, 3600]


def test_retry_after_is_honoured_in_seconds_or_as_a_date_within_a_day():
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now=now) == 120
    assert retry_after_seconds("Tue, 01 Dec 2026 10:05:00 GMT", now=now) == 300
    assert retry_after_seconds("99999999", now=now) == 24 * 3600
    assert retry_after_seconds("soon", now=now) is None
    assert delay_after_failure(failures=1, interval=60, cap=3600, retry_after=900) == 900


def test_a_feed_is_disabled_after_the_failures_allowed():
    assert not is_disabled_after(7, disable_after=8)
    assert is_disabled_after(8, disable_after=8)


def test_a_feed_is_validated_once_naming_the_field_at_fault():
    feed = clean_feed(
        kind="mastodon", target="https://fosstodon.example/tags/initech", min_interval=60
    )
    assert feed.name == "mastodon-fosstodon-example-tags-initech"
    assert feed.interval_seconds == 900
    with pytest.raises(InputError) as refused:
        clean_feed(kind="rss", target="ftp://example.com/feed", min_interval=60)
    assert refused.value.field == "target"
    with pytest.raises(InputError) as refused:
        clean_feed(kind="rss", target="https://example.com/f", name="Bad Name!", min_interval=60)
    assert refused.value.field == "name"
    with pytest.raises(InputError) as refused:
        clean_feed(kind="bluesky", target="initech", interval_seconds=5, min_interval=60)
    assert refused.value.field == "interval_seconds"
    with pytest.raises(InputError) as refused:
        clean_feed(kind="twitter", target="x", min_interval=60)
    assert refused.value.field == "kind"


def test_relative_links_are_resolved_against_the_feeds_address_and_odd_ones_dropped():
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><guid>1</guid><link>/t/1</link><description>Initech late</description></item>"
        b"<item><guid>2</guid><link>javascript:alert(1)</link><description>Initech late</description></item>"
        b"</channel></rss>"
    )
    first, second = parse_rss_atom(
        body, "application/rss+xml", "https://forum.example.com/feed.rss"
    )
    assert first.url == "https://forum.example.com/t/1"
    assert second.url == "" and clean_public_post(second.as_row()).url == ""
