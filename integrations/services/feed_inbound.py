"""Inbound webhook feeds: a tool POSTs public posts to the feed's URL, signed with its secret as
our outgoing webhooks are signed (integrations.signing); a signed body is stored once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from supplierwatch.errors import ApplicationError

from ..models import Feed
from ..signing import SignatureError, verify_signature
from .feeds import FeedStoreResult, feed_items_store


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
