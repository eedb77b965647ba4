"""Reads of keyword monitors: a party's list, one monitor's volume and the posts it found."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Value
from django.db.models.functions import TruncDate

from supplierwatch.viewers import Viewer

from ..models import KeywordMonitor, MonitorMatch, Post

# A monitor's list row counts what it found in the last week.
RECENT = timedelta(days=7)


def _watched_by(viewer: Viewer) -> Exists | Value:
    if viewer.user_id is None:
        return Value(False)
    return Exists(
        KeywordMonitor.watchers.through.objects.filter(
            keywordmonitor_id=OuterRef("pk"), user_id=viewer.user_id
        )
    )


def monitors_of(*, viewer: Viewer, now: datetime) -> QuerySet[KeywordMonitor]:
    """The viewer's party's monitors, each with `found_recently`, `last_found_at`, `last_alert_at`
    and whether the viewer watches it (`watching`); one query however many there are."""
    return (
        KeywordMonitor.objects.visible_to(viewer)
        .annotate(
            found_recently=Count(
                "matches", filter=Q(matches__published_at__gte=now - RECENT), distinct=True
            ),
            last_found_at=Max("matches__published_at"),
            last_alert_at=Max("alerts__window_end"),
            watching=_watched_by(viewer),
        )
        .order_by("name", "id")
    )


def monitor_of(*, viewer: Viewer, pk: int) -> KeywordMonitor | None:
    """One of the viewer's party's monitors (None, as for a missing one, for anyone else's)."""
    return (
        KeywordMonitor.objects.visible_to(viewer)
        .annotate(watching=_watched_by(viewer))
        .prefetch_related("suppliers")
        .filter(pk=pk)
        .first()
    )


def monitor_volume_per_day(*, monitor: KeywordMonitor, since: date) -> dict[date, int]:
    rows = (
        MonitorMatch.objects.filter(monitor=monitor, published_at__date__gte=since)
        .annotate(day=TruncDate("published_at"))
        .order_by()
        .values("day")
        .annotate(n=Count("id"))
    )
    return {row["day"]: row["n"] for row in rows}


def monitor_posts(*, monitor: KeywordMonitor) -> QuerySet[Post]:
    """The public posts the monitor found, newest first, with the suppliers they name."""
    return (
        Post.objects.filter(monitor_matches__monitor=monitor)
        .select_related("category", "predicted_category", "label_category")
        .prefetch_related("matches__supplier")
        .order_by("-published_at", "-id")
    )
