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
        peak_label = next(label for label, value in self.points if value == self.max_value)
        unit = self.unit_one if self.total == 1 and self.unit_one else self.unit
        return (
            f"{self.total} {unit} from {self.first_label} to {self.last_label}; "
            f"the most in one {self.period}: {self.max_value} ({peak_label})."
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
