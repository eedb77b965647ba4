"""Celery tasks of the notifications: thin, take ids, call a service, safe to run twice."""

from __future__ import annotations

import logging
from collections.abc import Callable

from celery import shared_task
from django.conf import settings
from django.db import transaction

from supplierwatch.db import TRANSIENT_ERRORS

from . import digests, emails, services

logger = logging.getLogger(__name__)


def queue_generation(sender: object, event_ids: list[int], **kwargs: object) -> None:
    """incidents.signals.events_recorded (after commit): generate these events' notifications.
    A failure here must not fail the request that recorded them: the sweep catches up."""
    try:
        generate_notifications.delay(event_ids)
    except Exception:
        logger.exception("notifications of events %s not generated now; the sweep will", event_ids)


def queue_monitor_alerts(sender: object, alert_ids: list[int], **kwargs: object) -> None:
    """incidents.signals.monitor_alerts_recorded (after commit): tell these jumps."""
    try:
        generate_monitor_alert_notifications.delay(alert_ids)
    except Exception:
        logger.exception("monitor alerts %s not told now; the sweep will", alert_ids)


def _queue_emails(notification_ids: list[int]) -> None:
    def enqueue() -> None:
        for notification_id in notification_ids:
            send_notification_email.delay(notification_id)

    transaction.on_commit(enqueue)


# Generating is idempotent (one row per event or alert and recipient): safe to redeliver.
generating_task = shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=5,
    ignore_result=True,
)


def _told(generate: Callable[[], list[int]]) -> int:
    """Write the inbox rows, then queue their e-mails once those rows are committed."""
    with transaction.atomic():
        to_send = generate()
        _queue_emails(to_send)
    return len(to_send)


@generating_task
def generate_notifications(event_ids: list[int]) -> int:
    """Tell these events to the people they concern: inbox rows, then their e-mails."""
    return _told(lambda: services.notifications_generate(event_ids=event_ids))


@generating_task
def generate_monitor_alert_notifications(alert_ids: list[int]) -> int:
    """Tell these jumps in keyword monitors' volume to their watchers, then e-mail them."""
    return _told(lambda: services.monitor_alert_notifications_generate(alert_ids=alert_ids))


@shared_task(acks_late=True, autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def sweep_notifications() -> dict:
    """Beat: generate what a lost signal or task left behind, and queue lost e-mails again."""
    event_ids = services.events_to_generate()
    if event_ids:
        generate_notifications.run(event_ids)
    alert_ids = services.monitor_alerts_to_generate()
    if alert_ids:
        generate_monitor_alert_notifications.run(alert_ids)
    lost = emails.emails_to_requeue()
    _queue_emails(lost)
    return {"events": len(event_ids), "alerts": len(alert_ids), "emails": len(lost)}


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=None,
    ignore_result=True,
)
def send_notification_email(self, notification_id: int) -> str:
    """One attempt; a failed one is retried after a backoff. The row counts the attempts and stops
    at SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS, so Celery's own retry limit is only a backstop."""
    attempt = emails.notification_email_send(notification_id=notification_id)
    while attempt.outcome == "retry" and self.request.is_eager:
        # No broker to wake a retry up later (`make run` without Redis): retry at once, bounded.
        attempt = emails.notification_email_send(notification_id=notification_id)
    if attempt.outcome == "retry":
        raise self.retry(
            countdown=attempt.retry_in,
            max_retries=settings.SW_NOTIFICATION_EMAIL_MAX_ATTEMPTS + 2,
        )
    return attempt.outcome


# Not acks_late: a digest run redelivered after a lost acknowledgement would only find its days
# claimed; a lost run is made up by the next one (digests are due from the chosen hour on).
@shared_task(autoretry_for=TRANSIENT_ERRORS, retry_backoff=5, max_retries=3)
def send_digests() -> dict:
    """Beat: send the daily digests due now."""
    return digests.digests_send()
