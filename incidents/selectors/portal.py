"""Reads of the supplier portal: the filtered incident list and the dashboard. Each takes the viewer
and starts from a `visible_to` QuerySet, so a supplier's staff only ever count and read what
DESIGN.md's visibility table lets them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from supplierwatch.viewers import Viewer

from ..models import (
    Incident,
    IncidentEvent,
    IncidentQuerySet,
    Post,
    PostMatch,
    Severity,
    overdue_condition,
    prefetch_eight_d,
)
from .incidents import INCIDENT_ORDER, incident_list


@dataclass(frozen=True)
class PortalSort:
    label: str  # as the list's sort field offers it
    order_by: tuple[str, ...]


# The orders of the portal's list, by the `sort` its form sends (forms.SORT_CHOICES offers these),
# by the times as shown (selectors.incident_list annotates them).
PORTAL_SORTS: dict[str, PortalSort] = {
    "activity": PortalSort("Latest activity first", ("-shown_last_activity_at", "-id")),
    "severity": PortalSort("Most severe first", ("-severity", "-shown_last_activity_at", "-id")),
    "posts": PortalSort("Most reports first", ("-post_count", "-shown_last_activity_at", "-id")),
    "created": PortalSort("Newest first", ("-shown_created_at", "-id")),
}


def portal_incident_search(
    *,
    viewer: Viewer,
    status: str = "",
    severity: int | None = None,
    category_id: int | None = None,
    seen_from: datetime | None = None,
    seen_to: datetime | None = None,
    search: str = "",
    sort: str = "activity",
) -> IncidentQuerySet:
    """The viewer's incidents, filtered and sorted for the portal's list (one query per page).

    `status` is one status, "open" for any open one, "overdue" for open ones past a promised
    time, or "" for all. The dates select incidents
    with evidence in that period; the search looks at the title, lot, SKU and the text of the
    evidence this viewer may read (never at private reports, which would leak their words).
    """
    incidents = incident_list(viewer=viewer)
    if status == "open":
        incidents = incidents.open()
    elif status == "overdue":
        incidents = incidents.overdue(timezone.now())
    elif status:
        incidents = incidents.filter(status=status)
    if severity:
        incidents = incidents.filter(severity=severity)
    if category_id:
        incidents = incidents.filter(category_id=category_id)
    if seen_from is not None:
        incidents = incidents.filter(last_seen_at__gte=seen_from)
    if seen_to is not None:
        incidents = incidents.filter(first_seen_at__lt=seen_to)
    search = search.strip()
    if search:
        in_evidence = Post.objects.visible_to(viewer).filter(
            Q(text__icontains=search) | Q(lot__icontains=search) | Q(sku__icontains=search),
            matches__incident=OuterRef("pk"),
        )
        incidents = incidents.filter(
            Q(title__icontains=search)
            | Q(lot__icontains=search)
            | Q(sku__icontains=search)
            | Exists(in_evidence)
        )
    return incidents.order_by(*PORTAL_SORTS.get(sort, PORTAL_SORTS["activity"]).order_by)


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
    """The portal dashboard in six queries, whatever the number of incidents and posts."""
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
        incident__in=incidents,
        post__in=Post.objects.visible_to(viewer),
        post__published_at__gte=start,
        post__published_at__lte=now,
    )
    counted = {
        row["day"]: row["n"]
        for row in evidence.annotate(day=TruncDate("post__published_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    }
    per_day = [
        DayCount(day=first_day + timedelta(days=i), count=counted.get(first_day + timedelta(i), 0))
        for i in range(days)
    ]
    top_categories = [
        (row["incident__category__name"] or "Uncategorised", row["n"])
        for row in evidence.values("incident__category__name")
        .annotate(n=Count("id"))
        .order_by("-n", "incident__category__name")[:5]
    ]
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
