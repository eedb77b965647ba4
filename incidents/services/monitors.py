"""Keyword monitors: a party's members keep them; the pipeline records what they find; a periodic
check records jumps in their volume (incidents.signals tells the notifications)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from suppliers.models import Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from .. import engines
from ..inputs import clean_monitor
from ..models import KeywordMonitor, MonitorAlert, MonitorMatch, Post, to_the_hour
from ..signals import monitor_alerts_announce
from ..spikes import expected_count, is_spike

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
    """Record which monitors each processed public post satisfies, given the suppliers it names.
    Called by the pipeline inside its transaction; safe to repeat for a reprocessed post."""
    matcher = engines.get_monitor_matcher()
    if not matcher.size:
        return 0
    rows = [
        MonitorMatch(monitor_id=monitor_id, post=post, published_at=post.published_at)
        for post, supplier_ids in posts
        # Buyers' reports are evidence for their supplier, never keyword hits for others.
        if not post.is_buyer_post
        for monitor_id in matcher.match(post.text, supplier_ids)
    ]
    MonitorMatch.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def monitor_alerts_record(*, now: datetime | None = None) -> list[int]:
    """Record a jump on each monitor whose posts in the last hour rise above its trailing
    baseline (the rule supplier spikes use), at most once an hour; the new alerts' ids."""
    # Here rather than at the top: the spikes service imports the pipeline, which imports this.
    from .spikes import BASELINE, DEFAULT_RULE, WINDOW

    now = now or timezone.now()
    window_start, baseline_start = now - WINDOW, now - WINDOW - BASELINE
    counts = (
        MonitorMatch.objects.filter(
            monitor__is_active=True, published_at__gte=baseline_start, published_at__lt=now
        )
        .values("monitor_id")
        .annotate(
            recent=Count("id", filter=Q(published_at__gte=window_start)),
            baseline=Count("id", filter=Q(published_at__lt=window_start)),
        )
        .filter(recent__gte=DEFAULT_RULE.min_count)
    )
    recorded = []
    for row in counts:
        expected = expected_count(
            baseline_count=row["baseline"],
            baseline_hours=BASELINE.total_seconds() / 3600,
            window_hours=WINDOW.total_seconds() / 3600,
        )
        if not is_spike(recent=row["recent"], expected=expected, rule=DEFAULT_RULE):
            continue
        alert = _record_alert(row["monitor_id"], row["recent"], expected, now, WINDOW)
        if alert is not None:
            recorded.append(alert.pk)
    return recorded


@transaction.atomic
def _record_alert(
    monitor_id: int, recent: int, expected: float, now: datetime, window: timedelta
) -> MonitorAlert | None:
    # A jump that goes on is told once, not at every check.
    if MonitorAlert.objects.filter(monitor_id=monitor_id, window_end__gt=now - window).exists():
        return None
    try:
        with transaction.atomic():
            alert = MonitorAlert.objects.create(
                monitor_id=monitor_id,
                # One alert per monitor and clock hour, however many workers check at once.
                hour=to_the_hour(now),
                window_end=now,
                count=recent,
                expected=round(expected, 2),
            )
    except IntegrityError:
        return None
    monitor_alerts_announce([alert])
    return alert
