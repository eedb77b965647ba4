"""Working-time arithmetic (incidents.business_hours), without a database: a promise counted in
business hours skips nights, weekends and public holidays, and a working hour across a DST change
is an hour that really passes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from incidents.business_hours import WALL_CLOCK, NoWorkingTime, WorkingCalendar

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def office(**kwargs: object) -> WorkingCalendar:
    """Monday to Friday, 9:00 to 17:00 in Berlin."""
    values: dict[str, object] = {
        "zone": BERLIN,
        "days": frozenset(range(5)),
        "opens": time(9),
        "closes": time(17),
    }
    values.update(kwargs)
    return WorkingCalendar(**values)  # type: ignore[arg-type]


def test_working_time_within_one_day_is_plain_addition():
    assert office().add(berlin(2026, 12, 1, 10), 3 * HOUR) == berlin(2026, 12, 1, 13)


def test_what_does_not_fit_in_the_day_continues_when_the_office_next_opens():
    assert office().add(berlin(2026, 12, 1, 16), 2 * HOUR) == berlin(2026, 12, 2, 10)


def test_a_friday_afternoon_promise_skips_the_weekend():
    assert office().add(berlin(2026, 12, 4, 15), 4 * HOUR) == berlin(2026, 12, 7, 11)


def test_an_instant_outside_working_hours_starts_counting_at_the_next_opening():
    calendar = office()
    assert calendar.add(berlin(2026, 12, 1, 20), HOUR) == berlin(2026, 12, 2, 10)
    assert calendar.add(berlin(2026, 12, 1, 6, 30), HOUR) == berlin(2026, 12, 1, 10)
    assert calendar.add(berlin(2026, 12, 5, 12), HOUR) == berlin(2026, 12, 7, 10)  # a Saturday


def test_a_public_holiday_is_closed():
    # Christmas Day 2026 is a Friday: Thursday afternoon's promise runs into Monday.
    calendar = office(closed_on=holidays.country_holidays("DE"))
    assert calendar.add(berlin(2026, 12, 24, 16), 2 * HOUR) == berlin(2026, 12, 28, 10)
    assert calendar.between(berlin(2026, 12, 24, 16), berlin(2026, 12, 28, 10)) == 2 * HOUR


def test_a_regional_holiday_closes_only_its_region():
    # Epiphany (6 January 2027, a Wednesday) is a holiday in Bavaria, not in Berlin.
    bavaria = office(closed_on=holidays.country_holidays("DE", subdiv="BY"))
    berlin_state = office(closed_on=holidays.country_holidays("DE", subdiv="BE"))
    start = berlin(2027, 1, 5, 16)
    assert bavaria.add(start, 2 * HOUR) == berlin(2027, 1, 7, 10)
    assert berlin_state.add(start, 2 * HOUR) == berlin(2027, 1, 6, 10)


def test_working_hours_are_local_across_the_autumn_dst_change():
    # Friday 23 October 2026 is summer time (UTC+2); Monday 26 October is winter time (UTC+1).
    due = office().add(berlin(2026, 10, 23, 16), 2 * HOUR)
    assert due == berlin(2026, 10, 26, 10)
    assert due.astimezone(UTC) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_a_working_window_across_the_spring_dst_change_is_as_long_as_it_really_is():
    # Sunday 29 March 2026, 2:00 becomes 3:00: a night shift from 0:00 to 6:00 lasts five hours.
    night = office(days=frozenset({6}), opens=time(0), closes=time(6))
    start, end = berlin(2026, 3, 29, 0), berlin(2026, 3, 29, 6)
    assert night.between(start, end) == 5 * HOUR
    assert night.add(start, 5 * HOUR) == end
    assert night.add(start, 4 * HOUR).astimezone(BERLIN).hour == 5


def test_working_seconds_between_two_instants_count_only_open_hours():
    calendar = office()
    # Friday 15:00 to Monday 11:00: two hours on Friday, two on Monday.
    assert calendar.between(berlin(2026, 12, 4, 15), berlin(2026, 12, 7, 11)) == 4 * HOUR
    assert calendar.between(berlin(2026, 12, 5, 10), berlin(2026, 12, 6, 18)) == 0
    assert calendar.between(berlin(2026, 12, 7, 11), berlin(2026, 12, 4, 15)) == 0


def test_adding_then_counting_gives_back_the_same_working_time():
    calendar = office(closed_on=holidays.country_holidays("DE"))
    start = berlin(2026, 12, 23, 13, 17)
    for hours in (1, 4, 8, 24, 72, 200):
        assert calendar.between(start, calendar.add(start, hours * HOUR)) == hours * HOUR


def test_nothing_to_add_is_the_instant_itself():
    start = berlin(2026, 12, 5, 12)
    assert office().add(start, 0) == start


def test_a_calendar_that_never_opens_is_an_error_not_an_endless_loop():
    every_day = {date(2026, 1, 1) + timedelta(days=n) for n in range(5 * 366)}
    with pytest.raises(NoWorkingTime):
        office(closed_on=every_day).add(berlin(2026, 1, 1, 9), HOUR)


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [({"days": frozenset()}, "working days"), ({"opens": time(17), "closes": time(9)}, "closes")],
)
def test_a_calendar_without_working_time_is_refused(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        office(**kwargs)


def test_the_wall_clock_counts_every_second():
    start = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert WALL_CLOCK.add(start, 4 * HOUR) == start + timedelta(hours=4)
    assert WALL_CLOCK.between(start, start + timedelta(days=2)) == 48 * HOUR
