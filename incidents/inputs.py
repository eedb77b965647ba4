"""What a public post and a buyer report may be: one validation and normalisation function each,
called by its service (posts_ingest, post_report). Plain Python with no Django import.

A public post comes from a file (ingest_posts), the bulk API or a feed; a report from the report
form or the API. Every adapter hands its raw values here and reports what comes back the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import available_timezones

import holidays

from supplierwatch.inputs import (
    FIRST_YEAR,
    LAST_YEAR,
    InputError,
    clean_choice,
    clean_count,
    clean_text,
    clean_time,
    clean_url,
)

from .grouping import normalise_code
from .monitors import QueryError, parse_query

SOURCE_MAX = 50
# A feed's name: what (source, external_id) identifies a post by.
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,49}$"
BUYER_SOURCE = "buyer"
EXTERNAL_ID_MAX = 200
TEXT_MAX = 10_000
HANDLE_MAX = 100
URL_MAX = 500
CODE_MAX = 64  # PO numbers, SKUs and lots
# A whole number PostgreSQL's integer column stores.
QUANTITY_MAX = 2_147_483_647
REPORT_VISIBILITIES = ("private", "anonymous", "named")
ANSWER_MAX = 20_000  # an answer, and each discipline of the 8D
NOTE_MAX = 5_000  # a resolution note
SEVERITIES = (1, 2, 3, 4)


def clean_source(value: Any) -> str:
    """The name of the feed public posts come from (`twitter`, `mastodon-fosstodon`)."""
    source = clean_text(value, "source", required=True, required_reason="must name the feed")
    if source == BUYER_SOURCE:
        raise InputError("source", f"{BUYER_SOURCE!r} is reserved for buyers' reports")
    if len(source) > SOURCE_MAX:
        raise InputError("source", f"at most {SOURCE_MAX} characters")
    if not re.fullmatch(SOURCE_PATTERN, source):
        raise InputError(
            "source",
            "lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
        )
    return source


@dataclass(frozen=True)
class PublicPostInput:
    external_id: str
    text: str
    # None: not given; the service dates it when it is stored.
    published_at: datetime | None
    author_handle: str
    url: str


def clean_public_post(row: object) -> PublicPostInput:
    """One public post as stored, or InputError naming the first field at fault."""
    if not isinstance(row, Mapping):
        raise InputError("", "expected an object")
    return PublicPostInput(
        external_id=clean_text(
            row.get("external_id"), "external_id", max_length=EXTERNAL_ID_MAX, required=True
        ),
        text=clean_text(row.get("text"), "text", max_length=TEXT_MAX, required=True),
        published_at=clean_time(row.get("published_at"), "published_at"),
        # A handle is stored without its '@', as every feed spells it differently.
        author_handle=clean_text(row.get("author_handle"), "author_handle", max_length=HANDLE_MAX)
        .lstrip("@")
        .strip(),
        url=clean_url(row.get("url"), "url", max_length=URL_MAX),
    )


@dataclass(frozen=True)
class ReportInput:
    text: str
    visibility: str
    severity: int
    po_number: str
    sku: str
    lot: str
    quantity_affected: int | None
    published_at: datetime | None


def clean_severity(value: Any) -> int:
    """A severity: one of SEVERITIES, 1 (low) to 4 (critical); a boolean is none of them."""
    if isinstance(value, bool) or value not in SEVERITIES:
        raise InputError("severity", "Choose a severity.")
    return int(value)


# What stands in a report's text for its PO number.
PO_PLACEHOLDER = "[PO number]"
# A PO number shorter than this is no identifier, and blanking it would blank ordinary numbers.
PO_MIN_CHARACTERS = 4
# How a PO number may be introduced in words: "PO", "P.O.", "PO no.", "PO number", "PO#" ...
_PO_WORDS = r"(?:p\.?\s?o\.?(?:\s*(?:no\.?|nr\.?|number|#))?[\s:#./-]*)?"


def redact_po_number(text: str, po_number: str) -> str:
    """The text with the report's own PO number replaced by PO_PLACEHOLDER, however it is
    written there (any case, "PO"-prefixed or not, grouped by other separators or none).

    The PO number is its organization's: it names the customer to a supplier, so it is shown only
    with the report's reporter (presenters.Reporter), while the text is read by every viewer of
    the incident. It is taken out when the report is stored, so that no channel (page, API,
    export, webhook, search) can show or find it there; the po_number field keeps it.
    """
    parts = re.findall(r"[A-Za-z0-9]+", po_number)
    if parts and re.fullmatch(r"(?i)po\d.*", parts[0]):
        parts[0] = parts[0][2:]  # "PO4500123": the number is 4500123
    while parts and parts[0].lower() in ("p", "o", "po"):
        parts.pop(0)  # "PO-4500123", "P.O. 4500123"
    if len("".join(parts)) < PO_MIN_CHARACTERS:
        return text
    # Its letters and digits in order, each pair at most two separators apart ("4500-123").
    number = r"[^A-Za-z0-9\n]{0,2}".join(re.escape(character) for character in "".join(parts))
    pattern = rf"(?<![A-Za-z0-9]){_PO_WORDS}{number}(?![A-Za-z0-9])"
    return re.sub(pattern, PO_PLACEHOLDER, text, flags=re.IGNORECASE)


def clean_report(
    *,
    text: Any,
    visibility: Any,
    severity: Any,
    po_number: Any = "",
    sku: Any = "",
    lot: Any = "",
    quantity_affected: Any = None,
    published_at: Any = None,
) -> ReportInput:
    """A buyer's report as stored, or InputError naming the first field at fault. Its PO number
    is taken out of its text (redact_po_number)."""
    cleaned_po_number = clean_text(po_number, "po_number", max_length=CODE_MAX)
    return ReportInput(
        text=redact_po_number(
            clean_text(
                text,
                "text",
                max_length=TEXT_MAX,
                required=True,
                required_reason="Describe the problem.",
            ),
            cleaned_po_number,
        ),
        visibility=clean_choice(
            visibility, "visibility", REPORT_VISIBILITIES, "Choose private, anonymous or named."
        ),
        severity=clean_severity(severity),
        po_number=cleaned_po_number,
        sku=clean_text(sku, "sku", max_length=CODE_MAX),
        lot=clean_text(lot, "lot", max_length=CODE_MAX),
        quantity_affected=clean_count(
            quantity_affected, "quantity_affected", minimum=1, maximum=QUANTITY_MAX
        ),
        published_at=clean_time(published_at, "published_at"),
    )


def clean_answer(body: Any, field: str = "body") -> str:
    """The words of a supplier's answer."""
    return clean_text(
        body, field, max_length=ANSWER_MAX, required=True, required_reason="Write an answer."
    )


def clean_reply(body: Any, field: str = "body") -> str:
    """The words of a reporting buyer's reply to the supplier."""
    return clean_text(
        body, field, max_length=ANSWER_MAX, required=True, required_reason="Write a reply."
    )


def clean_rejection_reason(reason: Any, field: str = "reason") -> str:
    """Why a reporting buyer rejects a resolution: required, so the supplier knows what to do."""
    return clean_text(
        reason,
        field,
        max_length=NOTE_MAX,
        required=True,
        required_reason="Say why the resolution does not solve the problem.",
    )


def clean_note(note: Any) -> str:
    """A resolution note (optional)."""
    return clean_text(note, "note", max_length=NOTE_MAX)


def clean_eight_d_text(text: Any) -> str:
    """What a discipline of the 8D says; an empty text clears what was recorded."""
    return clean_text(text, "text", max_length=ANSWER_MAX)


def clean_eight_d_date(value: Any, field: str) -> date | None:
    """A discipline's due or done date (a date, or ISO 8601 text such as 2026-12-24), or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        raise InputError(field, "expected a date without a time")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise InputError(field, "not a date (YYYY-MM-DD)") from None
    if not isinstance(value, date):
        raise InputError(field, "expected a date")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InputError(field, f"expected a year from {FIRST_YEAR} to {LAST_YEAR}")
    return value


def clean_eight_d_done(value: Any, today: date) -> date | None:
    """When a discipline was done: not after today (a plan belongs in its due date)."""
    done = clean_eight_d_date(value, "done_on")
    if done is not None and done > today:
        raise InputError("done_on", "a discipline cannot be done after today; set its due date")
    return done


DISPUTE_REASONS = ("not_complaint", "not_about_us")


def clean_dispute(reason: Any, note: Any) -> tuple[str, str]:
    """A supplier's dispute of a piece of evidence: why (not a complaint, or not about it) and an
    optional note for whoever decides."""
    return (
        clean_choice(reason, "reason", DISPUTE_REASONS, "must be not_complaint or not_about_us"),
        clean_text(note, "note", max_length=NOTE_MAX),
    )


RULE_NAME_MAX = 100
RULE_SOURCES = ("", "buyer", "public")
RULE_SEVERITY_MATCHES = ("at_least", "exactly")


@dataclass(frozen=True)
class RoutingRuleInput:
    name: str
    severity: int | None
    severity_match: str
    sku_prefix: str
    lot_prefix: str
    source: str


def clean_routing_rule(
    *,
    name: Any,
    severity: Any = None,
    severity_match: Any = "at_least",
    sku_prefix: Any = "",
    lot_prefix: Any = "",
    source: Any = "",
) -> RoutingRuleInput:
    """An assignment rule's name and conditions as stored (codes written as grouping writes
    them), or InputError naming the first field at fault. Empty conditions match anything."""
    return RoutingRuleInput(
        name=clean_text(
            name, "name", max_length=RULE_NAME_MAX, required=True, required_reason="Name the rule."
        ),
        severity=None if severity in (None, "") else clean_severity(severity),
        severity_match=clean_choice(
            severity_match or "at_least",
            "severity_match",
            RULE_SEVERITY_MATCHES,
            "Choose at least or exactly.",
        ),
        sku_prefix=normalise_code(clean_text(sku_prefix, "sku_prefix", max_length=CODE_MAX)),
        lot_prefix=normalise_code(clean_text(lot_prefix, "lot_prefix", max_length=CODE_MAX)),
        source=clean_choice(
            source or "", "source", RULE_SOURCES, "Choose buyer reports, public posts or any."
        ),
    )


MONITOR_NAME_MAX = 100


@dataclass(frozen=True)
class MonitorInput:
    name: str
    query: str


def clean_monitor(*, name: Any, query: Any) -> MonitorInput:
    """A keyword monitor's name and query (parsed, so that a query that cannot run is never
    saved), or InputError naming the field at fault."""
    name = clean_text(
        name,
        "name",
        max_length=MONITOR_NAME_MAX,
        required=True,
        required_reason="Name the monitor.",
        collapse_spaces=True,
    )
    query = clean_text(query, "query", collapse_spaces=True)
    try:
        parse_query(query)
    except QueryError as error:
        raise InputError("query", str(error)) from None
    return MonitorInput(name=name, query=query)


# --- SLA promises and working calendars ---------------------------------------------------------

# A promise longer than a year is no promise.
PROMISE_HOURS_MAX = 24 * 366
# The IANA zones this system knows (read from disk once).
_time_zones = cache(available_timezones)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class PromiseInput:
    first_answer_hours: int
    resolution_hours: int
    business_hours_only: bool


def _promise_hours(value: Any, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(field, f"{label}: give a whole number of hours.")
    try:
        hours = int(value)
    except ValueError:
        raise InputError(field, f"{label}: give a whole number of hours.") from None
    if not 1 <= hours <= PROMISE_HOURS_MAX:
        raise InputError(field, f"{label}: between 1 and {PROMISE_HOURS_MAX} hours.")
    return hours


def clean_sla_promise(
    *,
    first_answer_hours: Any,
    resolution_hours: Any,
    business_hours_only: Any,
    prefix: str = "",
    label: str = "",
    default: PromiseInput | None = None,
) -> PromiseInput:
    """One severity's promise: whole hours to a first answer and to resolution, and whether only
    business hours count. A supplier's own promise (`default` given: the operators' policy for the
    severity) may be stricter than the default or equal, never looser. Fields are named
    `{prefix}first_answer_hours` and so on; `label` (the severity) starts each message."""
    lead = f"{label}: " if label else ""
    first = _promise_hours(
        first_answer_hours, f"{prefix}first_answer_hours", f"{lead}Time to first answer"
    )
    resolution = _promise_hours(
        resolution_hours, f"{prefix}resolution_hours", f"{lead}Time to resolution"
    )
    if resolution < first:
        raise InputError(
            f"{prefix}resolution_hours",
            f"{lead}Time to resolution cannot be shorter than the time to first answer.",
        )
    business_only = bool(business_hours_only)
    if default is not None:
        for field, hours, promised, what in (
            ("first_answer_hours", first, default.first_answer_hours, "time to first answer"),
            ("resolution_hours", resolution, default.resolution_hours, "time to resolution"),
        ):
            if hours > promised:
                raise InputError(
                    f"{prefix}{field}",
                    f"{lead}The {what} may be at most {promised} hours, the default promise: "
                    "yours may be stricter, not looser.",
                )
        if business_only and not default.business_hours_only:
            raise InputError(
                f"{prefix}business_hours_only",
                f"{lead}The default promise counts every hour; counting business hours only "
                "would be looser.",
            )
    return PromiseInput(first, resolution, business_only)


@dataclass(frozen=True)
class WorkCalendarInput:
    time_zone: str
    # Monday is 0: the digits of the working days, in order ("01234": Monday to Friday).
    working_days: str
    opens: time
    closes: time
    country: str
    subdivision: str


def _clock_time(value: Any, field: str) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    try:
        return time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise InputError(field, "Give a time of day such as 09:00.") from None


def clean_work_calendar(
    *,
    time_zone: Any,
    working_days: Any,
    opens: Any,
    closes: Any,
    country: Any = "",
    subdivision: Any = "",
) -> WorkCalendarInput:
    """A supplier's working calendar, or InputError naming the first field at fault: an IANA time
    zone, at least one working day, a day that closes after it opens, and a country (with an
    optional subdivision) whose public holidays the `holidays` library knows."""
    zone = clean_text(time_zone, "time_zone", max_length=64, required=True).strip()
    if zone not in _time_zones():
        raise InputError("time_zone", "Not a time zone of the IANA database, e.g. Europe/Berlin.")
    if isinstance(working_days, str):
        working_days = list(working_days)
    try:
        days = sorted({int(day) for day in working_days or ()})
    except (TypeError, ValueError):
        raise InputError("working_days", "Choose the working days.") from None
    if not days or not set(days) <= set(range(7)):
        raise InputError("working_days", "Choose at least one working day.")
    opening, closing = _clock_time(opens, "opens"), _clock_time(closes, "closes")
    if closing <= opening:
        raise InputError("closes", "The working day must close after it opens.")
    code = clean_text(country, "country", max_length=2).strip().upper()
    region = clean_text(subdivision, "subdivision", max_length=10).strip().upper()
    supported = holidays.list_supported_countries()
    if code and code not in supported:
        raise InputError(
            "country", "No public holidays are known for this country: use a code such as DE."
        )
    if region and not code:
        raise InputError("subdivision", "Give the country of this subdivision too.")
    if region and region not in supported[code]:
        raise InputError(
            "subdivision",
            f"Not a subdivision of {code}; known: {', '.join(supported[code][:12]) or 'none'}.",
        )
    return WorkCalendarInput(zone, "".join(map(str, days)), opening, closing, code, region)


# --- saved views of the incident lists --------------------------------------------------------

SAVED_VIEW_NAME_MAX = 100
SAVED_QUERY_MAX = 2_000
BUYER_LIST = "incidents"
PORTAL_LIST = "portal"
# The filters each list's form takes (forms.IncidentFilterForm, BuyerIncidentFilterForm); a saved
# view keeps these and nothing else (no page number, no stray parameter).
PORTAL_FILTERS = ("q", "status", "severity", "category", "seen_from", "seen_to", "sort")
LIST_FILTERS = {
    PORTAL_LIST: PORTAL_FILTERS,
    BUYER_LIST: (*PORTAL_FILTERS, "supplier", "reported_by_us", "followed", "my_suppliers"),
}


def clean_saved_view_name(value: Any) -> str:
    name = clean_text(value, "name", required=True, required_reason="give the view a name")
    if len(name) > SAVED_VIEW_NAME_MAX:
        raise InputError("name", f"at most {SAVED_VIEW_NAME_MAX} characters")
    return name


def clean_saved_query(list_name: str, pairs: Iterable[tuple[str, str]]) -> str:
    """The filters of a list as a query string: its own fields only, non-empty values, in a
    stable order."""
    if list_name not in LIST_FILTERS:
        raise InputError("list_name", "choose one of the incident lists")
    allowed = LIST_FILTERS[list_name]
    kept = sorted(
        ((key, clean_text(value, key)) for key, value in pairs if key in allowed),
        key=lambda pair: allowed.index(pair[0]),
    )
    query = urlencode([(key, value) for key, value in kept if value])
    if len(query) > SAVED_QUERY_MAX:
        raise InputError("query", f"the filters are too long to save (at most {SAVED_QUERY_MAX})")
    return query
