"""The rules every stored value shares, whatever the kind of input: text PostgreSQL can store,
lengths, http(s) addresses that parse, and times in UTC within the years we can read back.

Plain Python with no Django import. Each kind of input (a public post, a buyer report, a supplier
record, an alias, a vendor code) has one validation function built on these, called by its
service; readers, forms, serializers and views only shape input, so every channel gives the same
answer for the same bad value.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import ApplicationError

# An http(s) address as people and systems send one: the characters RFC 3986 allows in a URL
# (letters, digits and -._~:/?#@!$&'()*+,;=%), nothing else. The API's schema shows the same pattern.
HTTP_URL_PATTERN = r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+$"
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")

# Times outside these years are refused: before, no post or report is plausible; after, some
# offsets take a time past year 9999 once it is read back in another zone.
FIRST_YEAR = 1970
LAST_YEAR = 2200

# The largest id a row may have (a BigAutoField's): a larger one is no row's, and a query that
# names it fails in SQLite ("Python int too large") before it could find nothing.
ID_MAX = 2**63 - 1


class InputError(ApplicationError):
    """One value that cannot be stored, with the input's name. `str()` is "field: reason", as a
    report of rejected rows says it; `message` is the reason alone, as a form shows it beside the
    field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason, field=field)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


def storable(value: str, field: str) -> str:
    """Text PostgreSQL refuses (a NUL character, or a lone surrogate such as JSON "\\ud800" or
    bytes a file held that are not UTF-8) is refused here, naming the field."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(field, "not valid Unicode text") from None
    if "\x00" in value:
        raise InputError(field, "contains a NUL character")
    return value


def clean_text(
    value: Any,
    field: str,
    *,
    max_length: int | None = None,
    required: bool = False,
    required_reason: str = "required",
    collapse_spaces: bool = False,
) -> str:
    """A string, stripped (its runs of white space made one space with `collapse_spaces`);
    None counts as empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(field, "expected a string")
    text = " ".join(value.split()) if collapse_spaces else value.strip()
    storable(text, field)
    if required and not text:
        raise InputError(field, required_reason)
    if max_length is not None and len(text) > max_length:
        raise InputError(field, f"longer than {max_length} characters")
    return text


def _valid_host(host: str) -> bool:
    """A DNS name (ASCII: an international name in its xn-- form) or an IPv4 address."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        labels = host.rstrip(".").split(".")
        return len(host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)
    return True


def clean_url(value: Any, field: str = "url", *, max_length: int = 500) -> str:
    """An http(s) address of a host, in the characters a URL may hold, or "" for none."""
    url = clean_text(value, field)
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        raise InputError(field, "not a valid http(s) address") from None
    if (
        not re.fullmatch(HTTP_URL_PATTERN, url)
        or _BAD_ESCAPE.search(url)
        or not parts.hostname
        or not _valid_host(parts.hostname)
    ):
        raise InputError(field, "not a valid http(s) address")
    if len(url) > max_length:
        raise InputError(field, f"longer than {max_length} characters")
    return url


def clean_time(value: Any, field: str, *, stored: bool = True) -> datetime | None:
    """A date and time (ISO 8601 text, or a datetime) in UTC, or None when none is given.

    ISO 8601 allows offsets PostgreSQL refuses (+20:00) and times that overflow year 9999 once
    converted; both are settled here, before anything is stored or queried. A time without a zone
    is UTC. A time to be `stored` must also fall within FIRST_YEAR and LAST_YEAR; a time that only
    bounds a query (`updated_since`) may be any.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        storable(value, field)
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(field, "not an ISO 8601 date and time") from None
    if not isinstance(value, datetime):
        raise InputError(field, "not a date and time")
    try:
        moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    except (OverflowError, ValueError):
        raise InputError(field, "out of range") from None
    if stored and not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InputError(field, "out of range")
    return moment


def clean_choice(value: Any, field: str, choices: tuple[str, ...], reason: str) -> str:
    if value not in choices:
        raise InputError(field, reason)
    return str(value)


def clean_count(value: Any, field: str, *, minimum: int, maximum: int) -> int | None:
    """A whole number within the bounds, or None when none is given."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(field, "expected a whole number")
    if not minimum <= value <= maximum:
        raise InputError(field, f"expected a number from {minimum} to {maximum}")
    return value
