"""SLA warnings and breaches: an open incident's first answer or resolution coming due soon, or past
due, is recorded once as an IncidentEvent (the outbox: notifications and webhooks follow).

The warning comes at the incident's stored warning time (Incident.sla_due_times: when the part of
the promise in `settings.SW_SLA_WARNING_FRACTION` is left, counted on the promise's clock, working
hours for a business-hours policy), and the breach at the due time. An incident waiting on a buyer
(its clocks paused) gets neither until the clocks run again. Each comes at most once per
incident, promise and SLA start (SlaAlert's unique constraint); a reopened incident, whose clocks
start again, gets fresh ones. A breach found before its warning was recorded (the check did not run
meanwhile) comes alone: a warning after the due time would tell nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Incident, IncidentEvent, SlaAlert
from ..signals import events_announce

logger = logging.getLogger(__name__)

Promise = SlaAlert.Promise
Stage = SlaAlert.Stage
_DUE_FIELD = {Promise.FIRST_ANSWER: "acknowledge_due_at", Promise.RESOLUTION: "resolve_due_at"}
_WARN_FIELD = {Promise.FIRST_ANSWER: "acknowledge_warn_at", Promise.RESOLUTION: "resolve_warn_at"}
_EVENT_KIND = {
    Stage.WARNING: IncidentEvent.Kind.SLA_WARNING,
    Stage.BREACHED: IncidentEvent.Kind.SLA_BREACHED,
}


def sla_alert_condition(promise: str, stage: str, now: datetime) -> Q:
    """Open incidents whose promise has reached this stage at `now`, not alerted yet for this
    SLA start."""
    due = _DUE_FIELD[Promise(promise)]
    reached = Q(**{f"{due}__lte": now})
    if stage == Stage.WARNING:
        # From the warning time, and before the due time only.
        reached = Q(**{f"{_WARN_FIELD[Promise(promise)]}__lte": now, f"{due}__gt": now})
    pending = Q(
        status__in=Incident.OPEN_STATUSES,
        sla_started_at__isnull=False,
        sla_paused_at__isnull=True,
    )
    if promise == Promise.FIRST_ANSWER:
        pending &= Q(acknowledged_at__isnull=True)
    alerted = SlaAlert.objects.filter(
        incident=OuterRef("pk"),
        promise=promise,
        stage=stage,
        sla_started_at=OuterRef("sla_started_at"),
    )
    return pending & reached & ~Q(Exists(alerted))


def sla_alerts_record(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Record the warnings and breaches due at `now`, up to `batch` of each promise and stage
    (the most overdue first; the next run takes the rest). Safe to run twice, and by two workers
    at once. How many were recorded."""
    now = now or timezone.now()
    batch = batch or settings.SW_SLA_CHECK_BATCH
    recorded = 0
    for promise in Promise.values:
        for stage in Stage.values:
            due = _DUE_FIELD[Promise(promise)]
            ids = list(
                Incident.objects.filter(sla_alert_condition(promise, stage, now))
                .order_by(due, "pk")
                .values_list("pk", flat=True)[:batch]
            )
            recorded += sum(
                _record_alert(incident_id=pk, promise=promise, stage=stage, now=now) for pk in ids
            )
    if recorded:
        logger.info("recorded %d SLA warnings and breaches", recorded)
    return recorded


@transaction.atomic
def _record_alert(*, incident_id: int, promise: str, stage: str, now: datetime) -> bool:
    """One warning or breach, if the incident (locked) still calls for it."""
    incident = (
        Incident.objects.select_for_update()
        .filter(sla_alert_condition(promise, stage, now), pk=incident_id)
        .first()
    )
    if incident is None:
        return False  # answered, resolved, or alerted by another worker meanwhile
    due_at = getattr(incident, _DUE_FIELD[Promise(promise)])
    started = incident.sla_started_at
    assert started is not None  # sla_alert_condition asks for it
    event = IncidentEvent.objects.create(
        incident=incident,
        kind=_EVENT_KIND[Stage(stage)],
        data={"promise": promise, "due_at": due_at.isoformat()},
    )
    try:
        with transaction.atomic():
            SlaAlert.objects.create(
                incident=incident,
                promise=promise,
                stage=stage,
                sla_started_at=started,
                due_at=due_at,
                event=event,
            )
    except IntegrityError:
        event.delete()
        return False
    events_announce([event])
    return True
