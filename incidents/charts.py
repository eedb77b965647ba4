"""Bar charts as plain data: bars computed here, drawn as SVG by templates/incidents/_bar_chart.html.

Pure: no Django import. Every chart carries a text summary, its accessible alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass
class BarChart:
    title: str
    unit: str  # what a bar counts, plural ("complaints"); `unit_one` is the singular
    points: list[tuple[str, int]]
    period: str = "day"
    unit_one: str = ""
    width: int = 800
    height: int = 150
    plot_top: int = 1
    plot_bottom: int = 150
    bars: list[Bar] = field(default_factory=list)

    def __post_init__(self) -> None:
        count = max(len(self.points), 1)
        slot = self.width / count
        gap = min(slot * 0.2, 4)
        scale = (self.plot_bottom - self.plot_top) / max(self.max_value, 1)
        for index, (label, value) in enumerate(self.points):
            height = value * scale
            self.bars.append(
                Bar(
                    x=round(index * slot + gap / 2, 2),
                    y=round(self.plot_bottom - height, 2),
                    width=round(max(slot - gap, 1), 2),
                    height=round(height, 2),
                    label=label,
                    value=value,
                )
            )

    @property
    def max_value(self) -> int:
        return max((value for _, value in self.points), default=0)

    @property
    def total(self) -> int:
        return sum(value for _, value in self.points)

    @property
    def first_label(self) -> str:
        return self.points[0][0] if self.points else ""

    @property
    def last_label(self) -> str:
        return self.points[-1][0] if self.points else ""

    @property
    def summary(self) -> str:
        """The text alternative: what a person would read off the chart."""
        if not self.total:
            return f"No {self.unit} from {self.first_label} to {self.last_label}."
        # Once, not for each bar looked at: a chart of years has hundreds of them.
        peak, total = self.max_value, self.total
        peak_label = next(label for label, value in self.points if value == peak)
        unit = self.unit_one if total == 1 and self.unit_one else self.unit
        return (
            f"{total} {unit} from {self.first_label} to {self.last_label}; "
            f"the most in one {self.period}: {peak} ({peak_label})."
        )


def daily_points(counts: dict[date, int], start: date, end: date) -> list[tuple[str, int]]:
    days = (end - start).days + 1
    return [
        ((start + timedelta(d)).isoformat(), counts.get(start + timedelta(d), 0))
        for d in range(days)
    ]


def weekly_points(counts: dict[date, int], start: date, end: date) -> list[tuple[str, int]]:
    """Weeks starting on Monday, labelled by that Monday."""
    first_monday = start - timedelta(days=start.weekday())
    weeks: dict[date, int] = {}
    monday = first_monday
    while monday <= end:
        weeks[monday] = 0
        monday += timedelta(days=7)
    for day, value in counts.items():
        week = day - timedelta(days=day.weekday())
        if week in weeks:
            weeks[week] += value
    return [(f"week of {week.isoformat()}", value) for week, value in weeks.items()]


def monthly_points(counts: dict[date, int], start: date, end: date) -> list[tuple[str, int]]:
    """Calendar months, labelled YYYY-MM; `counts` may be by day or by first of the month."""
    months: dict[date, int] = {}
    month = start.replace(day=1)
    while month <= end:
        months[month] = 0
        month = (month + timedelta(days=32)).replace(day=1)
    for day, value in counts.items():
        first = day.replace(day=1)
        if first in months:
            months[first] += value
    return [(month.strftime("%Y-%m"), value) for month, value in months.items()]


# --- Chosen ranges ------------------------------------------------------------------------------

BUCKET_POINTS = {"day": daily_points, "week": weekly_points, "month": monthly_points}


@dataclass(frozen=True)
class TimeRange:
    """A range a trend or a dashboard shows: the last `days` days, or all time (days None)."""

    key: str
    label: str  # "last 30 days", "all time"
    days: int | None
    bucket: str  # day, week or month: bars that suit the range

    def start(self, today: date) -> date | None:
        return None if self.days is None else today - timedelta(days=self.days - 1)


RANGES = {
    r.key: r
    for r in (
        TimeRange("7d", "last 7 days", 7, "day"),
        TimeRange("30d", "last 30 days", 30, "day"),
        TimeRange("90d", "last 90 days", 90, "week"),
        TimeRange("1y", "last year", 365, "month"),
        TimeRange("all", "all time", None, "month"),
    )
}
ALL_TIME = RANGES["all"]
# All time charts by the day or the week while its evidence spans no more than these days.
ALL_TIME_DAILY_MAX_DAYS = 60
ALL_TIME_WEEKLY_MAX_DAYS = 366


def time_range(value: str | None, default: str) -> tuple[TimeRange, str]:
    """The range a `range` parameter names, and "" ; or the default and a sentence saying why
    (an unknown value is never an error page, only a note above the chart)."""
    if value is None or value == "":
        return RANGES[default], ""
    if value in RANGES:
        return RANGES[value], ""
    shown = value[:20]
    return RANGES[default], (
        f"“{shown}” is not a range (choose one of {', '.join(RANGES)}); "
        f"showing the {RANGES[default].label}."
    )


def all_time_bucket(first: date, today: date) -> str:
    """All time charts its evidence from the first day: bars that suit that span."""
    span = (today - first).days + 1
    if span <= ALL_TIME_DAILY_MAX_DAYS:
        return "day"
    return "week" if span <= ALL_TIME_WEEKLY_MAX_DAYS else "month"


@dataclass(frozen=True)
class Trend:
    """A trend over a chosen range: its chart, and what to say when the range is empty but
    older evidence exists (`latest`, the date of the latest piece of evidence then)."""

    range: TimeRange
    chart: BarChart
    latest: date | None = None

    @property
    def older_than_range(self) -> bool:
        return self.latest is not None


def trend(
    counts: dict[date, int],
    *,
    time_range: TimeRange,
    bucket: str,
    start: date,
    today: date,
    latest: date | None,
    title: str,
    unit: str,
    unit_one: str,
) -> Trend:
    """The chart of `counts` (per `bucket`, keyed by each bucket's first day) from `start` to
    today. `latest` is the latest evidence's date whatever the range: said when it is older."""
    points = BUCKET_POINTS[bucket](counts, start, today)
    chart = BarChart(
        f"{title} per {bucket}, {time_range.label}", unit, points, period=bucket, unit_one=unit_one
    )
    older = latest if latest is not None and latest < start else None
    return Trend(range=time_range, chart=chart, latest=older)
