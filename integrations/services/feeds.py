"""Feeds: adding one, clearing it, queuing its polls, and storing its items as public posts.

A poll stores each page of items and the cursor after them in one transaction, so a worker killed
between two pages starts again from the cursor of the last page it stored: nothing is lost, and
nothing stored twice ((source, external_id) is unique, and an address another feed brought in is
skipped).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents import engines
from incidents.matching import Matcher
from incidents.models import Post
from incidents.services import IngestResult, posts_ingest
from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.outbound import destination_refusal

from ..feed_items import FeedItem
from ..inputs import FeedInput, clean_feed
from ..models import Feed

SECRET_START = "fdsec_"
MAX_FEEDS_PER_SUPPLIER = 20
# A feed queued by the beat is not queued again for this long, unless its poll ends sooner: a lost
# task (a broker restart) delays a poll by this much, never more.
QUEUE_GRACE = timedelta(minutes=10)
ERROR_MAX = Feed._meta.get_field("last_error").max_length or 300


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
        self.rejected += len(stored.rejected)
        self.post_ids += stored.ingest.post_ids


@dataclass(frozen=True)
class FeedStoreResult:
    seen: int
    ingest: IngestResult
    # Known by (source, external_id), or by an address another feed (or this one) brought in.
    duplicates: int
    # (position among the items given, "field: reason")
    rejected: list[tuple[int, str]]


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


def feed_clean(
    *,
    kind: str,
    target: str,
    name: str = "",
    interval_seconds: int | None = None,
    supplier: Supplier | None = None,
) -> FeedInput:
    """The values a new feed is stored with, by the rules every channel applies (feed_create
    calls it, and so do the portal's and the admin's forms, to show a refusal beside its field);
    ApplicationError naming the field otherwise."""
    cleaned = clean_feed(
        kind=kind,
        target=target,
        name=name,
        interval_seconds=interval_seconds,
        min_interval=settings.SW_FEED_MIN_INTERVAL_SECONDS,
    )
    if refusal := _destination_error(cleaned.kind, cleaned.target):
        raise ApplicationError(f"This address cannot be polled: {refusal}.", field="target")
    # Names are unique among one owner's feeds: the operators' (supplier None), or one supplier's.
    if Feed.objects.filter(supplier=supplier, name=cleaned.name).exists():
        owner = f"{supplier.name} already has" if supplier else "The operators already have"
        raise ApplicationError(
            f"{owner} a feed named {cleaned.name!r}; choose another name.",
            field="name",
            code="conflict",
        )
    if _source_taken(Feed.source_for(name=cleaned.name, supplier=supplier)):
        # A source already used by posts would mix this feed's items with another source's.
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
    return cleaned


def _source_taken(source: str) -> bool:
    return (
        Feed.objects.filter(source=source).exists() or Post.objects.filter(source=source).exists()
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
    cleaned = feed_clean(
        kind=kind,
        target=target,
        name=name,
        interval_seconds=interval_seconds,
        supplier=supplier,
    )
    secret = ""
    extra: dict[str, Any] = {}
    if cleaned.kind == Feed.Kind.WEBHOOK:
        secret = SECRET_START + secrets.token_urlsafe(24)
        extra = {"inbound_token": secrets.token_urlsafe(24), "secret": secret}
    try:
        with transaction.atomic():
            feed = Feed.objects.create(
                kind=cleaned.kind,
                target=cleaned.target,
                name=cleaned.name,
                interval_seconds=cleaned.interval_seconds,
                supplier=supplier,
                created_by=created_by,
                **extra,
            )
    except IntegrityError:
        # The same name added at the same moment by someone else: checked above otherwise.
        raise ApplicationError(
            f"The name {cleaned.name!r} is taken; choose another.", field="name", code="conflict"
        ) from None
    if feed.is_polled:
        _queue_poll(feed.pk)
    return CreatedFeed(feed=feed, secret=secret)


def feed_interval_clean(*, feed: Feed, interval_seconds: Any) -> int:
    """A new poll interval for `feed`, by the rule a new feed's is checked (the admin's change
    form calls it, to show a refusal beside the field); ApplicationError naming the field."""
    cleaned = clean_feed(
        kind=feed.kind,
        target=feed.target or "inbound",
        name=feed.name,
        interval_seconds=interval_seconds,
        min_interval=settings.SW_FEED_MIN_INTERVAL_SECONDS,
    )
    return cleaned.interval_seconds


@transaction.atomic
def feed_update(*, feed: Feed, interval_seconds: int) -> Feed:
    """A new poll interval (the name stays: it is the source of the posts already stored)."""
    interval = feed_interval_clean(feed=feed, interval_seconds=interval_seconds)
    Feed.objects.filter(pk=feed.pk).update(interval_seconds=interval)
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


# The key of the one advisory lock that feed stores take on PostgreSQL: "SWfd".
_ADDRESS_LOCK = 0x53576664


def _lock_addresses(urls: set[str]) -> None:
    """On PostgreSQL, hold the feeds' address lock until the transaction ends: two feeds storing
    the same address at once would otherwise each find it unknown, and both store it. The second
    waits for the first to commit, then finds it known. One lock for every address: a page of
    items names hundreds of addresses, which locks by address (or by bucket of addresses) would
    take nearly all of anyway, and a single lock cannot deadlock."""
    if not urls or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADDRESS_LOCK])


def _known_addresses(urls: set[str]) -> set[str]:
    if not urls:
        return set()
    _lock_addresses(urls)
    # `exclude(url="")` lets PostgreSQL use the partial index post_url.
    return set(Post.objects.exclude(url="").filter(url__in=urls).values_list("url", flat=True))


OTHER_SUPPLIER = (
    "text: names another supplier; a supplier's feed brings posts about that supplier only"
)


def _names_another_supplier(row: object, supplier_id: int | None, matcher: Matcher) -> bool:
    text = row.get("text") if isinstance(row, dict) else None
    if not isinstance(text, str):
        return False  # the one validation of posts refuses it
    return any(match.supplier_id != supplier_id for match in matcher.match(text))


@transaction.atomic
def feed_items_store(
    *,
    feed: Feed,
    items: Sequence[FeedItem] | Sequence[object],
    cursor: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    catch_up_cursor: str | None = None,
    catch_up_newest: str | None = None,
    note: str | None = None,
) -> FeedStoreResult:
    """Store a page of a feed's items as public posts (through posts_ingest, the one validation
    of a public post), skipping addresses already stored, and move the feed's cursor in the same
    transaction (and a Bluesky search's catch-up with it; `note`, what happened to the poll
    besides, is kept as the feed's last error). `items` are FeedItems or raw rows (an inbound
    webhook's).

    A supplier's feed brings posts about that supplier only: an item that names another supplier
    is refused, so that no supplier can put complaints about a competitor into its incidents."""
    rows = [item.as_row() if isinstance(item, FeedItem) else item for item in items]
    known = _known_addresses(
        {url for row in rows if isinstance(row, dict) and isinstance(url := row.get("url"), str)}
    )
    matcher = engines.get_matcher() if feed.supplier_id is not None else None
    fresh: list[object] = []
    positions: list[int] = []  # where each fresh row stands among the items given
    refused: list[tuple[int, str]] = []
    skipped = 0
    for position, row in enumerate(rows):
        url = row.get("url") if isinstance(row, dict) else None
        if isinstance(url, str) and url:
            if url in known:
                skipped += 1
                continue
            known.add(url)  # the same address twice in one page: the first one is kept
        if matcher is not None and _names_another_supplier(row, feed.supplier_id, matcher):
            refused.append((position, OTHER_SUPPLIER))
            continue
        fresh.append(row)
        positions.append(position)
    ingest = posts_ingest(source=feed.source, rows=fresh) if fresh else IngestResult()
    rejected = sorted(refused + [(positions[index], reason) for index, reason in ingest.rejected])
    updates: dict[str, Any] = {
        "items_seen": F("items_seen") + len(rows),
        "items_stored": F("items_stored") + ingest.accepted,
        "items_rejected": F("items_rejected") + len(rejected),
    }
    if rejected:
        position, reason = rejected[-1]
        row = rows[position]
        item_id = row.get("external_id") if isinstance(row, dict) else None
        updates["last_rejection"] = (f"item {item_id!r}: {reason}" if item_id else reason)[
            :ERROR_MAX
        ]
    if cursor is not None:
        updates["cursor"] = cursor
    if etag is not None:
        updates["etag"] = etag[:500]
    if last_modified is not None:
        updates["last_modified"] = last_modified[:100]
    if catch_up_cursor is not None:
        updates["catch_up_cursor"] = catch_up_cursor
    if catch_up_newest is not None:
        updates["catch_up_newest"] = catch_up_newest
    if note is not None:
        updates.update(last_error=note[:ERROR_MAX], last_error_at=timezone.now())
    Feed.objects.filter(pk=feed.pk).update(**updates)
    return FeedStoreResult(
        seen=len(rows), ingest=ingest, duplicates=ingest.duplicates + skipped, rejected=rejected
    )
