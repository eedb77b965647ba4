"""{{ duration|duration }}: a timedelta in words ("2 hours, 30 minutes"), as Django's timesince
writes the time between two moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils.timesince import timesince

register = template.Library()

_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)


@register.filter
def duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    return timesince(_ORIGIN, _ORIGIN + value)
