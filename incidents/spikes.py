"""When does a supplier's complaint rate (or a monitor's volume) jump? Pure: counts and times in,
a verdict out; no Django import. Windows end at the evidence's own times, so a history that is
imported shows the jumps that happened then."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True)
class SpikeRule:
    # Fewer complaints than this in the window is never a spike, whatever the baseline.
    min_count: int = 5
    # The window's count must be at least this many times the expected count...
    min_ratio: float = 3.0
    # ...and this many standard deviations above it (Poisson: sd = sqrt(expected)).
    min_sigmas: float = 3.0


def expected_count(*, baseline_count: int, baseline_hours: float, window_hours: float) -> float:
    if baseline_hours <= 0:
        return 0.0
    return baseline_count / baseline_hours * window_hours


def is_spike(*, recent: int, expected: float, rule: SpikeRule | None = None) -> bool:
    rule = rule or SpikeRule()
    if recent < rule.min_count:
        return False
    # A supplier with no history at all spikes on min_count alone.
    threshold = max(expected * rule.min_ratio, expected + rule.min_sigmas * math.sqrt(expected))
    return recent >= threshold


@dataclass(frozen=True)
class Jump:
    """A window of evidence that spiked: it ended at `end` (the time of its latest piece of
    evidence) and held `recent` pieces where `expected` were usual."""

    end: datetime
    recent: int
    expected: float


def floor_hour(moment: datetime) -> datetime:
    """The UTC clock hour a moment falls in."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def counted_between(hourly: Mapping[datetime, int], start: datetime, end: datetime) -> int:
    """The evidence of the clock hours from `start` up to (not including) `end`."""
    return sum(n for hour, n in hourly.items() if start <= hour < end)


def jumps(
    *,
    times: Sequence[datetime],
    hourly: Mapping[datetime, int],
    ends: Iterable[datetime],
    already: Iterable[datetime] = (),
    window: timedelta,
    baseline: timedelta,
    rule: SpikeRule | None = None,
) -> list[Jump]:
    """The spikes among the windows ending at `ends`, on the evidence's own times.

    `times` are the evidence's times (sorted) around the windows; a window ending at `e` holds
    those in (e - window, e]. `hourly` counts the evidence per UTC clock hour: a window's
    baseline is the `baseline` of whole hours before the hour its window starts in. A spike is
    told once: none in the clock hour of one already recorded (`already`, their hours) nor in
    the hour after it; of a run of spiking windows, the first (when it crossed the threshold).
    """
    rule = rule or SpikeRule()
    hours = sorted(hourly)
    running, total = [], 0
    for hour in hours:
        total += hourly[hour]
        running.append(total)

    def counted_before(moment: datetime) -> int:
        index = bisect_left(hours, moment)
        return running[index - 1] if index else 0

    taken = [floor_hour(moment) for moment in already]
    found: list[Jump] = []
    baseline_hours = baseline.total_seconds() / 3600
    window_hours = window.total_seconds() / 3600
    for end in sorted(set(ends)):
        hour = floor_hour(end)
        if any(timedelta(0) <= hour - other <= timedelta(hours=1) for other in taken):
            continue
        recent = bisect_right(times, end) - bisect_right(times, end - window)
        if recent < rule.min_count:
            continue
        baseline_end = floor_hour(end - window)
        usual = counted_before(baseline_end) - counted_before(baseline_end - baseline)
        expected = expected_count(
            baseline_count=usual, baseline_hours=baseline_hours, window_hours=window_hours
        )
        if is_spike(recent=recent, expected=expected, rule=rule):
            found.append(Jump(end=end, recent=recent, expected=expected))
            taken.append(hour)
    return found
