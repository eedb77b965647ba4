"""Spike detection: a supplier whose complaints in the last hour jump above its trailing baseline."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ..models import Incident, IncidentEvent, Post, PostMatch, Severity
from ..signals import events_announce
from ..spikes import SpikeRule, expected_count, is_spike
from .processing import incident_change_severity

WINDOW = timedelta(hours=1)
BASELINE = timedelta(days=7)
DEFAULT_RULE = SpikeRule()


def spikes_detect(*, now: datetime | None = None, rule: SpikeRule = DEFAULT_RULE) -> list[int]:
    """Record a spike event (and raise severity) on each spiking supplier's busiest incident.

    Returns the ids of the incidents that got a spike event. A supplier gets at most one spike
    event per window, so running this every few minutes does not repeat itself.
    """
    now = now or timezone.now()
    window_start, baseline_start = now - WINDOW, now - WINDOW - BASELINE
    # Private reports are invisible to the supplier and other buyers; they never make a spike.
    complaints = PostMatch.objects.exclude(post__visibility=Post.Visibility.PRIVATE).filter(
        is_primary=True,
        post__is_complaint=True,
        post__published_at__gte=baseline_start,
        post__published_at__lt=now,
    )
    counts = complaints.values("supplier_id").annotate(
        recent=Count("id", filter=Q(post__published_at__gte=window_start)),
        baseline=Count("id", filter=Q(post__published_at__lt=window_start)),
    )
    window_hours = WINDOW.total_seconds() / 3600
    spiking = {}
    for row in counts:
        expected = expected_count(
            baseline_count=row["baseline"],
            baseline_hours=BASELINE.total_seconds() / 3600,
            window_hours=window_hours,
        )
        if is_spike(recent=row["recent"], expected=expected, rule=rule):
            spiking[row["supplier_id"]] = (row["recent"], expected)
    flagged = []
    for supplier_id, (recent, expected) in sorted(spiking.items()):
        incident_id = _record_spike(
            supplier_id=supplier_id, recent=recent, expected=expected, now=now
        )
        if incident_id is not None:
            flagged.append(incident_id)
    return flagged


@transaction.atomic
def _record_spike(*, supplier_id: int, recent: int, expected: float, now: datetime) -> int | None:
    already = IncidentEvent.objects.filter(
        incident__supplier_id=supplier_id,
        kind=IncidentEvent.Kind.SPIKE,
        created_at__gte=now - WINDOW,
    ).exists()
    if already:
        return None
    busiest = (
        PostMatch.objects.exclude(post__visibility=Post.Visibility.PRIVATE)
        .filter(
            supplier_id=supplier_id,
            incident__isnull=False,
            incident__status__in=Incident.OPEN_STATUSES,
            post__published_at__gte=now - WINDOW,
            post__published_at__lt=now,
        )
        .values("incident_id")
        .annotate(n=Count("id"))
        .order_by("-n", "incident_id")
        .first()
    )
    if busiest is None:
        return None
    incident = Incident.objects.select_for_update().get(pk=busiest["incident_id"])
    spike = IncidentEvent.objects.create(
        incident=incident,
        kind=IncidentEvent.Kind.SPIKE,
        data={"complaints_last_hour": recent, "expected": round(expected, 2)},
    )
    events_announce([spike])
    if incident.severity < Severity.CRITICAL:
        incident_change_severity(incident, incident.severity + 1, by="spike").save()
    Incident.objects.filter(pk=incident.pk).update(last_activity_at=now)
    return incident.pk
