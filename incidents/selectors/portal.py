"""Reads of the supplier portal: the dashboard (its list is selectors.search.incident_search). It
starts from `visible_to` QuerySets, so a supplier's staff only ever count and read what DESIGN.md's
visibility table lets them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import Count, Sum
from django.utils import timezone

from supplierwatch.viewers import Viewer

from ..charts import TimeRange, Trend
from ..models import (
    ComplaintDay,
    Incident,
    IncidentEvent,
    Severity,
    overdue_condition,
    prefetch_eight_d,
)
from .incidents import INCIDENT_ORDER
from .trends import complaints_trend


@dataclass(frozen=True)
class SeverityCount:
    severity: int
    label: str
    open: int
    overdue: int


@dataclass(frozen=True)
class PortalOverview:
    by_severity: list[SeverityCount]
    most_severe: list[Incident]
    overdue: list[Incident]
    complaints: Trend
    top_categories: list[tuple[str, int]]
    spikes: list[IncidentEvent]

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.by_severity)

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue for row in self.by_severity)


def portal_overview(
    *, viewer: Viewer, time_range: TimeRange, now: datetime | None = None
) -> PortalOverview:
    """The portal dashboard in seven queries (eight for a range without complaints), whatever
    the number of incidents and posts:
    complaints, top categories and spikes over `time_range`."""
    now = now or timezone.now()
    incidents = Incident.objects.visible_to(viewer)
    open_incidents = incidents.open()
    # {severity: (open, overdue)}
    counts: dict[int, tuple[int, int]] = {
        row["severity"]: (row["n"], row["late"])
        for row in open_incidents.values("severity").annotate(
            n=Count("id"), late=Count("id", filter=overdue_condition(now))
        )
    }
    by_severity = [
        SeverityCount(
            severity=value,
            label=label,
            open=counts.get(value, (0, 0))[0],
            overdue=counts.get(value, (0, 0))[1],
        )
        for value, label in reversed(Severity.choices)
    ]
    most_severe = list(
        open_incidents.with_shown_times(viewer)
        .select_related("supplier", "category", "assignee")
        .order_by("-severity", *INCIDENT_ORDER)[:10]
    )
    overdue = list(
        open_incidents.overdue(now)
        .select_related("supplier", "category", "assignee")
        .order_by("-severity", "resolve_due_at", "id")[:20]
    )
    # What every view of an incident shows, for both lists in one query.
    prefetch_eight_d(most_severe + overdue)

    # Complaints are the evidence grouped into incidents, dated when posted, counted per day.
    days = ComplaintDay.objects.countable_by(viewer)
    complaints = complaints_trend(days, time_range=time_range, now=now)
    today = timezone.localdate(now)
    start = time_range.start(today)
    in_range = days.filter(day__lte=today)
    if start is not None:
        in_range = in_range.filter(day__gte=start)
    # Each complaint in its own category (Post.predicted_category: the buyer's choice or the
    # classifier's), whichever incident it was grouped, merged or split into.
    top_categories = [
        (row["category__name"] or "Uncategorised", row["total"])
        for row in in_range.values("category__name")
        .annotate(total=Sum("n"))
        .filter(total__gt=0)
        .order_by("-total", "category__name")[:5]
    ]
    since = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    # Spikes are dated when they happened (history at its own hour: services.spikes).
    spikes_in_range = IncidentEvent.objects.filter(
        kind=IncidentEvent.Kind.SPIKE, incident__in=incidents, created_at__lte=now
    )
    if since is not None:
        spikes_in_range = spikes_in_range.filter(created_at__gte=since)
    spikes = list(
        spikes_in_range.select_related("incident__supplier").order_by("-created_at", "-id")[:10]
    )
    return PortalOverview(
        by_severity=by_severity,
        most_severe=most_severe,
        overdue=overdue,
        complaints=complaints,
        top_categories=top_categories,
        spikes=spikes,
    )
