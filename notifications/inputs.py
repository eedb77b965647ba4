"""What a digest schedule may be: one validation function per input, called by its service.
Plain Python with no Django import."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from supplierwatch.inputs import InputError


def time_zones() -> list[str]:
    """The IANA time zones a person may choose, sorted."""
    return sorted(available_timezones())


def clean_time_zone(value: Any, field: str = "time_zone") -> str:
    name = str(value or "").strip()
    if name not in available_timezones():
        raise InputError(field, "Choose a time zone from the list, such as Europe/Berlin.")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(field, "This time zone is not known on this server.") from None
    return name


def clean_digest_hour(value: Any, field: str = "hour") -> int:
    try:
        hour = int(value)
    except (TypeError, ValueError):
        raise InputError(field, "Choose an hour from 0 to 23.") from None
    if not 0 <= hour <= 23:
        raise InputError(field, "Choose an hour from 0 to 23.")
    return hour
