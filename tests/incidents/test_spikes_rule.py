"""When a supplier's complaint rate jumps (incidents/spikes.py): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.spikes import SpikeRule, expected_count, is_spike, jumps

WEEK_HOURS = 7 * 24


def test_expected_count_scales_the_baseline_rate_to_the_window():
    assert expected_count(baseline_count=168, baseline_hours=WEEK_HOURS, window_hours=1) == 1.0
    assert expected_count(baseline_count=14, baseline_hours=WEEK_HOURS, window_hours=2) == (
        pytest.approx(14 / 168 * 2)
    )


def test_no_baseline_time_means_nothing_expected():
    assert expected_count(baseline_count=10, baseline_hours=0, window_hours=1) == 0.0


def test_fewer_complaints_than_min_count_are_never_a_spike():
    assert not is_spike(recent=4, expected=0.0)
    assert not is_spike(recent=4, expected=0.01)


def test_a_supplier_with_no_history_spikes_on_min_count_alone():
    assert is_spike(recent=5, expected=0.0)


def test_a_burst_far_above_a_low_baseline_is_a_spike():
    # One complaint every twelve hours, then eight in one hour.
    expected = expected_count(baseline_count=14, baseline_hours=WEEK_HOURS, window_hours=1)
    assert is_spike(recent=8, expected=expected)


def test_a_steady_rate_is_not_a_spike():
    # Six complaints an hour all week, and six in the last hour.
    expected = expected_count(
        baseline_count=6 * WEEK_HOURS, baseline_hours=WEEK_HOURS, window_hours=1
    )
    assert not is_spike(recent=6, expected=expected)


def test_the_count_must_reach_min_ratio_times_the_expected_count():
    # expected 10: 3 x 10 = 30 is stricter than 10 + 3 x sqrt(10) = 19.5
    assert not is_spike(recent=29, expected=10.0)
    assert is_spike(recent=30, expected=10.0)


def test_the_count_must_also_be_min_sigmas_above_the_expected_count():
    # expected 1 with min_count 1: 3 x 1 = 3 would do, but 1 + 3 x sqrt(1) = 4 is required.
    rule = SpikeRule(min_count=1)
    assert not is_spike(recent=3, expected=1.0, rule=rule)
    assert is_spike(recent=4, expected=1.0, rule=rule)


def test_a_custom_rule_is_honoured():
    lenient = SpikeRule(min_count=2, min_ratio=1.5, min_sigmas=0.0)
    assert is_spike(recent=3, expected=2.0, rule=lenient)
    assert not is_spike(recent=3, expected=2.0)


@given(recent=st.integers(0, 500), expected=st.floats(0, 100, allow_nan=False))
def test_more_complaints_never_turn_a_spike_into_none(recent, expected):
    if is_spike(recent=recent, expected=expected):
        assert is_spike(recent=recent + 1, expected=expected)


@given(recent=st.integers(0, 500), expected=st.floats(0, 100, allow_nan=False))
def test_a_higher_baseline_never_turns_none_into_a_spike(recent, expected):
    if not is_spike(recent=recent, expected=expected):
        assert not is_spike(recent=recent, expected=expected + 1)


# --- Windows on the evidence's own times ---------------------------------------------------------

_T0 = datetime(2015, 3, 12, 14, 0, tzinfo=UTC)
_HOUR, _WEEK = timedelta(hours=1), timedelta(days=7)


def _jumps(times, ends=None, already=(), hourly=None):
    times = sorted(times)
    return jumps(
        times=times,
        hourly=hourly or {},
        ends=times if ends is None else ends,
        already=already,
        window=_HOUR,
        baseline=_WEEK,
    )


def test_a_burst_is_found_where_it_crossed_the_line_at_its_own_time():
    burst = [_T0 + timedelta(minutes=10 * i) for i in range(6)]
    (jump,) = _jumps(burst)
    assert jump.end == burst[4] and jump.recent == 5 and jump.expected == 0


def test_a_burst_in_an_hour_already_spiked_or_the_next_is_not_found_again():
    burst = [_T0 + timedelta(minutes=10 * i) for i in range(6)]
    assert _jumps(burst, already=[_T0 - timedelta(minutes=30)]) == []
    assert len(_jumps(burst, already=[_T0 - timedelta(hours=2)])) == 1


def test_the_baseline_is_the_week_of_whole_hours_before_the_window():
    burst = [_T0 + timedelta(minutes=10 * i) for i in range(6)]
    steady = {_T0 - timedelta(hours=h): 2 for h in range(2, 170)}
    assert _jumps(burst, hourly=steady) == []  # two an hour is the usual: six is no spike
    long_ago = {_T0 - _WEEK - timedelta(hours=h): 2 for h in range(3, 100)}
    assert len(_jumps(burst, hourly=long_ago)) == 1  # older than the week: not counted


def test_only_the_windows_ending_at_the_given_ends_are_looked_at():
    burst = [_T0 + timedelta(minutes=10 * i) for i in range(6)]
    assert _jumps(burst, ends=burst[:3]) == []
