"""Spike detection on the evidence's own times: a supplier whose complaints in an hour jump above
its trailing week (incidents.spikes has the rule and the windows).

Windows end at the complaints' published times, not at "now", so an import of history records the
spikes that happened then, dated to their hour, as history: no severity raised, nobody notified,
no webhook. Only a spike whose window ended within `SW_SPIKE_NEWS_HOURS` of now is news, told as
before. The pipeline looks at the hours each processed batch touches (a few queries per batch,
whatever its size); beat looks at the last hour as a safety net. Either way a supplier gets one
spike per clock hour at most (and none in the hour after one), however often detection reruns.
History imported out of order is judged again as its older evidence arrives (_history_judged_again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from suppliers.models import Supplier

from ..models import Incident, IncidentEvent, Post, PostMatch, Severity
from ..signals import events_announce
from ..spikes import (
    Jump,
    SpikeRule,
    counted_between,
    expected_count,
    floor_hour,
    is_spike,
    jumps,
)
from .processing import incident_change_severity

WINDOW = timedelta(hours=1)
BASELINE = timedelta(days=7)
DEFAULT_RULE = SpikeRule()

# {key (a supplier's or a monitor's id): (its earliest, its latest new evidence)}
Spans = Mapping[int, tuple[datetime, datetime]]


def news_since(now: datetime) -> datetime:
    """Spikes (and monitor jumps) whose window ended before this are history, not news."""
    return now - timedelta(hours=settings.SW_SPIKE_NEWS_HOURS)


def _complaints() -> QuerySet[PostMatch]:
    # Private reports are invisible to the supplier and other buyers; they never make a spike.
    return PostMatch.objects.exclude(post__visibility=Post.Visibility.PRIVATE).filter(
        is_primary=True, post__is_complaint=True
    )


def jumps_find(
    evidence: QuerySet,
    *,
    key: str,
    at: str,
    spans: Spans,
    now: datetime,
    already: Mapping[int, Iterable[datetime]],
    rule: SpikeRule = DEFAULT_RULE,
) -> dict[int, list[Jump]]:
    """The jumps in `evidence` (rows with a `key` id and an `at` time) among the windows that end
    at its times within each key's span (and up to an hour after: later windows hold the new
    evidence too), never after `now`. Two queries, whatever the number of keys and rows."""
    if not spans:
        return {}
    until = {k: min(last + WINDOW, now) for k, (_, last) in spans.items()}
    near = reduce(
        or_,
        (
            Q(**{key: k, f"{at}__gte": first - WINDOW, f"{at}__lte": until[k]})
            for k, (first, _) in spans.items()
        ),
    )
    times: dict[int, list[datetime]] = defaultdict(list)
    for k, moment in evidence.filter(near).order_by(at).values_list(key, at):
        times[k].append(moment)
    before = reduce(
        or_,
        (
            Q(
                **{
                    key: k,
                    f"{at}__gte": floor_hour(first - WINDOW) - BASELINE,
                    f"{at}__lt": floor_hour(until[k] - WINDOW),
                }
            )
            for k, (first, _) in spans.items()
        ),
    )
    hourly: dict[int, dict[datetime, int]] = defaultdict(dict)
    for row in (
        evidence.filter(before)
        .annotate(hour=TruncHour(at, tzinfo=UTC))
        .order_by()
        .values(key, "hour")
        .annotate(n=Count("id"))
    ):
        hourly[row[key]][row["hour"]] = row["n"]
    found = {}
    for k, (first, _) in spans.items():
        ends = [moment for moment in times[k] if first <= moment <= until[k]]
        spiking = jumps(
            times=times[k],
            hourly=hourly[k],
            ends=ends,
            already=already.get(k, ()),
            window=WINDOW,
            baseline=BASELINE,
            rule=rule,
        )
        if spiking:
            found[k] = spiking
    return found


def spikes_detect(*, now: datetime | None = None, rule: SpikeRule = DEFAULT_RULE) -> list[int]:
    """Beat's safety net: the windows ending at complaints published in the last hour.

    Returns the ids of the incidents that got a spike event."""
    now = now or timezone.now()
    recent = (
        _complaints()
        .filter(post__published_at__gte=now - WINDOW, post__published_at__lt=now)
        .order_by()
        .values("supplier_id")
        .annotate(first=Min("post__published_at"), last=Max("post__published_at"))
    )
    return spikes_detect_in(
        spans={row["supplier_id"]: (row["first"], row["last"]) for row in recent},
        now=now,
        rule=rule,
    )


def spikes_detect_for(
    posts: Iterable[tuple[int, datetime]], *, now: datetime | None = None
) -> list[int]:
    """The pipeline's check of a processed batch: (supplier id, published time) of its shared
    complaints. Returns the ids of the incidents that got a spike event."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for supplier_id, published_at in posts:
        first, last = spans.get(supplier_id, (published_at, published_at))
        spans[supplier_id] = (min(first, published_at), max(last, published_at))
    return spikes_detect_in(spans=spans, now=now or timezone.now())


def spikes_detect_in(*, spans: Spans, now: datetime, rule: SpikeRule = DEFAULT_RULE) -> list[int]:
    if not spans:
        return []
    earliest = min(first for first, _ in spans.values())
    recorded = list(
        IncidentEvent.objects.filter(
            kind=IncidentEvent.Kind.SPIKE,
            incident__supplier_id__in=list(spans),
            created_at__gte=floor_hour(earliest - WINDOW) - WINDOW,
        ).values_list("pk", "incident__supplier_id", "data", "created_at")
    )
    retracted = _history_judged_again(spans, recorded, rule)
    already: dict[int, list[datetime]] = defaultdict(list)
    for pk, supplier_id, data, created_at in recorded:
        if pk not in retracted:
            already[supplier_id].append(_spike_hour(data, created_at))
    found = jumps_find(
        _complaints(),
        key="supplier_id",
        at="post__published_at",
        spans=spans,
        now=now,
        already=already,
        rule=rule,
    )
    flagged = []
    for supplier_id, spiking in sorted(found.items()):
        for jump in spiking:
            incident_id = _record_spike(supplier_id=supplier_id, jump=jump, now=now)
            if incident_id is not None:
                flagged.append(incident_id)
    return flagged


def _history_judged_again(
    spans: Spans, recorded: list[tuple[int, int, dict, datetime]], rule: SpikeRule
) -> set[int]:
    """History imported out of order (newest first, say) has spikes judged before their week's
    evidence arrived. Those whose baseline this new evidence falls in are judged again on the
    baseline as it is now, and taken back when they no longer spike: as history, they were told
    to nobody. News is never taken back. The ids of the spike events taken back (one query, and
    one more when there are any to judge)."""
    doubtful = []
    for pk, supplier_id, data, created_at in recorded:
        if not (data or {}).get("history"):
            continue
        first, last = spans[supplier_id]
        hour = _spike_hour(data, created_at)
        # Its baseline is the week of whole hours before the hour its window starts in.
        if first < hour - WINDOW and hour - WINDOW - BASELINE <= last:
            doubtful.append((pk, supplier_id, hour, int(data.get("complaints_last_hour") or 0)))
    if not doubtful:
        return set()
    hourly: dict[int, dict[datetime, int]] = defaultdict(dict)
    for row in (
        _complaints()
        .filter(
            supplier_id__in={supplier_id for _, supplier_id, _, _ in doubtful},
            post__published_at__gte=min(h for _, _, h, _ in doubtful) - WINDOW - BASELINE,
            post__published_at__lt=max(h for _, _, h, _ in doubtful) - WINDOW,
        )
        .annotate(hour=TruncHour("post__published_at", tzinfo=UTC))
        .order_by()
        .values("supplier_id", "hour")
        .annotate(n=Count("id"))
    ):
        hourly[row["supplier_id"]][row["hour"]] = row["n"]
    retracted = set()
    for pk, supplier_id, hour, recent in doubtful:
        usual = counted_between(hourly[supplier_id], hour - WINDOW - BASELINE, hour - WINDOW)
        expected = expected_count(
            baseline_count=usual,
            baseline_hours=BASELINE.total_seconds() / 3600,
            window_hours=WINDOW.total_seconds() / 3600,
        )
        if not is_spike(recent=recent, expected=expected, rule=rule):
            retracted.add(pk)
    if retracted:
        IncidentEvent.objects.filter(pk__in=retracted, data__has_key="history").delete()
    return retracted


def _spike_hour(data: dict, created_at: datetime) -> datetime:
    hour = (data or {}).get("hour")
    return datetime.fromisoformat(hour) if hour else floor_hour(created_at)


@transaction.atomic
def _record_spike(*, supplier_id: int, jump: Jump, now: datetime) -> int | None:
    hour = floor_hour(jump.end)
    # Two workers finding the same spike at once: the second waits here, then sees the first's.
    # No key lock: a batch still adding evidence for this supplier (its foreign keys take a key
    # share lock on the row) is not kept waiting, so it cannot deadlock with this.
    Supplier.objects.select_for_update(no_key=True).filter(pk=supplier_id).first()
    taken = IncidentEvent.objects.filter(
        incident__supplier_id=supplier_id,
        kind=IncidentEvent.Kind.SPIKE,
        data__hour__in=[hour.isoformat(), (hour - timedelta(hours=1)).isoformat()],
    ).exists()
    if taken:
        return None
    news = jump.end >= news_since(now)
    in_window = _complaints().filter(
        supplier_id=supplier_id,
        incident__isnull=False,
        post__published_at__gt=jump.end - WINDOW,
        post__published_at__lte=jump.end,
    )
    if news:
        in_window = in_window.filter(incident__status__in=Incident.OPEN_STATUSES)
    busiest = (
        in_window.values("incident_id")
        .annotate(n=Count("id"))
        .order_by("-n", "incident_id")
        .first()
    )
    if busiest is None:
        return None
    data = {
        "complaints_last_hour": jump.recent,
        "expected": round(jump.expected, 2),
        # The hour, never the minute: the latest complaint may be an anonymous report.
        "hour": hour.isoformat(),
    }
    if not news:
        # History: on the timeline at its own hour, told to nobody, sent to no webhook.
        spike = IncidentEvent.objects.create(
            incident_id=busiest["incident_id"],
            kind=IncidentEvent.Kind.SPIKE,
            data={**data, "history": True},
            dispatched_at=now,
        )
        IncidentEvent.objects.filter(pk=spike.pk).update(created_at=hour)
        return busiest["incident_id"]
    incident = Incident.objects.select_for_update().get(pk=busiest["incident_id"])
    spike = IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.SPIKE, data=data
    )
    events_announce([spike])
    if incident.severity < Severity.CRITICAL:
        incident_change_severity(incident, incident.severity + 1, by="spike").save()
    Incident.objects.filter(pk=incident.pk).update(last_activity_at=now)
    return incident.pk
