"""Polling a feed: its pages fetched outside any transaction through the client that connects
only to an address it checked (supplierwatch.outbound), each page stored with the cursor after it
(feed_items_store), and the feed's health recorded whatever happens."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supplierwatch.db import TRANSIENT_ERRORS
from supplierwatch.outbound import (
    DestinationRefused,
    ResponseTooLarge,
    ResponseTooSlow,
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
from ..models import Feed
from .feeds import ERROR_MAX, PollResult, feed_items_store

logger = logging.getLogger(__name__)

USER_AGENT = "supplierwatch-feeds/1"


class FeedFetchError(Exception):
    def __init__(
        self, message: str, *, retry_after: int | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        # The HTTP status of an answer that was not a success; None when there was no answer.
        self.status = status


@dataclass(frozen=True)
class _Batch:
    items: list[FeedItem]
    cursor: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    catch_up_cursor: str | None = None
    catch_up_newest: str | None = None
    note: str | None = None


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
                raise FeedFetchError(
                    f"HTTP {code} {reason}".strip(), retry_after=retry_after, status=code
                )
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
            parse_rss_atom(answer.body, answer.headers.get("Content-Type", ""), feed.target),
            etag=answer.headers.get("ETag", ""),
            last_modified=answer.headers.get("Last-Modified", ""),
        )
    elif feed.kind == Feed.Kind.MASTODON:
        target = mastodon_target(feed.target)
        cursor = feed.cursor
        for _ in range(settings.SW_FEED_MAX_PAGES):
            url, params = target.request(cursor=cursor)
            answer = _get(client, url, params=params)
            page = parse_mastodon(
                answer.body, answer.headers.get("Content-Type", ""), cursor=cursor
            )
            yield _Batch(page.items, cursor=page.next_cursor)
            # The first poll takes the latest page only (no backfill); a short page is the last.
            if not cursor or page.next_cursor is None or len(page.items) < MASTODON_PAGE:
                break
            cursor = page.next_cursor
    elif feed.kind == Feed.Kind.BLUESKY:
        yield from _bluesky_batches(feed, client)


def _bluesky_batches(feed: Feed, client: httpx.Client) -> Iterator[_Batch]:
    """searchPosts pages go from the newest back to the feed's mark (`cursor`: the newest index
    time of the last search read to its end, the `since` of the next). Each page is stored with
    the page cursor after it and the newest time read since the search began (the catch-up), so
    a poll that stops at the page limit, or whose worker is killed, goes on at the next poll from
    the page it reached, back to the same mark; the mark moves only once that last page is
    stored. The first poll takes the latest page only."""
    since = feed.cursor
    page_cursor = feed.catch_up_cursor
    newest = max(since, feed.catch_up_newest)
    for _ in range(settings.SW_FEED_MAX_PAGES):
        url, params = bluesky_request(
            appview=settings.SW_BLUESKY_APPVIEW_URL,
            query=feed.target,
            since=since,
            page_cursor=page_cursor,
        )
        try:
            answer = _get(client, url, params=params)
        except FeedFetchError as error:
            if error.status != 400 or not page_cursor:
                raise
            # A page cursor refused (expired, or too deep): the posts older than the pages read
            # cannot be reached. Go back to polling from the newest read, saying what was left.
            yield _Batch(
                [],
                cursor=newest,
                catch_up_cursor="",
                catch_up_newest="",
                note=f"Catching up stopped: the search refused its next page ({error.message}); "
                f"posts older than those read, back to {since}, may be missing.",
            )
            return
        page = parse_bluesky(answer.body, answer.headers.get("Content-Type", ""))
        newest = max(newest, page.newest or "")
        if since and page.next_cursor:
            yield _Batch(page.items, catch_up_cursor=page.next_cursor, catch_up_newest=newest)
            page_cursor = page.next_cursor
        else:
            yield _Batch(page.items, cursor=newest, catch_up_cursor="", catch_up_newest="")
            return


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
    catching_up = feed.is_catching_up
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
                        catch_up_cursor=batch.catch_up_cursor,
                        catch_up_newest=batch.catch_up_newest,
                        note=batch.note,
                    )
                )
                if batch.catch_up_cursor is not None:
                    catching_up = bool(batch.catch_up_cursor)
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
    # A search catching up is polled again soon, not after its interval.
    interval = feed.interval_seconds
    if catching_up:
        interval = min(interval, settings.SW_FEED_MIN_INTERVAL_SECONDS)
    Feed.objects.filter(pk=feed.pk).update(
        status=Feed.Status.HEALTHY,
        failure_count=0,
        last_success_at=finished,
        next_poll_at=finished + timedelta(seconds=interval),
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
        last_error=message[:ERROR_MAX],
        last_error_at=finished,
        disabled_at=finished if disabled else None,
        next_poll_at=finished + timedelta(seconds=delay),
        locked_until=None,
    )
    if disabled:
        logger.warning("feed %s disabled after %s failed polls: %s", feed.name, failures, message)
    result.outcome, result.error = "failed", message
    return result
