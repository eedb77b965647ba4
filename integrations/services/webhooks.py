"""Webhooks: subscriptions, turning the IncidentEvent outbox into deliveries, and delivering them.

Dispatching reads the events nobody has dispatched yet, builds one frozen payload per subscription
allowed to see each event (through the same `visible_to` rules as the API), records them as
WebhookDelivery rows and marks the events dispatched, all in one transaction; the deliveries are
queued once it commits. Delivering is an HTTP POST made outside any transaction, signed, retried
with exponential backoff and jitter, and logged on the delivery row.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import secrets
import socket
import string
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from incidents.models import Incident, IncidentEvent, Response, Severity
from incidents.selectors import event_public_data
from suppliers.models import Organization, Supplier, User, VendorCode
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer

from ..models import WebhookDelivery, WebhookSubscription
from ..signing import signature_header

logger = logging.getLogger(__name__)

Event = WebhookSubscription.Event
SECRET_START = "whsec_"
MAX_SUBSCRIPTIONS_PER_PARTY = 20
DISPATCH_BATCH = 500
USER_AGENT = "supplierwatch-webhooks/1"
# A pending delivery whose retry is this far overdue lost its task (a broker restart): queue it again.
REQUEUE_GRACE = timedelta(minutes=10)
_RESPONSE_EXCERPT = 500


# --- subscriptions -------------------------------------------------------------------------------


def webhook_destination_error(url: str) -> str | None:
    """Why deliveries may not go to this URL, or None.

    Refuses addresses inside our own network (loopback, private, link-local such as cloud metadata,
    reserved), so a subscription cannot make our workers call internal services (SSRF), unless
    SW_WEBHOOKS_ALLOW_PRIVATE (development and tests). Checked when subscribing and again before
    every delivery, since a name may resolve elsewhere later.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if settings.SW_WEBHOOKS_REQUIRE_HTTPS and parts.scheme != "https":
        return "webhooks are delivered over https only"
    if parts.username or parts.password:
        return "put no credentials in the URL; verify our signature instead"
    if settings.SW_WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        infos = socket.getaddrinfo(
            parts.hostname,
            port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except (OSError, UnicodeError):
        return "the host name does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return "the host resolves to a private, loopback or reserved address"
    return None


def _new_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return SECRET_START + "".join(secrets.choice(alphabet) for _ in range(32))


def _clean_events(events: list[str] | None) -> list[str]:
    if not events:
        raise ApplicationError("Choose at least one event.", field="events")
    unknown = sorted(set(events) - set(Event.values))
    if unknown:
        raise ApplicationError(f"Unknown event: {unknown[0]}", field="events")
    return sorted(set(events))


def _check_url(url: str) -> str:
    url = (url or "").strip()
    error = webhook_destination_error(url)
    if error:
        raise ApplicationError(f"This URL cannot receive webhooks: {error}.", field="url")
    return url


@transaction.atomic
def webhook_subscription_create(
    *,
    url: str,
    events: list[str],
    organization: Organization | None = None,
    supplier: Supplier | None = None,
    description: str = "",
    created_by: User | None = None,
) -> tuple[WebhookSubscription, str]:
    """(subscription, secret): the secret signs every delivery and is shown only now."""
    if (organization is None) == (supplier is None):
        raise ApplicationError("Subscribe an organization or a supplier.", field="party")
    existing = WebhookSubscription.objects.filter(organization=organization, supplier=supplier)
    if existing.count() >= MAX_SUBSCRIPTIONS_PER_PARTY:
        raise ApplicationError(
            f"At most {MAX_SUBSCRIPTIONS_PER_PARTY} webhook subscriptions; delete one first.",
            field="url",
        )
    secret = _new_secret()
    subscription = WebhookSubscription.objects.create(
        organization=organization,
        supplier=supplier,
        url=_check_url(url),
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=secret,
        created_by=created_by,
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change a subscription. Switching it on again also forgets its past failures."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if url is not None and url.strip() != subscription.url:
        subscription.url = _check_url(url)
    if events is not None:
        subscription.events = _clean_events(events)
    if description is not None:
        subscription.description = description.strip()[:200]
    if is_active is True and not subscription.is_active:
        subscription.is_active = True
        subscription.failure_count = 0
        subscription.disabled_at = None
    elif is_active is False:
        subscription.is_active = False
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new secret, effective for the next delivery; shown only now."""
    secret = _new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        secret=secret, updated_at=timezone.now()
    )
    subscription.secret = secret
    return secret


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


# --- dispatch: the outbox becomes deliveries -------------------------------------------------------


def event_type_for(event: IncidentEvent) -> str | None:
    """The webhook event an incident event is announced as."""
    Kind = IncidentEvent.Kind
    if event.kind == Kind.CREATED:
        return Event.CREATED
    if event.kind == Kind.REOPENED:
        return Event.REOPENED
    if event.kind == Kind.SPIKE:
        return Event.SPIKE
    if event.kind == Kind.RESPONSE:
        return Event.ANSWERED
    if event.kind == Kind.STATUS_CHANGED:
        target = (event.data or {}).get("to")
        if target == Incident.Status.RESOLVED:
            return Event.RESOLVED
        if target == Incident.Status.REOPENED:
            return Event.REOPENED
    if event.kind in Kind.values:
        return Event.UPDATED
    return None


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    text = value.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def incident_summary(incident: Incident, *, vendor_code: str | None = None) -> dict:
    """The incident as every viewer may count it: shared counters, never who reported it."""
    return {
        "id": incident.pk,
        "title": incident.title,
        "status": incident.status,
        "severity": Severity(incident.severity).name.lower(),
        "category": incident.category.slug if incident.category else None,
        "supplier": {"slug": incident.supplier.slug, "name": incident.supplier.name},
        "vendor_code": vendor_code,
        "sku": incident.sku,
        "lot": incident.lot,
        "counters": {
            "posts": incident.post_count,
            "reporters": incident.reporter_count,
            "organizations": incident.organization_count,
            "public_posts": incident.public_post_count,
        },
        "first_seen_at": _iso(incident.first_seen_at),
        "last_seen_at": _iso(incident.last_seen_at),
        "last_activity_at": _iso(incident.last_activity_at),
        "api_url": f"{settings.SITE_URL}/api/v1/incidents/{incident.pk}/",
    }


def _payload(
    *,
    event_id: uuid.UUID,
    event_type: str,
    event: IncidentEvent,
    incident: Incident,
    supplier_view: bool,
    vendor_code: str | None,
    response: Response | None,
) -> dict:
    data: dict = {
        "incident": incident_summary(incident, vendor_code=vendor_code),
        "change": {"kind": event.kind, **event_public_data(event, supplier_view=supplier_view)},
    }
    if response is not None:
        data["response"] = {
            "id": response.pk,
            "body": response.body,
            "visibility": response.visibility,
            "created_at": _iso(response.created_at),
        }
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": _iso(event.created_at),
        "data": data,
    }


def webhook_events_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Dispatch up to `limit` undispatched events; returns how many were dispatched.

    Safe to run concurrently (the batch is claimed with SKIP LOCKED) and twice (a delivery is
    unique per subscription and event).
    """
    from ..tasks import deliver_webhook

    with transaction.atomic():
        events = list(
            IncidentEvent.objects.select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not events:
            return 0
        deliveries = _deliveries_for(events)
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        IncidentEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=timezone.now()
        )
        queued = list(
            WebhookDelivery.objects.filter(
                incident_event_id__in=[event.pk for event in events],
                status=WebhookDelivery.Status.PENDING,
                attempts=0,
            ).values_list("pk", flat=True)
        )

        def enqueue() -> None:
            for delivery_id in queued:
                deliver_webhook.delay(delivery_id)

        transaction.on_commit(enqueue)
    return len(events)


def _deliveries_for(events: list[IncidentEvent]) -> list[WebhookDelivery]:
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True))
    if not subscriptions:
        return []
    typed = [(event, event_type_for(event)) for event in events]
    typed = [(event, kind) for event, kind in typed if kind is not None]
    incidents = {
        incident.pk: incident
        for incident in Incident.objects.filter(
            pk__in={event.incident_id for event, _ in typed}
        ).select_related("supplier", "category")
    }
    by_party: dict[tuple[int | None, int | None], list[WebhookSubscription]] = defaultdict(list)
    for subscription in subscriptions:
        by_party[(subscription.organization_id, subscription.supplier_id)].append(subscription)

    now = timezone.now()
    deliveries = []
    # One query per party and batch for each visibility question, however many events.
    for (organization_id, supplier_id), party_subscriptions in by_party.items():
        wanted = {kind for subscription in party_subscriptions for kind in subscription.events}
        relevant = [(event, kind) for event, kind in typed if kind in wanted]
        if not relevant:
            continue
        # The subscription sees what any member of its party sees, and nothing more.
        principal = Viewer.party(organization_id=organization_id, supplier_id=supplier_id)
        visible = set(
            Incident.objects.visible_to(principal)
            .filter(pk__in={event.incident_id for event, _ in relevant})
            .values_list("pk", flat=True)
        )
        response_ids = {
            (event.data or {}).get("response_id")
            for event, _ in relevant
            if event.kind == IncidentEvent.Kind.RESPONSE
        }
        responses = {
            response.pk: response
            for response in Response.objects.visible_to(principal).filter(pk__in=response_ids)
        }
        codes: dict[int, str] = {}
        if organization_id is not None:
            for supplier_pk, code in (
                VendorCode.objects.filter(
                    organization_id=organization_id,
                    supplier_id__in={incidents[i].supplier_id for i in visible},
                )
                .order_by("-code")
                .values_list("supplier_id", "code")
            ):
                codes[supplier_pk] = code  # descending: the lowest code wins, as in the API
        for event, kind in relevant:
            if event.incident_id not in visible:
                continue
            response = None
            if event.kind == IncidentEvent.Kind.RESPONSE:
                response = responses.get((event.data or {}).get("response_id"))
                if response is None:
                    continue  # a private answer to somebody else
            incident = incidents[event.incident_id]
            for subscription in party_subscriptions:
                if kind not in subscription.events:
                    continue
                event_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        subscription=subscription,
                        incident_event=event,
                        event_id=event_id,
                        event_type=kind,
                        next_attempt_at=now,
                        payload=_payload(
                            event_id=event_id,
                            event_type=kind,
                            event=event,
                            incident=incident,
                            supplier_view=supplier_id is not None,
                            vendor_code=codes.get(incident.supplier_id),
                            response=response,
                        ),
                    )
                )
    return deliveries


# --- delivery ------------------------------------------------------------------------------------


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
    elif refusal := webhook_destination_error(subscription.url):
        error, permanent = f"refused: {refusal}", True
    else:
        status_code, error = _post(delivery, subscription, attempts)
    finished = timezone.now()
    log = {
        "attempts": attempts,
        "last_status_code": status_code,
        "last_error": error[:2000],
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
) -> tuple[int | None, str]:
    """(status code, error): no error for any 2xx answer. Redirects are not followed."""
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
    timeout = httpx.Timeout(seconds, connect=min(seconds, 3.0))
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("POST", subscription.url, content=body, headers=headers) as response,
        ):
            if 200 <= response.status_code < 300:
                return response.status_code, ""
            # Only the start of an error page is kept: a receiver cannot fill our memory.
            excerpt = b""
            for chunk in response.iter_bytes():
                excerpt += chunk
                if len(excerpt) >= _RESPONSE_EXCERPT:
                    break
            text = excerpt[:_RESPONSE_EXCERPT].decode("utf-8", "replace").strip()
            return response.status_code, f"HTTP {response.status_code}: {text}".strip()
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}".rstrip(": ")


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
    transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))
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
