"""Scorecard arithmetic without a database: every expected number is worked out by hand in the
comment beside it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from incidents import scoring
from incidents.scoring import Criterion, Figures

H = timedelta(hours=1)
NOON = datetime(2026, 11, 10, 12, tzinfo=UTC)

TWO = [
    Criterion(scoring.COMPLAINTS_PER_ORGANIZATION, weight=3, worst=10),
    Criterion(scoring.FIRST_ANSWER_ON_TIME, weight=1, worst=0),
]


def test_less_is_better_criteria_fall_linearly_to_zero_at_their_worst():
    assert scoring.sub_score(scoring.PUBLIC_COMPLAINTS, 0, 20) == 100
    assert scoring.sub_score(scoring.PUBLIC_COMPLAINTS, 5, 20) == 75  # 100 * (1 - 5/20)
    assert scoring.sub_score(scoring.PUBLIC_COMPLAINTS, 20, 20) == 0
    assert scoring.sub_score(scoring.PUBLIC_COMPLAINTS, 500, 20) == 0


def test_rates_score_their_share_of_promises_kept():
    assert scoring.sub_score(scoring.FIRST_ANSWER_ON_TIME, 0.75, 0) == 75
    assert scoring.sub_score(scoring.RESOLUTION_ON_TIME, 1.0, 0) == 100


def test_nothing_measured_has_no_sub_score():
    assert scoring.sub_score(scoring.FIRST_ANSWER_ON_TIME, None, 0) is None


def test_complaints_per_organization_divides_severity_weighted_reports_by_the_reporters():
    # 3 reports: medium (2) + high (4) + critical (8) = 14, from 2 organizations: 7 each.
    weighted = sum(scoring.severity_weight(s) for s in (2, 3, 4))
    figures = Figures(buyer_reports=3, weighted_reports=weighted, reporting_organizations=2)
    assert weighted == 14
    assert figures.value(scoring.COMPLAINTS_PER_ORGANIZATION) == 7


def test_a_report_without_severity_weighs_as_medium():
    assert scoring.severity_weight(None) == scoring.severity_weight(2) == 2


def test_the_score_is_the_weighted_mean_of_the_sub_scores():
    # complaints 7 per organization -> 100 * (1 - 7/10) = 30; first answers 3 of 4 on time -> 75.
    # Weights 3 and 1: (3 * 30 + 1 * 75) / 4 = 41.25 -> 41.2 (one decimal, half to even).
    figures = Figures(
        buyer_reports=3,
        weighted_reports=14,
        reporting_organizations=2,
        first_answers_kept=3,
        first_answers_broken=1,
    )
    result = scoring.score(figures, TWO)
    assert [c.sub_score for c in result.criteria] == [30, 75]
    assert result.score == pytest.approx(41.2)
    # Points lost: 3/4 * 70 = 52.5 and 1/4 * 25 = 6.25; with the score they make 100.
    assert [c.lost for c in result.criteria] == [52.5, 6.25]
    assert result.most_lost(1)[0].key == scoring.COMPLAINTS_PER_ORGANIZATION


def test_changing_a_weight_changes_the_score_as_by_hand():
    figures = Figures(
        buyer_reports=3,
        weighted_reports=14,
        reporting_organizations=2,
        first_answers_kept=3,
        first_answers_broken=1,
    )
    heavier_answers = [TWO[0], Criterion(scoring.FIRST_ANSWER_ON_TIME, weight=3, worst=0)]
    # (3 * 30 + 3 * 75) / 6 = 52.5
    assert scoring.score(figures, heavier_answers).score == 52.5


def test_a_criterion_not_measured_leaves_its_weight_out():
    # No promise fell due: only complaints count, 30.
    figures = Figures(buyer_reports=3, weighted_reports=14, reporting_organizations=2)
    result = scoring.score(figures, TWO)
    assert result.score == 30
    assert result.criteria[1].sub_score is None
    assert result.criteria[1].lost == 0


def test_disputes_are_not_measured_yet_whatever_their_weight():
    criteria = [
        Criterion(scoring.PUBLIC_COMPLAINTS, weight=1, worst=20),
        Criterion(scoring.DISPUTES_UPHELD, weight=50, worst=5),
    ]
    result = scoring.score(Figures(public_complaints=5), criteria)
    assert result.score == 75
    assert result.criteria[1].sub_score is None


def test_a_criterion_weighted_zero_is_not_scored():
    criteria = [*TWO, Criterion(scoring.PUBLIC_COMPLAINTS, weight=0, worst=20)]
    result = scoring.score(Figures(public_complaints=20), criteria)
    assert [c.key for c in result.criteria] == [c.key for c in TWO]


def test_no_weight_measured_means_no_score():
    result = scoring.score(Figures(), [Criterion(scoring.FIRST_ANSWER_ON_TIME, 1, 0)])
    assert result.score is None
    assert scoring.standing(result.score, scoring.DEFAULT_STANDINGS) == ""


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (100, "Excellent"),
        (90, "Excellent"),
        (89.9, "Good"),
        (75, "Good"),
        (50, "Fair"),
        (0, "Poor"),
    ],
)
def test_the_standing_is_the_highest_threshold_reached(value, name):
    assert scoring.standing(value, scoring.DEFAULT_STANDINGS) == name


def test_below_every_threshold_there_is_no_standing():
    assert scoring.standing(10, [("Good", 50)]) == ""


def test_promises_kept_broken_and_pending():
    rows = [
        (NOON, NOON - H, 2 * H),  # answered before due: kept, took 2 h
        (NOON, NOON + H, 5 * H),  # answered after due: broken, took 5 h
        (NOON, None, None),  # not answered and past due: broken
        (NOON + 48 * H, None, None),  # not answered, not due yet: neither
    ]
    found = scoring.promises(rows, as_of=NOON + 2 * H)
    assert (found.kept, found.broken, found.due) == (1, 2, 3)
    assert found.median_hours == 3.5  # median of 2 and 5


def test_no_promise_due_means_no_rate():
    figures = Figures()
    assert figures.value(scoring.FIRST_ANSWER_ON_TIME) is None
    assert figures.value(scoring.COMPLAINTS_PER_ORGANIZATION) == 0


def test_figures_survive_a_round_trip_through_json_data():
    figures = Figures(buyer_reports=2, first_answer_median_hours=1.5)
    assert Figures.from_dict({**figures.as_dict(), "unknown": 1}) == figures


@pytest.mark.parametrize(
    ("kind", "day", "start", "after", "label"),
    [
        ("week", date(2026, 12, 3), date(2026, 11, 30), date(2026, 12, 7), "Week 49, 2026"),
        ("month", date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1), "December 2026"),
        ("quarter", date(2026, 11, 15), date(2026, 10, 1), date(2027, 1, 1), "Q4 2026"),
        ("quarter", date(2026, 2, 1), date(2026, 1, 1), date(2026, 4, 1), "Q1 2026"),
    ],
)
def test_periods(kind, day, start, after, label):
    assert scoring.period_start(kind, day) == start
    assert scoring.period_after(kind, start) == after
    assert scoring.period_before(kind, after) == start
    assert scoring.period_label(kind, start) == label
    begin, end = scoring.period_bounds(kind, start)
    assert (begin.date(), end.date(), begin.tzinfo) == (start, after, UTC)


def test_periods_between_covers_both_ends():
    assert scoring.periods_between("month", date(2026, 10, 20), date(2026, 12, 1)) == [
        date(2026, 10, 1),
        date(2026, 11, 1),
        date(2026, 12, 1),
    ]
