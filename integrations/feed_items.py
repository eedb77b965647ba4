"""What a feed's answer holds: RSS and Atom documents (feedparser), Mastodon's and Bluesky's API
pages, each turned into items shaped as public posts, with the cursor to ask from next time.

Plain Python with no Django import: tested without a database or a network. The items are shaped
here, never judged: each goes through incidents.inputs.clean_public_post (through posts_ingest),
which refuses what cannot be stored (a date in the year 9999, a text too long, a bad address).
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import feedparser
from feedparser.urls import make_safe_absolute_uri

from incidents.inputs import EXTERNAL_ID_MAX, HANDLE_MAX, TEXT_MAX

# Items asked for per page of a paged API (both allow up to 40 and 100).
MASTODON_PAGE = 40
BLUESKY_PAGE = 50
QUERY_MAX = 200


class FeedFormatError(ValueError):
    """The answer is not the document or page it should be (malformed XML or JSON, a wrong shape)."""


@dataclass(frozen=True)
class FeedItem:
    external_id: str
    text: str
    # A datetime, an ISO 8601 string as the API gave it, or None (dated when stored).
    published_at: datetime | str | None
    author_handle: str
    url: str

    def as_row(self) -> dict[str, Any]:
        """The item as a public post's raw values, for clean_public_post."""
        return {
            "external_id": self.external_id,
            "text": self.text,
            "published_at": self.published_at,
            "author_handle": self.author_handle,
            "url": self.url,
        }


@dataclass(frozen=True)
class Page:
    items: list[FeedItem] = field(default_factory=list)
    # Where the next request starts: Mastodon's newest id, Bluesky's next page; None when no more.
    next_cursor: str | None = None
    # Bluesky: the newest time the AppView indexed a post of this page (the next poll's `since`).
    newest: str | None = None


# --- text --------------------------------------------------------------------------------------

_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "blockquote",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
}
_SKIPPED = {"script", "style", "template", "head"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML fragment: tags dropped (scripts and styles with their content),
    entities decoded, a line per paragraph, runs of spaces made one."""
    if "<" not in html and "&" not in html:
        return " ".join(html.split())
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _joined(*parts: str) -> str:
    """Title and body as one text, the title once when the body repeats it; cut to what a post
    may hold (a feed's whole article is more than a complaint needs)."""
    texts: list[str] = []
    for part in parts:
        part = part.strip()
        if part and not any(part in seen for seen in texts):
            texts.append(part)
    return "\n\n".join(texts)[:TEXT_MAX]


def _external_id(*candidates: Any, fallback: str) -> str:
    """The first id given, or a digest of `fallback` (an item with no id is still one item on
    every poll); an id too long to store is stored as its digest."""
    for candidate in candidates:
        if isinstance(candidate, int | str) and str(candidate).strip():
            value = str(candidate).strip()
            if len(value) <= EXTERNAL_ID_MAX:
                return value
            return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return "sha256:" + hashlib.sha256(fallback.encode("utf-8", "replace")).hexdigest()


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# --- RSS and Atom ------------------------------------------------------------------------------

# feedparser's complaints that do not make a document malformed: it was read all the same.
_HARMLESS = ("CharacterEncodingOverride", "NonXMLContentType")


def _struct_time(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError):
        # Beyond what datetime holds: kept as the year it says, so that clean_time refuses it.
        return datetime(min(max(value.tm_year, 1), 9999), 12, 31, tzinfo=UTC)


def _resolved(value: str, base_url: str) -> str:
    """A relative id or link of an item resolved against the feed's address, as feedparser
    resolves them when given it (its own function, so that every id stays what it was)."""
    return make_safe_absolute_uri(base_url, value) if value and base_url else value


def _entry_id(entry: Mapping[str, Any], base_url: str) -> str:
    """An entry's id, an RSS guid that is a permalink resolved like a link (feedparser did so
    when it was given the feed's address: the ids already stored stay the same)."""
    entry_id = _string(entry.get("id"))
    return _resolved(entry_id, base_url) if entry.get("guidislink") else entry_id


def _absolute_http(link: str) -> str:
    """An item's address if it is an absolute http(s) one, else none: an odd link is no reason to
    lose the item."""
    return link if urlsplit(link).scheme.lower() in ("http", "https") else ""


def parse_rss_atom(body: bytes, content_type: str = "", base_url: str = "") -> list[FeedItem]:
    """The items of an RSS or Atom document, whatever its declared encoding, their links resolved
    against `base_url` (the feed's address); FeedFormatError when it is not one (malformed XML,
    HTML, JSON)."""
    parsed = feedparser.parse(
        body,
        # The feed's address is not given as Content-Location: feedparser would then resolve
        # every element against it (a quarter of the time of a feed of 1,000 items), when only
        # the items' ids and links need it (_resolved). xml:base is honoured all the same.
        response_headers={"content-type": content_type} if content_type else None,
        # The HTML is reduced to text (html_to_text), so cleaning it first is work for nothing.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and type(problem).__name__ not in _HARMLESS:
        raise FeedFormatError(f"malformed XML: {problem}")
    if not parsed.get("version"):
        raise FeedFormatError("not an RSS or Atom document")
    items = []
    for entry in parsed.entries:
        title = html_to_text(_string(entry.get("title")))
        contents = entry.get("content") or []
        body_html = _string(contents[0].get("value")) if contents else ""
        text = _joined(title, html_to_text(body_html or _string(entry.get("summary"))))
        link = _absolute_http(_resolved(_string(entry.get("link")).strip(), base_url))
        published = _struct_time(entry.get("published_parsed")) or _struct_time(
            entry.get("updated_parsed")
        )
        items.append(
            FeedItem(
                external_id=_external_id(_entry_id(entry, base_url), link, fallback=text),
                text=text,
                published_at=published,
                author_handle=_string(entry.get("author"))[:HANDLE_MAX],
                url=link,
            )
        )
    return items


# --- JSON pages --------------------------------------------------------------------------------


def _declared_charset(content_type: str) -> str:
    """The charset a Content-Type names, if Python knows it; "" otherwise."""
    message = Message()
    message["Content-Type"] = content_type
    charset = message.get_content_charset() or ""
    try:
        return codecs.lookup(charset).name if charset else ""
    except LookupError:
        return ""


def _json(body: bytes, content_type: str = "") -> Any:
    """A JSON answer in the charset its Content-Type declares (a byte order mark aside), or else
    in UTF-8 (or the UTF-16 or 32 its first bytes show), as JSON is written."""
    try:
        charset = _declared_charset(content_type)
        return json.loads(body.decode(charset).removeprefix("\ufeff") if charset else body)
    except (UnicodeDecodeError, RecursionError, ValueError) as error:
        raise FeedFormatError(f"malformed JSON: {error}") from None


def _id_order(value: str) -> tuple[int, str]:
    """Mastodon's ids are numbers written as text: a longer one is a later one."""
    return (len(value), value)


@dataclass(frozen=True)
class MastodonTarget:
    base: str  # https://instance
    tag: str = ""
    query: str = ""

    def request(self, *, cursor: str, limit: int = MASTODON_PAGE) -> tuple[str, dict[str, str]]:
        """The URL and parameters of the page after `cursor` (the first page: the latest)."""
        params = {"limit": str(limit)}
        if cursor:
            # min_id: the statuses just after the cursor, so page after page moves forward.
            params["min_id"] = cursor
        if self.tag:
            return f"{self.base}/api/v1/timelines/tag/{quote(self.tag, safe='')}", params
        params.update(q=self.query, type="statuses", resolve="false")
        return f"{self.base}/api/v2/search", params


def mastodon_target(target: str) -> MastodonTarget:
    """`https://instance/tags/TAG` (a hashtag) or `https://instance/search?q=WORDS` (a search);
    ValueError saying which forms are understood."""
    parts = urlsplit(target.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected https://instance/tags/TAG or https://instance/search?q=WORDS")
    base = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.rstrip("/")
    if match := re.fullmatch(r"/tags/([^/]+)", path):
        tag = match.group(1).lstrip("#")
        if tag:
            return MastodonTarget(base=base, tag=tag[:QUERY_MAX])
    if path == "/search":
        query = " ".join(parse_qs(parts.query).get("q", [""])[0].split())
        if query:
            return MastodonTarget(base=base, query=query[:QUERY_MAX])
    raise ValueError("expected https://instance/tags/TAG or https://instance/search?q=WORDS")


def parse_mastodon(body: bytes, content_type: str = "", *, cursor: str = "") -> Page:
    """A timeline page (a list of statuses) or a search answer ({"statuses": [...]}); the next
    cursor is the newest id seen, or None when the page moved nothing forward."""
    data = _json(body, content_type)
    statuses = data.get("statuses") if isinstance(data, Mapping) else data
    if not isinstance(statuses, list):
        raise FeedFormatError("expected a list of statuses")
    items, newest = [], cursor
    for status in statuses:
        if not isinstance(status, Mapping):
            raise FeedFormatError("expected a list of statuses")
        status_id = status.get("id")
        if isinstance(status_id, int | str) and str(status_id):
            status_id = str(status_id)
            if not newest or _id_order(status_id) > _id_order(newest):
                newest = status_id
        account = _mapping(status.get("account"))
        text = _joined(
            _string(status.get("spoiler_text")), html_to_text(_string(status.get("content")))
        )
        url = _string(status.get("url")) or _string(status.get("uri"))
        items.append(
            FeedItem(
                external_id=_external_id(status_id, status.get("uri"), fallback=text),
                text=text,
                published_at=_string(status.get("created_at")) or None,
                author_handle=_string(account.get("acct")) or _string(account.get("username")),
                url=url,
            )
        )
    moved = bool(newest) and newest != cursor
    return Page(items=items, next_cursor=newest if moved else None)


# A search sorts posts by the earlier of their author's clock (createdAt) and their index time, so
# a post indexed just after a poll may sort before that poll's newest post. Each search asks again
# from this long before it: the posts already stored are skipped, the late ones found.
BLUESKY_OVERLAP = timedelta(minutes=5)


def _before(moment: str, by: timedelta) -> str:
    """An ISO 8601 time `by` earlier, in the AppView's form; as it is when unreadable."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    earlier = (parsed - by).astimezone(UTC)
    return earlier.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def bluesky_request(
    *, appview: str, query: str, since: str, page_cursor: str, limit: int = BLUESKY_PAGE
) -> tuple[str, dict[str, str]]:
    """app.bsky.feed.searchPosts, newest first, from a little before `since` on (the last poll's
    newest post; BLUESKY_OVERLAP)."""
    params = {"q": query, "sort": "latest", "limit": str(limit)}
    if since:
        params["since"] = _before(since, BLUESKY_OVERLAP)
    if page_cursor:
        params["cursor"] = page_cursor
    return f"{appview.rstrip('/')}/xrpc/app.bsky.feed.searchPosts", params


def parse_bluesky(body: bytes, content_type: str = "") -> Page:
    """A searchPosts answer: its posts, the cursor of the next (older) page, the newest index time."""
    data = _json(body, content_type)
    posts = data.get("posts") if isinstance(data, Mapping) else None
    if not isinstance(posts, list):
        raise FeedFormatError("expected an object with a list of posts")
    items, newest = [], ""
    for post in posts:
        if not isinstance(post, Mapping):
            raise FeedFormatError("expected an object with a list of posts")
        record = _mapping(post.get("record"))
        author = _mapping(post.get("author"))
        uri = _string(post.get("uri"))
        handle = _string(author.get("handle"))
        rkey = uri.rsplit("/", 1)[-1] if uri.count("/") >= 4 else ""
        profile = handle or _string(author.get("did"))
        url = f"https://bsky.app/profile/{profile}/post/{rkey}" if profile and rkey else ""
        indexed = _string(post.get("indexedAt"))
        newest = max(newest, indexed)
        text = _joined(_string(record.get("text")))
        items.append(
            FeedItem(
                external_id=_external_id(uri, post.get("cid"), fallback=text),
                text=text,
                published_at=_string(record.get("createdAt")) or indexed or None,
                author_handle=handle,
                url=url,
            )
        )
    next_cursor = data.get("cursor")
    return Page(
        items=items,
        next_cursor=next_cursor if isinstance(next_cursor, str) and next_cursor and posts else None,
        newest=newest or None,
    )


def bluesky_query(target: str) -> str:
    query = " ".join(target.split())
    if not query or len(query) > QUERY_MAX:
        raise ValueError(f"a search of 1 to {QUERY_MAX} characters")
    return query
