"""Working time: adding N working seconds to an instant under a working calendar, and counting the
working seconds between two instants. Plain Python with no Django import (SLA due times under a
policy that counts business hours only, and the clock's pause while an incident waits on a buyer).

A calendar is open on its working days, between its opening and closing time in its own time zone,
except on the dates it is closed (public holidays). Each day's window is placed in its zone and
converted to UTC before any arithmetic, so a day on which the clocks change is as long as it
really is: across a DST change the working hours are the local ones, and a working hour is an
hour that really passes.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# How far ahead a calendar is searched for working time: a calendar closed for longer than this
# (every day a holiday) has none, which is an error rather than an endless loop.
SEARCH_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time within SEARCH_DAYS of the instant."""


class Clock(Protocol):
    """How a promise's time passes: every second (WALL_CLOCK), or only working time."""

    def add(self, start: datetime, seconds: float) -> datetime: ...

    def between(self, start: datetime, end: datetime) -> float: ...


class WallClock:
    """Every second counts: a promise of N hours is due N hours later."""

    def add(self, start: datetime, seconds: float) -> datetime:
        return start + timedelta(seconds=seconds)

    def between(self, start: datetime, end: datetime) -> float:
        return max((end - start).total_seconds(), 0.0)


WALL_CLOCK = WallClock()


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days (Monday is 0) and hours in a time zone, less the dates in `closed_on`
    (anything that answers `date in closed_on`, such as a `holidays` calendar)."""

    zone: ZoneInfo
    days: frozenset[int]
    opens: time
    closes: time
    closed_on: Container[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("A working calendar needs working days among 0 (Monday) to 6.")
        if self.opens >= self.closes:
            raise ValueError("A working day closes after it opens.")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.closed_on

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working windows (in UTC) that end after `start`, in order, from the local day
        `start` falls in; at most SEARCH_DAYS days ahead."""
        day = start.astimezone(self.zone).date()
        for offset in range(SEARCH_DAYS):
            current = day + timedelta(days=offset)
            if not self.is_working_day(current):
                continue
            opens = datetime.combine(current, self.opens, self.zone).astimezone(UTC)
            closes = datetime.combine(current, self.closes, self.zone).astimezone(UTC)
            if closes > start and closes > opens:
                yield opens, closes

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when `seconds` of working time have passed since `start`. Outside working
        hours the count begins when the calendar next opens; nothing to add is `start` itself."""
        if seconds <= 0:
            return start
        remaining = timedelta(seconds=seconds)
        for opens, closes in self.windows(start):
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise NoWorkingTime(f"No working time within {SEARCH_DAYS} days of {start.isoformat()}.")

    def between(self, start: datetime, end: datetime) -> float:
        """The working seconds from `start` to `end` (none when `end` is not after `start`)."""
        total = timedelta(0)
        if end <= start:
            return 0.0
        for opens, closes in self.windows(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total.total_seconds()
