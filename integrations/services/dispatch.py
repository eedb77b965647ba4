"""Turning the IncidentEvent outbox into webhook deliveries.

Dispatching reads the events nobody has dispatched yet, builds each event's payload once for every
party allowed to see it (through the same `visible_to` rules and presenters as the API), records
it as a WebhookDelivery for each of the party's subscriptions (with its own event id) and marks the
events dispatched, all in one transaction; the deliveries are queued once it commits.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from incidents.api.serializers import IncidentSerializer, ResponseSerializer
from incidents.models import Incident, IncidentEvent, Response
from incidents.presenters import answer_view, event_data, event_time, incident_view
from incidents.selectors import incident_list
from supplierwatch.viewers import Viewer

from ..models import WebhookDelivery, WebhookSubscription

Event = WebhookSubscription.Event
DISPATCH_BATCH = 500


def event_type_for(event: IncidentEvent) -> str | None:
    """The webhook event an incident event is announced as."""
    Kind = IncidentEvent.Kind
    if event.kind == Kind.CREATED:
        return Event.CREATED
    if event.kind == Kind.REOPENED:
        return Event.REOPENED
    if event.kind == Kind.SPIKE:
        return Event.SPIKE
    if event.kind == Kind.SLA_WARNING:
        return Event.SLA_WARNING
    if event.kind == Kind.SLA_BREACHED:
        return Event.SLA_BREACHED
    if event.kind == Kind.RESPONSE:
        return Event.ANSWERED
    if event.kind == Kind.STATUS_CHANGED:
        target = (event.data or {}).get("to")
        if target == Incident.Status.RESOLVED:
            return Event.RESOLVED
        if target == Incident.Status.REOPENED:
            return Event.REOPENED
    if event.kind in IncidentEvent.DISPUTE_KINDS:
        return Event.DISPUTED
    if event.kind == Kind.MERGED:
        return Event.MERGED
    if event.kind in IncidentEvent.SPLIT_KINDS:
        return Event.SPLIT
    if event.kind == Kind.MERGED_INTO:
        # Told on the target (Kind.MERGED), which every party that saw the source may see; the
        # merged incident itself is no longer one a party reads.
        return None
    if event.kind in (Kind.BUYER_REPLY, Kind.RESOLUTION_ACCEPTED):
        # Between one reporting organization and the supplier: not announced to every party.
        return None
    if event.kind in Kind.values:
        return Event.UPDATED
    return None


def _response_id(event: IncidentEvent) -> int | None:
    """The answer an answer event is about."""
    return (event.data or {}).get("response_id")


def _payload(
    *,
    event_type: str,
    event: IncidentEvent,
    incident: Incident,
    viewer: Viewer,
    response: Response | None,
) -> dict[str, Any]:
    """The delivery's body but its `id`: the incident as the API shows it to the subscriber's
    party, what changed (presenters.event_data), and the answer when the event is about one. The
    same for every subscription of the party; each delivery adds its own id in front."""
    view = incident_view(incident, viewer)
    data: dict[str, Any] = {
        "incident": {**IncidentSerializer(view).data, "api_url": view.api_url},
        "change": {"kind": event.kind, **event_data(event, viewer)},
    }
    if response is not None:
        data["response"] = ResponseSerializer(answer_view(response, viewer)).data
    return {
        "type": event_type,
        "created_at": serializers.DateTimeField().to_representation(event_time(event, viewer)),
        "data": data,
    }


def webhook_events_dispatch(*, limit: int = DISPATCH_BATCH) -> int:
    """Dispatch up to `limit` undispatched events; returns how many were dispatched.

    Safe to run concurrently (the batch is claimed with SKIP LOCKED) and twice (a delivery is
    unique per subscription and event).
    """
    from ..tasks import deliver_webhook  # the tasks call these services: imported when used

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
    typed = [
        (event, event_type) for event in events if (event_type := event_type_for(event)) is not None
    ]
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
        viewer = Viewer.party(organization_id=organization_id, supplier_id=supplier_id)
        visible = {
            incident.pk: incident
            for incident in incident_list(viewer=viewer).filter(
                pk__in={event.incident_id for event, _ in relevant}
            )
        }
        response_ids = {
            response_id
            for event, _ in relevant
            if event.kind in IncidentEvent.ANSWER_KINDS
            and (response_id := _response_id(event)) is not None
        }
        responses = {
            response.pk: response
            for response in Response.objects.visible_to(viewer)
            .filter(pk__in=response_ids)
            .select_related("author", "organization")
        }
        for event, kind in relevant:
            incident = visible.get(event.incident_id)
            if incident is None:
                continue
            response = None
            if event.kind in IncidentEvent.ANSWER_KINDS:
                response_id = _response_id(event)
                response = responses.get(response_id) if response_id is not None else None
                if response is None:
                    continue  # a private answer to somebody else
            receivers = [item for item in party_subscriptions if kind in item.events]
            if not receivers:
                continue
            body = _payload(
                event_type=kind, event=event, incident=incident, viewer=viewer, response=response
            )
            for subscription in receivers:
                event_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        subscription=subscription,
                        incident_event=event,
                        event_id=event_id,
                        event_type=kind,
                        next_attempt_at=now,
                        payload={"id": str(event_id), **body},
                    )
                )
    return deliveries
