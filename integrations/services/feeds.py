"""Feeds: adding one, polling it (outside any transaction, through the client that connects only
to an address it checked), storing its items as public posts, and its health.

A poll stores each page of items and the cursor after them in one transaction, so a worker killed
between two pages starts again from the cursor of the last page it stored: nothing is lost, and
nothing stored twice ((source, external_id) is unique, and an address another feed brought in is
skipped).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.models import Post
from incidents.services import IngestResult, posts_ingest
from suppliers.models import Supplier, User
from supplierwatch.db import TRANSIENT_ERRORS
from supplierwatch.errors import ApplicationError
from supplierwatch.outbound import (
    DestinationRefused,
    ResponseTooLarge,
    ResponseTooSlow,
    destination_refusal,
    guarded_client,
    read_limited,
)

from ..feed_health import delay_after_failure, is_disabled_after, retry_after_seconds
from ..feed_items import (
    MASTODON_PAGE,
    FeedFormatError,
    FeedItem,
    bluesky_request,
    mastodon_target,
    parse_bluesky,
    parse_mastodon,
    parse_rss_atom,
)
from ..inputs import clean_feed
from ..models import Feed
from ..signing import SignatureError, verify_signature

logger = logging.getLogger(__name__)

USER_AGENT = "supplierwatch-feeds/1 (+https://github.com/supplierwatch)"
SECRET_START = "fdsec_"
MAX_FEEDS_PER_SUPPLIER = 20
# A feed queued by the beat is not queued again for this long, unless its poll ends sooner: a lost
# task (a broker restart) delays a poll by this much, never more.
QUEUE_GRACE = timedelta(minutes=10)
_ERROR_MAX = Feed._meta.get_field("last_error").max_length or 300


@dataclass(frozen=True)
class CreatedFeed:
    feed: Feed
    # An inbound webhook's signing secret, shown once; "" for the other kinds.
    secret: str = ""


@dataclass
class PollResult:
    # ok | failed | skipped (another worker holds the feed, or it is disabled or inbound)
    outcome: str
    seen: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    error: str = ""
    post_ids: list[int] = field(default_factory=list)

    def add(self, stored: FeedStoreResult) -> None:
        self.seen += stored.seen
        self.stored += stored.ingest.accepted
        self.duplicates += stored.duplicates
        self.rejected += len(stored.ingest.rejected)
        self.post_ids += stored.ingest.post_ids


@dataclass(frozen=True)
class FeedStoreResult:
    seen: int
    ingest: IngestResult
    # Known by (source, external_id), or by an address another feed (or this one) brought in.
    duplicates: int


class FeedFetchError(Exception):
    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


# --- adding and managing ---------------------------------------------------------------------


def _destination_error(kind: str, target: str) -> str | None:
    if kind not in (Feed.Kind.RSS, Feed.Kind.MASTODON):
        return None
    parts = urlsplit(target)
    return destination_refusal(
        parts.hostname or "",
        parts.port or (443 if parts.scheme.lower() == "https" else 80),
        allow_private=settings.SW_OUTBOUND_ALLOW_PRIVATE,
    )


@transaction.atomic
def feed_create(
    *,
    kind: str,
    target: str,
    name: str = "",
    interval_seconds: int | None = None,
    supplier: Supplier | None = None,
    created_by: User | None = None,
) -> CreatedFeed:
    """A new feed, polled at once (or, for an inbound webhook, its URL token and secret).
    `supplier` None: an operator's feed for everyone. ApplicationError naming the field otherwise."""
    cleaned = clean_feed(
        kind=kind,
        target=target,
        name=name,
        interval_seconds=interval_seconds,
        min_interval=settings.SW_FEED_MIN_INTERVAL_SECONDS,
    )
    if refusal := _destination_error(cleaned.kind, cleaned.target):
        raise ApplicationError(f"This address cannot be polled: {refusal}.", field="target")
    if (
        Feed.objects.filter(name=cleaned.name).exists()
        or Post.objects.filter(source=cleaned.name).exists()
    ):
        # A name already used by posts would mix this feed's items with another source's.
        raise ApplicationError(
            f"The name {cleaned.name!r} is taken; choose another.", field="name", code="conflict"
        )
    if (
        supplier is not None
        and Feed.objects.filter(supplier=supplier).count() >= MAX_FEEDS_PER_SUPPLIER
    ):
        raise ApplicationError(
            f"At most {MAX_FEEDS_PER_SUPPLIER} feeds per supplier.", code="limit_reached"
        )
    secret = ""
    extra: dict[str, Any] = {}
    if cleaned.kind == Feed.Kind.WEBHOOK:
        secret = SECRET_START + secrets.token_urlsafe(24)
        extra = {"inbound_token": secrets.token_urlsafe(24), "secret": secret}
    feed = Feed.objects.create(
        kind=cleaned.kind,
        target=cleaned.target,
        name=cleaned.name,
        interval_seconds=cleaned.interval_seconds,
        supplier=supplier,
        created_by=created_by,
        **extra,
    )
    if feed.is_polled:
        _queue_poll(feed.pk)
    return CreatedFeed(feed=feed, secret=secret)


@transaction.atomic
def feed_update(*, feed: Feed, interval_seconds: int) -> Feed:
    """A new poll interval (the name stays: it is the source of the posts already stored)."""
    cleaned = clean_feed(
        kind=feed.kind,
        target=feed.target or "inbound",
        name=feed.name,
        interval_seconds=interval_seconds,
        min_interval=settings.SW_FEED_MIN_INTERVAL_SECONDS,
    )
    Feed.objects.filter(pk=feed.pk).update(interval_seconds=cleaned.interval_seconds)
    feed.refresh_from_db()
    return feed


@transaction.atomic
def feed_clear(*, feed: Feed) -> Feed:
    """Clear a failing or disabled feed: healthy again, failures forgotten, polled at once."""
    Feed.objects.filter(pk=feed.pk).update(
        status=Feed.Status.HEALTHY, failure_count=0, disabled_at=None, next_poll_at=None
    )
    if feed.is_polled:
        _queue_poll(feed.pk)
    feed.refresh_from_db()
    return feed


@transaction.atomic
def feed_poll_request(*, feed: Feed) -> None:
    """Poll now, in a worker (the "poll now" button)."""
    if not feed.is_polled:
        raise ApplicationError("An inbound webhook is sent to us; there is nothing to poll.")
    if feed.status == Feed.Status.DISABLED:
        raise ApplicationError("The feed is disabled after repeated failures: clear it first.")
    _queue_poll(feed.pk)


def _queue_poll(feed_id: int) -> None:
    from ..tasks import poll_feed  # the tasks call these services: imported when used

    transaction.on_commit(lambda: poll_feed.delay(feed_id))


def feeds_poll_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Queue a poll of each feed that is due, each a task of its own, so one slow or failing
    feed never holds up another."""
    from ..tasks import poll_feed

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Feed.objects.due(now)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
            .order_by(F("next_poll_at").asc(nulls_first=True), "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Feed.objects.filter(pk__in=ids).update(next_poll_at=now + QUEUE_GRACE)
    for feed_id in ids:
        poll_feed.delay(feed_id)
    return ids


# --- storing items ---------------------------------------------------------------------------


def _known_addresses(urls: set[str]) -> set[str]:
    if not urls:
        return set()
    # `exclude(url="")` lets PostgreSQL use the partial index post_url.
    return set(Post.objects.exclude(url="").filter(url__in=urls).values_list("url", flat=True))


@transaction.atomic
def feed_items_store(
    *,
    feed: Feed,
    items: Sequence[FeedItem] | Sequence[object],
    cursor: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FeedStoreResult:
    """Store a page of a feed's items as public posts (through posts_ingest, the one validation
    of a public post), skipping addresses already stored, and move the feed's cursor in the same
    transaction. `items` are FeedItems or raw rows (an inbound webhook's)."""
    rows = [item.as_row() if isinstance(item, FeedItem) else item for item in items]
    known = _known_addresses(
        {url for row in rows if isinstance(row, dict) and isinstance(url := row.get("url"), str)}
    )
    fresh: list[object] = []
    skipped = 0
    for row in rows:
        url = row.get("url") if isinstance(row, dict) else None
        if isinstance(url, str) and url:
            if url in known:
                skipped += 1
                continue
            known.add(url)  # the same address twice in one page: the first one is kept
        fresh.append(row)
    ingest = posts_ingest(source=feed.name, rows=fresh) if fresh else IngestResult()
    updates: dict[str, Any] = {
        "items_seen": F("items_seen") + len(rows),
        "items_stored": F("items_stored") + ingest.accepted,
        "items_rejected": F("items_rejected") + len(ingest.rejected),
    }
    if ingest.rejected:
        index, reason = ingest.rejected[-1]
        row = fresh[index]
        item_id = row.get("external_id") if isinstance(row, dict) else None
        updates["last_rejection"] = (f"item {item_id!r}: {reason}" if item_id else reason)[
            :_ERROR_MAX
        ]
    if cursor is not None:
        updates["cursor"] = cursor
    if etag is not None:
        updates["etag"] = etag[:500]
    if last_modified is not None:
        updates["last_modified"] = last_modified[:100]
    Feed.objects.filter(pk=feed.pk).update(**updates)
    return FeedStoreResult(seen=len(rows), ingest=ingest, duplicates=ingest.duplicates + skipped)


# --- polling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    items: list[FeedItem]
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: httpx.Headers
    body: bytes


def _get(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> _Answer:
    """One GET, bounded in size and time; FeedFetchError saying what went wrong in one line
    (a status line, never the body: whatever a URL answers is not shown)."""
    seconds = settings.SW_FEED_TIMEOUT_SECONDS
    try:
        with client.stream(
            "GET", url, params=params, headers={"User-Agent": USER_AGENT, **(headers or {})}
        ) as response:
            code = response.status_code
            if code == 304:
                return _Answer(code, response.headers, b"")
            if not 200 <= code < 300:
                retry_after = None
                if code in (429, 503):
                    retry_after = retry_after_seconds(
                        response.headers.get("Retry-After"), now=timezone.now()
                    )
                reason = httpx.codes.get_reason_phrase(code)
                raise FeedFetchError(f"HTTP {code} {reason}".strip(), retry_after=retry_after)
            body = read_limited(
                response, max_bytes=settings.SW_FEED_MAX_BYTES, max_seconds=seconds * 3
            )
            return _Answer(code, response.headers, body)
    except DestinationRefused as refusal:
        raise FeedFetchError(f"refused: {refusal.reason}") from None
    except httpx.TooManyRedirects:
        raise FeedFetchError("too many redirects") from None
    except httpx.TimeoutException:
        raise FeedFetchError(f"timed out after {seconds:g} seconds") from None
    except httpx.HTTPError as error:
        raise FeedFetchError(f"{type(error).__name__}: {error}".rstrip(": ")) from None
    except (ResponseTooLarge, ResponseTooSlow) as error:
        raise FeedFetchError(str(error)) from None


def _batches(feed: Feed, client: httpx.Client) -> Iterator[_Batch]:
    """The feed's new items, a page at a time, each with where the next poll starts."""
    if feed.kind == Feed.Kind.RSS:
        conditional = {}
        if feed.etag:
            conditional["If-None-Match"] = feed.etag
        if feed.last_modified:
            conditional["If-Modified-Since"] = feed.last_modified
        answer = _get(client, feed.target, headers=conditional)
        if answer.status == 304:
            return  # not modified: nothing new
        yield _Batch(
            parse_rss_atom(answer.body, answer.headers.get("Content-Type", "")),
            etag=answer.headers.get("ETag", ""),
            last_modified=answer.headers.get("Last-Modified", ""),
        )
    elif feed.kind == Feed.Kind.MASTODON:
        target = mastodon_target(feed.target)
        cursor = feed.cursor
        for _ in range(settings.SW_FEED_MAX_PAGES):
            url, params = target.request(cursor=cursor)
            page = parse_mastodon(_get(client, url, params=params).body, cursor=cursor)
            yield _Batch(page.items, cursor=page.next_cursor)
            # The first poll takes the latest page only (no backfill); a short page is the last.
            if not cursor or page.next_cursor is None or len(page.items) < MASTODON_PAGE:
                break
            cursor = page.next_cursor
    elif feed.kind == Feed.Kind.BLUESKY:
        # searchPosts pages go from the newest back: the poll's high-water mark (the newest
        # post's index time, the next poll's `since`) is saved only once every page is stored,
        # so a poll cut short is read again from the previous mark (duplicates are skipped).
        since = feed.cursor
        newest, page_cursor = since, ""
        for _ in range(settings.SW_FEED_MAX_PAGES):
            url, params = bluesky_request(
                appview=settings.SW_BLUESKY_APPVIEW_URL,
                query=feed.target,
                since=since,
                page_cursor=page_cursor,
            )
            page = parse_bluesky(_get(client, url, params=params).body)
            yield _Batch(page.items)
            newest = max(newest, page.newest or "")
            if not since or not page.next_cursor:
                break
            page_cursor = page.next_cursor
        if newest != since:
            yield _Batch([], cursor=newest)


def feed_poll(*, feed_id: int, now: datetime | None = None) -> PollResult:
    """Poll a feed once and record its health. Never inside a transaction: the HTTP calls may
    take seconds, and row locks must not wait for them. Whatever the feed answers is recorded on
    it (error, backoff, disabled after repeated failures), never raised, so the poller goes on;
    only a transient database error is raised, for the task to retry."""
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("feeds are polled outside database transactions")
    now = now or timezone.now()
    pages = settings.SW_FEED_MAX_PAGES
    lease = timedelta(seconds=settings.SW_FEED_TIMEOUT_SECONDS * 4 * (pages + 1) + 60)
    claimed = (
        Feed.objects.polled()
        .filter(pk=feed_id)
        .exclude(status=Feed.Status.DISABLED)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lease, last_polled_at=now)
    )
    if not claimed:
        return PollResult("skipped")
    feed = Feed.objects.get(pk=feed_id)
    result = PollResult("ok")
    try:
        with guarded_client(
            allow_private=settings.SW_OUTBOUND_ALLOW_PRIVATE,
            timeout=settings.SW_FEED_TIMEOUT_SECONDS,
            connect_timeout=min(settings.SW_FEED_TIMEOUT_SECONDS, 5.0),
            follow_redirects=True,
            max_redirects=settings.SW_FEED_MAX_REDIRECTS,
        ) as client:
            for batch in _batches(feed, client):
                result.add(
                    feed_items_store(
                        feed=feed,
                        items=batch.items,
                        cursor=batch.cursor,
                        etag=batch.etag,
                        last_modified=batch.last_modified,
                    )
                )
    except FeedFetchError as error:
        return _failed(feed, result, error.message, retry_after=error.retry_after)
    except (FeedFormatError, ValueError) as error:
        return _failed(feed, result, str(error))
    except TRANSIENT_ERRORS:
        Feed.objects.filter(pk=feed.pk).update(locked_until=None)
        raise
    except Exception as error:
        logger.exception("polling feed %s failed", feed.name)
        return _failed(feed, result, f"internal error: {type(error).__name__}")
    finished = timezone.now()
    Feed.objects.filter(pk=feed.pk).update(
        status=Feed.Status.HEALTHY,
        failure_count=0,
        last_success_at=finished,
        next_poll_at=finished + timedelta(seconds=feed.interval_seconds),
        locked_until=None,
    )
    return result


def _failed(
    feed: Feed, result: PollResult, message: str, *, retry_after: int | None = None
) -> PollResult:
    """One more failed poll: backoff (or the server's Retry-After), disabled after too many. The
    pages stored before the failure stay stored, with their cursor."""
    finished = timezone.now()
    failures = feed.failure_count + 1
    delay = delay_after_failure(
        failures=failures,
        interval=feed.interval_seconds,
        cap=settings.SW_FEED_BACKOFF_MAX_SECONDS,
        retry_after=retry_after,
    )
    disabled = is_disabled_after(failures, disable_after=settings.SW_FEED_DISABLE_AFTER)
    Feed.objects.filter(pk=feed.pk).update(
        status=Feed.Status.DISABLED if disabled else Feed.Status.FAILING,
        failure_count=failures,
        last_error=message[:_ERROR_MAX],
        last_error_at=finished,
        disabled_at=finished if disabled else None,
        next_poll_at=finished + timedelta(seconds=delay),
        locked_until=None,
    )
    if disabled:
        logger.warning("feed %s disabled after %s failed polls: %s", feed.name, failures, message)
    result.outcome, result.error = "failed", message
    return result


# --- inbound webhooks ------------------------------------------------------------------------


def feed_inbound_find(*, token: str) -> Feed:
    """The inbound webhook feed of a URL's token; not_found for any other (disabled ones too)."""
    feed = (
        Feed.objects.filter(kind=Feed.Kind.WEBHOOK, inbound_token=token)
        .exclude(status=Feed.Status.DISABLED)
        .first()
        if token
        else None
    )
    if feed is None:
        raise ApplicationError("No such feed.", code="not_found")
    return feed


def feed_inbound_verify(*, feed: Feed, body: bytes, signature: str) -> str:
    """The digest of a request signed with the feed's secret within the tolerance (what its
    receipt records), or ApplicationError: the same scheme as our outgoing webhooks."""
    try:
        timestamp = verify_signature(
            header=signature,
            body=body,
            secret=feed.secret,
            tolerance=settings.SW_FEED_SIGNATURE_TOLERANCE_SECONDS,
        )
    except SignatureError as error:
        raise ApplicationError(
            f"Supplierwatch-Signature: {error}.", code="invalid_signature"
        ) from None
    return hashlib.sha256(str(timestamp).encode() + b"." + body).hexdigest()


@transaction.atomic
def feed_inbound_store(*, feed: Feed, digest: str, rows: list[object]) -> FeedStoreResult:
    """Store a verified inbound request's items once: the same signed body again is a replay
    (conflict), and stores nothing. The receipt and the posts commit together, so a request that
    failed to store may be sent again."""
    now = timezone.now()
    tolerance = timedelta(seconds=settings.SW_FEED_SIGNATURE_TOLERANCE_SECONDS)
    # A receipt older than twice the tolerance can no longer be replayed: its timestamp is refused.
    feed.receipts.filter(received_at__lt=now - 2 * tolerance).delete()
    try:
        with transaction.atomic():
            feed.receipts.create(digest=digest, received_at=now)
    except IntegrityError:
        raise ApplicationError(
            "This signed request was already received (a replay); sign a new one.",
            code="conflict",
        ) from None
    stored = feed_items_store(feed=feed, items=rows)
    Feed.objects.filter(pk=feed.pk).update(
        status=Feed.Status.HEALTHY, failure_count=0, last_success_at=now, last_polled_at=now
    )
    return stored
