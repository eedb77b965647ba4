"""Reads of the supplier portal: the dashboard (its list is selectors.search.incident_search). It
starts from `visible_to` QuerySets, so a supplier's staff only ever count and read what DESIGN.md's
visibility table lets them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from supplierwatch.viewers import Viewer

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
class DayCount:
    day: date
    count: int


@dataclass(frozen=True)
class PortalOverview:
    by_severity: list[SeverityCount]
    most_severe: list[Incident]
    overdue: list[Incident]
    per_day: list[DayCount]
    top_categories: list[tuple[str, int]]
    spikes: list[IncidentEvent]

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.by_severity)

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue for row in self.by_severity)


def portal_overview(
    *, viewer: Viewer, now: datetime | None = None, days: int = 30, spike_days: int = 7
) -> PortalOverview:
    """The portal dashboard in five queries, whatever the number of incidents and posts."""
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
    today = timezone.localdate(now)
    first_day = today - timedelta(days=days - 1)
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    evidence = PostMatch.objects.filter(
        incident__in=incidents, post__published_at__gte=start, post__published_at__lte=now
    )
    if viewer.is_supplier_staff and viewer.supplier_id is not None:
        # The supplier's own incidents' evidence is about it (as Post.objects.in_incident
        # says), so its visibility alone decides: no per-post look for a match. And a post is
        # matched once it is stored, after it is published (a week's grace for the clocks of its
        # source), so only the supplier's recent matches are read (match_supplier_recent), not
        # all its evidence.
        evidence = evidence.filter(
            supplier_id=viewer.supplier_id,
            created_at__gte=start - MATCHED_BEFORE_PUBLISHED,
        ).exclude(post__visibility=Post.Visibility.PRIVATE)
    else:
        evidence = evidence.filter(post__in=Post.objects.visible_to(viewer))
    # Both the chart and the top categories from one pass: per day and category.
    counted: dict[date, int] = defaultdict(int)
    per_category: dict[str, int] = defaultdict(int)
    for row in (
        evidence.annotate(day=TruncDate("post__published_at"))
        .values("day", "incident__category__name")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counted[row["day"]] += row["n"]
        per_category[row["incident__category__name"] or "Uncategorised"] += row["n"]
    per_day = [
        DayCount(day=first_day + timedelta(days=i), count=counted.get(first_day + timedelta(i), 0))
        for i in range(days)
    ]
    top_categories = sorted(per_category.items(), key=lambda item: (-item[1], item[0]))[:5]
    spikes = list(
        IncidentEvent.objects.filter(
            kind=IncidentEvent.Kind.SPIKE,
            incident__in=incidents,
            created_at__gte=now - timedelta(days=spike_days),
        )
        .select_related("incident__supplier")
        .order_by("-created_at", "-id")[:10]
    )
    return PortalOverview(
        by_severity=by_severity,
        most_severe=most_severe,
        overdue=overdue,
        per_day=per_day,
        top_categories=top_categories,
        spikes=spikes,
    )
