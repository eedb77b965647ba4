"""A supplier's SLA promise as buyers read it on the supplier's page and its admins on the portal's
settings page: per severity, the hours to a first answer and to resolution, whether they count
business hours only, and whose promise it is (the supplier's own, or the default)."""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs import WEEKDAY_NAMES, PromiseInput
from ..models import Severity, WorkCalendar


def hours_text(hours: int, business_only: bool) -> str:
    """4 -> "4 hours", 72 -> "3 days" (every hour counting), or "72 business hours"."""
    if business_only:
        return f"{hours} business hour{'' if hours == 1 else 's'}"
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    return f"{hours} hour{'' if hours == 1 else 's'}"


@dataclass(frozen=True)
class PromiseRow:
    severity: Severity
    promise: PromiseInput
    default: PromiseInput
    is_own: bool

    @property
    def first_answer(self) -> str:
        return hours_text(self.promise.first_answer_hours, self.promise.business_hours_only)

    @property
    def resolution(self) -> str:
        return hours_text(self.promise.resolution_hours, self.promise.business_hours_only)


@dataclass(frozen=True)
class CalendarView:
    time_zone: str
    days: str
    hours: str
    holidays: str


@dataclass(frozen=True)
class SupplierPromiseView:
    rows: list[PromiseRow]
    # The working calendar, shown when some promise counts business hours only.
    calendar: CalendarView | None

    @property
    def has_own(self) -> bool:
        return any(row.is_own for row in self.rows)


def _days_text(days: str) -> str:
    numbers = sorted(int(day) for day in days)
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{WEEKDAY_NAMES[numbers[0]]} to {WEEKDAY_NAMES[numbers[-1]]}"
    return ", ".join(WEEKDAY_NAMES[number] for number in numbers)


def calendar_view(calendar: WorkCalendar) -> CalendarView:
    region = f"{calendar.country}-{calendar.subdivision}" if calendar.subdivision else ""
    return CalendarView(
        time_zone=calendar.time_zone,
        days=_days_text(calendar.working_days),
        hours=f"{calendar.opens:%H:%M}–{calendar.closes:%H:%M}",
        holidays=f"public holidays of {region or calendar.country} closed"
        if calendar.country
        else "no public holidays",
    )


def supplier_promise_view(
    promises: dict[int, tuple[PromiseInput, PromiseInput | None]],
    calendar: WorkCalendar | None,
) -> SupplierPromiseView:
    """`promises` as models.sla_promises gives them (the default and the supplier's own, by
    severity), most severe first; `calendar` the supplier's (None: the default office hours)."""
    rows = [
        PromiseRow(Severity(severity), own or default, default, own is not None)
        for severity, (default, own) in sorted(promises.items(), reverse=True)
    ]
    business = any(row.promise.business_hours_only for row in rows)
    shown = calendar_view(calendar or WorkCalendar()) if business else None
    return SupplierPromiseView(rows, shown)
