"""Keyword monitors: a party's members keep them; the pipeline records what they find; a periodic
check records jumps in their volume (incidents.signals tells the notifications)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from ..inputs import clean_monitor
from ..models import KeywordMonitor, MonitorAlert, MonitorMatch, Post, to_the_hour
from ..signals import monitor_alerts_announce

MAY_NOT_KEEP = "Only members of a buyer organization or a supplier's team keep keyword monitors."
MAX_LIMIT_SUPPLIERS = 50


def _party(viewer: Viewer) -> dict[str, int]:
    if viewer.is_buyer and viewer.organization_id is not None:
        return {"organization_id": viewer.organization_id}
    if viewer.is_supplier_staff and viewer.supplier_id is not None:
        return {"supplier_id": viewer.supplier_id}
    raise ApplicationError(MAY_NOT_KEEP, code="forbidden")


def _require_member(actor: User, monitor: KeywordMonitor) -> None:
    if not KeywordMonitor.objects.visible_to(viewer_of(actor)).filter(pk=monitor.pk).exists():
        raise ApplicationError("No such monitor.", code="not_found")


@transaction.atomic
def monitor_save(
    *,
    actor: User,
    name: str,
    query: str,
    suppliers: Sequence[Supplier] = (),
    monitor: KeywordMonitor | None = None,
) -> KeywordMonitor:
    """Start a monitor for the actor's organization or team (the actor watches it), or change
    `monitor`, which must be their party's."""
    viewer = viewer_of(actor)
    cleaned = clean_monitor(name=name, query=query)
    if len(suppliers) > MAX_LIMIT_SUPPLIERS:
        raise ApplicationError(
            f"Limit a monitor to at most {MAX_LIMIT_SUPPLIERS} suppliers.", field="suppliers"
        )
    if monitor is None:
        monitor = KeywordMonitor(created_by=actor, **_party(viewer))
    else:
        _require_member(actor, monitor)
    monitor.name, monitor.query = cleaned.name, cleaned.query
    # Saved even when only the supplier limit changes: the matchers' version reads updated_at.
    monitor.save()
    monitor.suppliers.set(suppliers)
    if monitor.created_by_id == actor.pk:
        monitor.watchers.add(actor)
    return monitor


@transaction.atomic
def monitor_delete(*, actor: User, monitor: KeywordMonitor) -> None:
    _require_member(actor, monitor)
    KeywordMonitor.objects.filter(pk=monitor.pk).delete()


@transaction.atomic
def monitor_watch(*, actor: User, monitor: KeywordMonitor, watching: bool) -> None:
    """Be told of this monitor's jumps, or no longer."""
    _require_member(actor, monitor)
    if watching:
        monitor.watchers.add(actor)
    else:
        monitor.watchers.remove(actor)


def monitor_matches_record(posts: Iterable[tuple[Post, Iterable[int]]]) -> int:
    """Record the monitors each processed post satisfies (found by the pipeline as it matches the
    post: engines.get_matchers). Called by the pipeline inside its transaction; safe to repeat
    for a reprocessed post."""
    rows = [
        MonitorMatch(monitor_id=monitor_id, post=post, published_at=post.published_at)
        for post, monitor_ids in posts
        for monitor_id in monitor_ids
    ]
    MonitorMatch.objects.bulk_create(rows, ignore_conflicts=True)
    spans: dict[int, tuple[datetime, datetime]] = {}
    for row in rows:
        first, last = spans.get(row.monitor_id, (row.published_at, row.published_at))
        spans[row.monitor_id] = (min(first, row.published_at), max(last, row.published_at))
    monitor_alerts_record_in(spans=spans, now=timezone.now())
    return len(rows)


def monitor_alerts_record(*, now: datetime | None = None) -> list[int]:
    """Beat's safety net: the jumps in the windows ending at posts published in the last hour."""
    from .spikes import WINDOW

    now = now or timezone.now()
    recent = (
        MonitorMatch.objects.filter(
            monitor__is_active=True, published_at__gte=now - WINDOW, published_at__lt=now
        )
        .order_by()
        .values("monitor_id")
        .annotate(first=Min("published_at"), last=Max("published_at"))
    )
    return monitor_alerts_record_in(
        spans={row["monitor_id"]: (row["first"], row["last"]) for row in recent}, now=now
    )


def monitor_alerts_record_in(
    *, spans: Mapping[int, tuple[datetime, datetime]], now: datetime
) -> list[int]:
    """Record a jump on each monitor whose posts in an hour rise above its trailing week (the
    rule supplier spikes use), in the windows ending at its posts' own times within `spans`
    ({monitor id: (earliest, latest) new post}); the new alerts' ids. One alert per monitor and
    clock hour (and none in the hour after one); only those of recent windows are told
    (services.spikes.news_since), older ones are history on the monitor's page."""
    # Here rather than at the top: the spikes service imports the pipeline, which imports this.
    from .spikes import DEFAULT_RULE, WINDOW, jumps_find, news_since

    if not spans:
        return []
    earliest = min(first for first, _ in spans.values())
    already: dict[int, list[datetime]] = defaultdict(list)
    for monitor_id, hour in MonitorAlert.objects.filter(
        monitor_id__in=list(spans), hour__gte=earliest - 3 * WINDOW
    ).values_list("monitor_id", "hour"):
        already[monitor_id].append(hour)
    found = jumps_find(
        MonitorMatch.objects.filter(monitor__is_active=True),
        key="monitor_id",
        at="published_at",
        spans=spans,
        now=now,
        already=already,
        rule=DEFAULT_RULE,
    )
    recorded, news = [], []
    for monitor_id, spiking in sorted(found.items()):
        for jump in spiking:
            alert = _record_alert(monitor_id, jump.recent, jump.expected, jump.end, WINDOW)
            if alert is not None:
                recorded.append(alert)
                if jump.end >= news_since(now):
                    news.append(alert)
    monitor_alerts_announce(news)
    return [alert.pk for alert in recorded]


def _record_alert(
    monitor_id: int, recent: int, expected: float, end: datetime, window: timedelta
) -> MonitorAlert | None:
    hour = to_the_hour(end)
    # A jump that goes on is told once, not at every check.
    if MonitorAlert.objects.filter(
        monitor_id=monitor_id, hour__gte=hour - window, hour__lte=hour
    ).exists():
        return None
    try:
        with transaction.atomic():
            return MonitorAlert.objects.create(
                monitor_id=monitor_id,
                # One alert per monitor and clock hour, however many workers check at once.
                hour=hour,
                window_end=end,
                count=recent,
                expected=round(expected, 2),
            )
    except IntegrityError:
        return None
