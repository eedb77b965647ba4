"""Celery tasks for webhooks and feeds: thin, take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from supplierwatch.db import TRANSIENT_ERRORS

from . import services


@shared_task(
    acks_late=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=3,
    ignore_result=True,
)
def dispatch_webhook_events() -> int:
    """Beat: turn the undispatched IncidentEvents into deliveries, batch after batch."""
    total = 0
    for _ in range(20):  # bounded, so one run never starves the worker
        dispatched = services.webhook_events_dispatch()
        total += dispatched
        if dispatched < services.DISPATCH_BATCH:
            break
    return total


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=None,
    ignore_result=True,
)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt; a failed one is retried after the backoff the service chose.

    The delivery row counts the attempts and stops at SW_WEBHOOK_MAX_ATTEMPTS, so Celery's own
    retry limit is only a backstop.
    """
    attempt = services.webhook_deliver(delivery_id=delivery_id)
    while attempt.outcome == "retry" and self.request.is_eager:
        # No broker to wake a retry up later (tests; `make run` without Redis): retry at once.
        # Bounded: every attempt counts towards SW_WEBHOOK_MAX_ATTEMPTS.
        attempt = services.webhook_deliver(delivery_id=delivery_id)
    if attempt.outcome == "retry":
        raise self.retry(
            countdown=attempt.retry_in, max_retries=settings.SW_WEBHOOK_MAX_ATTEMPTS + 2
        )
    return attempt.outcome


@shared_task(acks_late=True, ignore_result=True)
def requeue_webhook_deliveries() -> int:
    """Beat: queue again the deliveries whose retry task was lost."""
    return services.webhook_deliveries_requeue()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=3,
    ignore_result=True,
)
def poll_feed(feed_id: int) -> str:
    """Poll one feed. Safe to run twice: the feed is claimed with a lease, and its items are
    stored once whatever the number of polls."""
    return services.feed_poll(feed_id=feed_id).outcome


@shared_task(acks_late=True, ignore_result=True)
def poll_due_feeds() -> int:
    """Beat: queue a poll of every feed that is due."""
    return len(services.feeds_poll_due())
