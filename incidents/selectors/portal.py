"""Reads of the supplier portal: the dashboard (its list is selectors.search.incident_search). It
starts from `visible_to` QuerySets, so a supplier's staff only ever count and read what DESIGN.md's
visibility table lets them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Count
from django.utils import timezone

from supplierwatch.viewers import Viewer

from ..charts import TimeRange, Trend
from ..models import (
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Severity,
    overdue_condition,
    prefetch_eight_d,
)
from .incidents import INCIDENT_ORDER
from .trends import evidence_trend

# How much earlier than its post's publication time a match may be stored: a source's clock
# ahead of ours. Beyond it a post dated in the future is left out of the dashboard's chart.
MATCHED_BEFORE_PUBLISHED = timedelta(days=7)


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
    """The portal dashboard in eight queries, whatever the number of incidents and posts:
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

    # Complaints are the evidence grouped into the viewer's incidents, dated when posted.
    evidence = PostMatch.objects.filter(incident__in=incidents, post__published_at__lte=now)
    own_supplier = viewer.supplier_id if viewer.is_supplier_staff else None
    if own_supplier is not None:
        # The supplier's own incidents' evidence is about it (as Post.objects.in_incident
        # says), so its visibility alone decides: no per-post look for a match.
        evidence = evidence.filter(supplier_id=own_supplier).exclude(
            post__visibility=Post.Visibility.PRIVATE
        )
    else:
        evidence = evidence.filter(post__in=Post.objects.visible_to(viewer))
    complaints = evidence_trend(
        evidence,
        at="post__published_at",
        time_range=time_range,
        now=now,
        title="Complaints",
        unit="complaints",
        unit_one="complaint",
    )
    start = time_range.start(timezone.localdate(now))
    since = timezone.make_aware(datetime.combine(start, time.min)) if start else None
    if since is not None:
        evidence = evidence.filter(post__published_at__gte=since)
        if own_supplier is not None:
            # A post is matched once it is stored, after it is published (a week's grace for
            # the clocks of its source), so only the supplier's recent matches are read
            # (match_supplier_recent), not all its evidence.
            evidence = evidence.filter(created_at__gte=since - MATCHED_BEFORE_PUBLISHED)
    top_categories = [
        (row["incident__category__name"] or "Uncategorised", row["n"])
        for row in evidence.values("incident__category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "incident__category__name")[:5]
    ]
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
