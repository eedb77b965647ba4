"""Delivering webhooks: an HTTP POST made outside any transaction, through the client that
connects only to an address it checked (supplierwatch.outbound), signed, retried with exponential
backoff and jitter, and logged on the delivery row."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from supplierwatch import queues
from supplierwatch.errors import ApplicationError
from supplierwatch.outbound import DestinationRefused, guarded_client

from ..models import WebhookDelivery, WebhookSubscription
from ..signing import signature_header
from .subscriptions import webhook_url_error

logger = logging.getLogger(__name__)

USER_AGENT = "supplierwatch-webhooks/1"
# A pending delivery whose retry is this far overdue lost its task (a broker restart): queue it again.
REQUEUE_GRACE = timedelta(minutes=10)
# An error is logged as one short line: what went wrong, never what the receiver answered.
_ERROR_MAX = 200


@dataclass(frozen=True)
class DeliveryAttempt:
    # delivered | retry | failed | skipped (another worker holds it, or it is no longer pending)
    outcome: str
    retry_in: int | None = None
    status_code: int | None = None


def retry_delay(attempt: int, *, base: int, cap: int, rng: random.Random | None = None) -> int:
    """Seconds before retry `attempt` (1-based): exponential, capped, with "equal jitter" (half
    fixed, half random), so receivers coming back up are not hit by every retry at once."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    return max(1, round(ceiling / 2 + (rng or random).uniform(0, ceiling / 2)))


def delivery_body(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def webhook_deliver(*, delivery_id: int) -> DeliveryAttempt:
    """Make one attempt to deliver; the caller retries after `retry_in` seconds when told to.

    Never inside a transaction: the POST may take seconds, and row locks must not wait for it.
    The delivery is claimed with a conditional UPDATE (a lease), so two workers never send it at
    once; a receiver still sees a duplicate when our record of a success is lost, and recognises
    it by the `Supplierwatch-Event-Id` header.
    """
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("webhooks are delivered outside database transactions")
    now = timezone.now()
    lease = timedelta(seconds=settings.SW_WEBHOOK_TIMEOUT_SECONDS * 3 + 30)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + lease)
    )
    if not claimed:
        return DeliveryAttempt("skipped")
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    attempts = delivery.attempts + 1
    status_code, error, permanent = None, "", False
    if not subscription.is_active:
        error, permanent = "the subscription is disabled", True
    elif refusal := webhook_url_error(subscription.url):
        error, permanent = f"refused: {refusal}", True
    else:
        status_code, error, permanent = _post(delivery, subscription, attempts)
    finished = timezone.now()
    log = {
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error[:_ERROR_MAX],
        "last_attempt_at": finished,
        "locked_until": None,
    }
    rows = WebhookDelivery.objects.filter(pk=delivery.pk)
    if not error:
        rows.update(
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at=finished,
            next_attempt_at=None,
            **log,
        )
        WebhookSubscription.objects.filter(pk=subscription.pk, failure_count__gt=0).update(
            failure_count=0
        )
        return DeliveryAttempt("delivered", status_code=status_code)
    if permanent or attempts >= settings.SW_WEBHOOK_MAX_ATTEMPTS:
        rows.update(status=WebhookDelivery.Status.FAILED, next_attempt_at=None, **log)
        _count_failure(subscription, finished)
        logger.warning("webhook delivery %s failed for good: %s", delivery.pk, error)
        return DeliveryAttempt("failed", status_code=status_code)
    delay = retry_delay(
        attempts,
        base=settings.SW_WEBHOOK_RETRY_BASE_SECONDS,
        cap=settings.SW_WEBHOOK_RETRY_MAX_SECONDS,
    )
    rows.update(next_attempt_at=finished + timedelta(seconds=delay), **log)
    return DeliveryAttempt("retry", retry_in=delay, status_code=status_code)


def _post(
    delivery: WebhookDelivery, subscription: WebhookSubscription, attempt: int
) -> tuple[int | None, str, bool]:
    """(status code, error, whether the error is for good): no error for any 2xx answer.

    Redirects are not followed. The error is a status line ("HTTP 503 Service Unavailable", in
    the standard words): a receiver's answer is never read, so whatever a URL answers (an internal
    service's page, should one ever be reached) is not shown to the subscriber.
    """
    body = delivery_body(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Supplierwatch-Event": delivery.event_type,
        "Supplierwatch-Event-Id": str(delivery.event_id),
        "Supplierwatch-Delivery-Attempt": str(attempt),
        "Supplierwatch-Signature": signature_header(secret=subscription.secret, body=body),
    }
    seconds = settings.SW_WEBHOOK_TIMEOUT_SECONDS
    try:
        with (
            guarded_client(
                allow_private=settings.SW_OUTBOUND_ALLOW_PRIVATE,
                timeout=seconds,
                connect_timeout=min(seconds, 3.0),
            ) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):
            code = response.status_code
            if 200 <= code < 300:
                return code, "", False
            return code, f"HTTP {code} {httpx.codes.get_reason_phrase(code)}".strip(), False
    except DestinationRefused as refusal:
        return None, f"refused: {refusal.reason}", True
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}".rstrip(": "), False


def _count_failure(subscription: WebhookSubscription, now: datetime) -> None:
    """One more delivery failed for good; after SW_WEBHOOK_DISABLE_AFTER in a row, stop sending."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        failure_count=F("failure_count") + 1
    )
    disabled = WebhookSubscription.objects.filter(
        pk=subscription.pk,
        is_active=True,
        failure_count__gte=settings.SW_WEBHOOK_DISABLE_AFTER,
    ).update(is_active=False, disabled_at=now)
    if disabled:
        logger.warning("webhook subscription %s disabled after repeated failures", subscription.pk)


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, with the same event id and a fresh round of retries."""
    from ..tasks import deliver_webhook

    subscription = delivery.subscription
    if not subscription.is_active:
        raise ApplicationError("Switch the subscription on before redelivering.", field="is_active")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
    )
    # A broker that is away fails no request: the delivery stays pending for the requeue sweep.
    transaction.on_commit(
        lambda: queues.send(
            partial(deliver_webhook.delay, delivery.pk), what=f"webhook delivery {delivery.pk}"
        )
    )
    delivery.refresh_from_db()
    return delivery


def webhook_deliveries_requeue(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Queue again the pending deliveries whose retry is long overdue: a lost task (a broker or
    worker restart) delays a delivery, never loses it."""
    from ..tasks import deliver_webhook

    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.pending()
        .filter(next_attempt_at__lt=now - REQUEUE_GRACE)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)
