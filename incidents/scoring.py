"""Scorecard arithmetic: a supplier's figures for one period, the criteria's weights and the
standings' thresholds in; each criterion's sub-score, the weighted score and the standing out.

No Django here: the service (services/scorecards.py) reads the figures from the database and feeds
them in as plain values, so every rule below is unit-tested by hand and anyone can redo a stored
scorecard on paper from its figures.

The rules, once:
- Each criterion scores 0..100. A criterion where less is better (complaints, reopenings, hours)
  falls linearly from 100 at zero to 0 at its `worst` figure and stays 0 beyond. A rate (the share
  of promises kept) scores 100 times the rate.
- A criterion without a figure in the period (no promise fell due, disputes before they exist) is
  "not measured": it has no sub-score and its weight is left out, so the score is the weighted mean
  of what was measured.
- What a criterion "costs": the points of the score it loses, weight share x (100 - sub-score).
  Together they are 100 - score; the biggest are what would raise the score most.
- The standing is the one with the highest threshold at or below the (rounded) score.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

# --- criteria -------------------------------------------------------------------------------------

COMPLAINTS_PER_ORGANIZATION = "complaints_per_organization"
PUBLIC_COMPLAINTS = "public_complaints"
FIRST_ANSWER_ON_TIME = "first_answer_on_time"
FIRST_ANSWER_MEDIAN_HOURS = "first_answer_median_hours"
RESOLUTION_ON_TIME = "resolution_on_time"
RESOLUTION_MEDIAN_HOURS = "resolution_median_hours"
REOPENINGS = "reopenings"
UNITS_AFFECTED = "units_affected"
DISPUTES_UPHELD = "disputes_upheld"

# Criteria whose figure is a rate in 0..1 (more is better); every other one is "less is better".
RATES = frozenset({FIRST_ANSWER_ON_TIME, RESOLUTION_ON_TIME})


@dataclass(frozen=True)
class CriterionDefault:
    key: str
    name: str
    weight: float
    worst: float
    help: str


# The seed of the operators' ScoringCriterion rows (migration) and the names the pages show.
DEFAULT_CRITERIA: tuple[CriterionDefault, ...] = (
    CriterionDefault(
        COMPLAINTS_PER_ORGANIZATION,
        "Complaints per reporting organization (severity-weighted)",
        20,
        10,
        "Buyer reports weighted by severity (low 1, medium 2, high 4, critical 8), divided by "
        "the organizations that reported.",
    ),
    CriterionDefault(
        PUBLIC_COMPLAINTS, "Public complaints", 10, 20, "Public posts grouped into incidents."
    ),
    CriterionDefault(
        FIRST_ANSWER_ON_TIME,
        "First answer on time",
        15,
        0,
        "Share of the first-answer promises that fell due and were kept.",
    ),
    CriterionDefault(
        FIRST_ANSWER_MEDIAN_HOURS,
        "Median time to first answer (hours)",
        5,
        72,
        "Median hours from the SLA clock's start to the first answer.",
    ),
    CriterionDefault(
        RESOLUTION_ON_TIME,
        "Resolution on time",
        15,
        0,
        "Share of the resolution promises that fell due and were kept.",
    ),
    CriterionDefault(
        RESOLUTION_MEDIAN_HOURS,
        "Median time to resolution (hours)",
        5,
        336,
        "Median hours from the SLA clock's start to the resolution.",
    ),
    CriterionDefault(
        REOPENINGS, "Reopened incidents", 10, 5, "Times an incident was reopened in the period."
    ),
    CriterionDefault(
        UNITS_AFFECTED,
        "Units affected",
        10,
        1000,
        "Quantities affected, as buyer reports give them.",
    ),
    CriterionDefault(
        DISPUTES_UPHELD,
        "Disputes upheld against the supplier",
        10,
        5,
        "The supplier's disputes of evidence that were decided against it (rejected) in the period; "
        "not measured when none was decided.",
    ),
)
CRITERION_NAMES = {criterion.key: criterion.name for criterion in DEFAULT_CRITERIA}

# How much a buyer report weighs by its severity (1 low .. 4 critical): each step doubles.
SEVERITY_WEIGHTS = {1: 1, 2: 2, 3: 4, 4: 8}
DEFAULT_SEVERITY = 2


def severity_weight(severity: int | None) -> int:
    """A report without a severity weighs as a medium one."""
    return SEVERITY_WEIGHTS[severity if severity in SEVERITY_WEIGHTS else DEFAULT_SEVERITY]


# The standings seeded by the migration: (name, lowest score).
DEFAULT_STANDINGS: tuple[tuple[str, float], ...] = (
    ("Excellent", 90),
    ("Good", 75),
    ("Fair", 50),
    ("Poor", 0),
)


# --- figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRow:
    """One incident whose SLA clock started in the period, as stored."""

    first_answer_due_at: datetime | None
    first_answered_at: datetime | None
    time_to_first_answer: timedelta | None
    resolve_due_at: datetime | None
    resolved_at: datetime | None
    time_to_resolution: timedelta | None


@dataclass(frozen=True)
class Promises:
    kept: int = 0
    broken: int = 0
    median_hours: float | None = None

    @property
    def due(self) -> int:
        return self.kept + self.broken


def promises(
    rows: Iterable[tuple[datetime | None, datetime | None, timedelta | None]], *, as_of: datetime
) -> Promises:
    """(due at, done at, time taken) of one promise per incident -> how many were kept, how many
    broken (done late, or not done and past due as of `as_of`), and the median time taken of
    those done. A promise not done and not yet due is neither."""
    kept = broken = 0
    taken: list[float] = []
    for due_at, done_at, elapsed in rows:
        if elapsed is not None:
            taken.append(elapsed.total_seconds() / 3600)
        if due_at is None:
            continue
        if done_at is not None:
            if done_at <= due_at:
                kept += 1
            else:
                broken += 1
        elif due_at < as_of:
            broken += 1
    median = round(statistics.median(taken), 2) if taken else None
    return Promises(kept=kept, broken=broken, median_hours=median)


@dataclass(frozen=True)
class Figures:
    """What one supplier's scorecard of one period is computed from: the evidence every buyer may
    count (never private reports). Stored with the scorecard, so anyone can check it by hand."""

    buyer_reports: int = 0
    # Sum of severity_weight over the buyer reports.
    weighted_reports: int = 0
    # Organizations that reported by name plus organizations that reported anonymously: one that
    # did both counts in each, so the figure never tells whether anonymous reports came from an
    # organization that reported by name (DESIGN.md, "Anonymity must survive arithmetic").
    reporting_organizations: int = 0
    public_complaints: int = 0
    first_answers_kept: int = 0
    first_answers_broken: int = 0
    first_answer_median_hours: float | None = None
    resolutions_kept: int = 0
    resolutions_broken: int = 0
    resolution_median_hours: float | None = None
    reopenings: int = 0
    units_affected: int = 0
    # None: not measured (no dispute of the supplier's was decided in the period).
    disputes_upheld: int | None = None

    def value(self, key: str) -> float | None:
        """The figure a criterion scores; None when there is nothing to measure."""
        if key == COMPLAINTS_PER_ORGANIZATION:
            if not self.reporting_organizations:
                return 0.0
            return self.weighted_reports / self.reporting_organizations
        if key == FIRST_ANSWER_ON_TIME:
            return _rate(self.first_answers_kept, self.first_answers_broken)
        if key == RESOLUTION_ON_TIME:
            return _rate(self.resolutions_kept, self.resolutions_broken)
        simple: dict[str, float | None] = {
            PUBLIC_COMPLAINTS: self.public_complaints,
            FIRST_ANSWER_MEDIAN_HOURS: self.first_answer_median_hours,
            RESOLUTION_MEDIAN_HOURS: self.resolution_median_hours,
            REOPENINGS: self.reopenings,
            UNITS_AFFECTED: self.units_affected,
            DISPUTES_UPHELD: self.disputes_upheld,
        }
        if key not in simple:
            raise KeyError(f"unknown criterion {key!r}")
        return simple[key]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figures:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{key: value for key, value in data.items() if key in known})

    @property
    def is_empty(self) -> bool:
        """Nothing happened in the period: nothing to score."""
        return (
            not self.buyer_reports
            and not self.public_complaints
            and not (self.first_answers_kept + self.first_answers_broken)
            and not (self.resolutions_kept + self.resolutions_broken)
            and self.first_answer_median_hours is None
            and self.resolution_median_hours is None
            and not self.reopenings
        )


def _rate(kept: int, broken: int) -> float | None:
    return kept / (kept + broken) if kept + broken else None


# --- scores ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One criterion as operators set it: its weight, and the figure at which it scores 0."""

    key: str
    weight: float
    worst: float
    name: str = ""


def sub_score(key: str, value: float | None, worst: float) -> float | None:
    """0..100 for one criterion's figure; None when it was not measured."""
    if value is None:
        return None
    if key in RATES:
        return 100 * min(max(value, 0.0), 1.0)
    if worst <= 0:
        return 100.0 if value <= 0 else 0.0
    return 100 * (1 - min(max(value, 0.0), worst) / worst)


@dataclass(frozen=True)
class CriterionScore:
    key: str
    name: str
    weight: float
    worst: float
    value: float | None
    # None: not measured, left out of the score.
    sub_score: float | None
    # Points of the score this criterion loses (weight share x (100 - sub-score)).
    lost: float


@dataclass(frozen=True)
class Result:
    score: float | None
    criteria: list[CriterionScore] = field(default_factory=list)

    def most_lost(self, limit: int = 3) -> list[CriterionScore]:
        """The criteria whose improvement would raise the score most, biggest first."""
        losing = [c for c in self.criteria if c.lost > 0]
        return sorted(losing, key=lambda c: (-c.lost, c.key))[:limit]


def score(figures: Figures, criteria: Sequence[Criterion]) -> Result:
    """Each criterion's sub-score and the weighted score (None when nothing weighted was
    measured). Scores are rounded to one decimal, as shown; sub-scores and losses to two."""
    scored = [
        (criterion, figures.value(criterion.key)) for criterion in criteria if criterion.weight > 0
    ]
    subs = {c.key: sub_score(c.key, value, c.worst) for c, value in scored}
    measured_weight = sum(c.weight for c, _ in scored if subs[c.key] is not None)
    rows = []
    total = 0.0
    for criterion, value in scored:
        sub = subs[criterion.key]
        lost = 0.0
        if sub is not None and measured_weight:
            share = criterion.weight / measured_weight
            total += share * sub
            lost = share * (100 - sub)
        rows.append(
            CriterionScore(
                key=criterion.key,
                name=criterion.name or CRITERION_NAMES.get(criterion.key, criterion.key),
                weight=criterion.weight,
                worst=criterion.worst,
                value=None if value is None else round(value, 4),
                sub_score=None if sub is None else round(sub, 2),
                lost=round(lost, 2),
            )
        )
    return Result(score=round(total, 1) if measured_weight else None, criteria=rows)


def standing(value: float | None, thresholds: Iterable[tuple[str, float]]) -> str:
    """The name of the standing with the highest threshold at or below the score; "" for none."""
    if value is None:
        return ""
    reached = [(lowest, name) for name, lowest in thresholds if value >= lowest]
    return max(reached)[1] if reached else ""


# --- periods --------------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


def period_start(kind: PeriodKind | str, day: date) -> date:
    """The first day of the period (UTC days; weeks start on Monday) that holds `day`."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.WEEK:
        return day - timedelta(days=day.weekday())
    if kind is PeriodKind.MONTH:
        return day.replace(day=1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_after(kind: PeriodKind | str, start: date) -> date:
    """The first day of the next period."""
    kind = PeriodKind(kind)
    if kind is PeriodKind.WEEK:
        return start + timedelta(days=7)
    months = 1 if kind is PeriodKind.MONTH else 3
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def period_before(kind: PeriodKind | str, start: date) -> date:
    """The first day of the previous period."""
    return period_start(kind, start - timedelta(days=1))


def period_bounds(kind: PeriodKind | str, start: date) -> tuple[datetime, datetime]:
    """[from, to) of the period as UTC midnights: whole hours, so a count per period dates no
    evidence more exactly than the hour it is shown to."""
    end = period_after(kind, start)
    return (
        datetime(start.year, start.month, start.day, tzinfo=UTC),
        datetime(end.year, end.month, end.day, tzinfo=UTC),
    )


def period_label(kind: PeriodKind | str, start: date) -> str:
    kind = PeriodKind(kind)
    if kind is PeriodKind.WEEK:
        year, week, _ = start.isocalendar()
        return f"Week {week}, {year}"
    if kind is PeriodKind.MONTH:
        return start.strftime("%B %Y")
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


def periods_between(kind: PeriodKind | str, first: date, last: date) -> list[date]:
    """The starts of the periods from the one holding `first` to the one holding `last`."""
    starts = []
    start = period_start(kind, first)
    while start <= last:
        starts.append(start)
        start = period_after(kind, start)
    return starts
