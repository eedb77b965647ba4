"""When does a supplier's complaint rate jump? Pure: counts in, a verdict out; no Django import."""

from __future__ import annotations

import math
from dataclasses import dataclass


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
