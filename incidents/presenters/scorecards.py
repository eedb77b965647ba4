"""A stored scorecard as the pages and the API show it: the score and standing, the figures it was
computed from (so anyone can check it by hand), each criterion's weight, sub-score and the points
it loses, and the criteria whose improvement would raise the score most.

The same for every viewer: a stored scorecard counts only evidence every buyer may count
(services.scorecards), and who may look a supplier up is the selectors' rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from .. import scoring
from ..models import Scorecard


@dataclass(frozen=True)
class FigureRow:
    label: str
    value: str


@dataclass(frozen=True)
class CriterionRow:
    key: str
    name: str
    weight: float
    worst: float
    # The criterion's figure as shown ("66.7%", "24 h", "3"); "not measured" when it has none.
    shown_value: str
    value: float | None
    sub_score: float | None
    lost: float

    @property
    def measured(self) -> bool:
        return self.sub_score is not None


@dataclass(frozen=True)
class ScorecardView:
    period: str
    period_start: date
    # The period's last day.
    period_end: date
    label: str
    # The period has not ended: its figures may still grow.
    in_progress: bool
    score: float | None
    standing: str
    computed_at: datetime
    figures: scoring.Figures
    figure_rows: list[FigureRow]
    criteria: list[CriterionRow]

    @property
    def to_raise(self) -> list[CriterionRow]:
        """What would raise the score most: the criteria losing the most points, biggest first."""
        losing = [row for row in self.criteria if row.lost > 0]
        return sorted(losing, key=lambda row: (-row.lost, row.key))[:3]

    @property
    def standing_slug(self) -> str:
        return self.standing.lower().replace(" ", "-")


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "not measured"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}".strip()


def _shown_value(key: str, value: float | None) -> str:
    if value is None:
        return "no dispute decided" if key == scoring.DISPUTES_UPHELD else "nothing due"
    if key in scoring.RATES:
        return f"{value * 100:.1f}%"
    if key in (scoring.FIRST_ANSWER_MEDIAN_HOURS, scoring.RESOLUTION_MEDIAN_HOURS):
        return _number(value, "h")
    return _number(value)


def _figure_rows(figures: scoring.Figures) -> list[FigureRow]:
    def kept(kept: int, broken: int) -> str:
        return f"{kept} of {kept + broken}" if kept + broken else "none due"

    return [
        FigureRow("Buyer reports", str(figures.buyer_reports)),
        FigureRow(
            "Severity-weighted reports (low 1, medium 2, high 4, critical 8)",
            str(figures.weighted_reports),
        ),
        FigureRow(
            "Reporting organizations (by name + anonymously)",
            str(figures.reporting_organizations),
        ),
        FigureRow("Public complaints", str(figures.public_complaints)),
        FigureRow(
            "First answers on time",
            kept(figures.first_answers_kept, figures.first_answers_broken),
        ),
        FigureRow(
            "Median time to first answer",
            _number(figures.first_answer_median_hours, "h")
            if figures.first_answer_median_hours is not None
            else "none given",
        ),
        FigureRow(
            "Resolutions on time", kept(figures.resolutions_kept, figures.resolutions_broken)
        ),
        FigureRow(
            "Median time to resolution",
            _number(figures.resolution_median_hours, "h")
            if figures.resolution_median_hours is not None
            else "none resolved",
        ),
        FigureRow("Reopenings", str(figures.reopenings)),
        FigureRow("Units affected", str(figures.units_affected)),
        FigureRow(
            "Disputes upheld",
            "no dispute decided"
            if figures.disputes_upheld is None
            else str(figures.disputes_upheld),
        ),
    ]


def scorecard_view(scorecard: Scorecard, *, today: date) -> ScorecardView:
    figures = scorecard.shown_figures
    end = scoring.period_after(scorecard.period, scorecard.period_start)
    criteria = [
        CriterionRow(
            key=row["key"],
            name=row["name"],
            weight=row["weight"],
            worst=row["worst"],
            shown_value=_shown_value(row["key"], row["value"]),
            value=row["value"],
            sub_score=row["sub_score"],
            lost=row["lost"],
        )
        for row in scorecard.criteria
    ]
    return ScorecardView(
        period=scorecard.period,
        period_start=scorecard.period_start,
        period_end=end - timedelta(days=1),
        label=scorecard.period_label,
        in_progress=today < end,
        score=scorecard.score,
        standing=scorecard.standing,
        computed_at=scorecard.computed_at,
        figures=figures,
        figure_rows=_figure_rows(figures),
        criteria=criteria,
    )
