"""When a supplier's complaint rate jumps (incidents/spikes.py): pure, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.spikes import SpikeRule, expected_count, is_spike

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
