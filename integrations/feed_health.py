"""When a feed is polled next, and what its health becomes: plain arithmetic, no Django import."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# A server's Retry-After is honoured up to a day: a hostile one must not silence a feed for good.
RETRY_AFTER_MAX = 24 * 3600


def backoff_seconds(*, failures: int, interval: int, cap: int) -> int:
    """The wait after `failures` failed polls in a row (1 or more): the poll interval, doubled
    after each further failure, never more than `cap` (nor less than the interval)."""
    doubled = interval << min(max(failures - 1, 0), 30)
    return max(interval, min(cap, doubled))


def retry_after_seconds(value: str | None, *, now: datetime) -> int | None:
    """Seconds a Retry-After header asks for (a number of seconds or an HTTP date), bounded by
    RETRY_AFTER_MAX; None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(int(value), RETRY_AFTER_MAX)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, min(int((moment - now).total_seconds()), RETRY_AFTER_MAX))


def delay_after_failure(
    *, failures: int, interval: int, cap: int, retry_after: int | None = None
) -> int:
    """The backoff, or longer when the server said when to come back."""
    delay = backoff_seconds(failures=failures, interval=interval, cap=cap)
    return max(delay, retry_after or 0)


def is_disabled_after(failures: int, *, disable_after: int) -> bool:
    """A feed that failed this many polls in a row stops being polled until someone clears it."""
    return disable_after > 0 and failures >= disable_after
