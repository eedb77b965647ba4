"""What a public post and a buyer report may be: one validation and normalisation function each,
called by its service (posts_ingest, post_report). Plain Python with no Django import.

A public post comes from a file (ingest_posts), the bulk API or a feed; a report from the report
form or the API. Every adapter hands its raw values here and reports what comes back the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supplierwatch.inputs import (
    InputError,
    clean_choice,
    clean_count,
    clean_text,
    clean_time,
    clean_url,
)

from .grouping import normalise_code

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
ANSWER_MAX = 20_000  # an answer, and each step of the 8D answer
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


DISPUTE_REASONS = ("not_complaint", "not_about_us")


def clean_dispute(reason: Any, note: Any) -> tuple[str, str]:
    """A supplier's dispute of a piece of evidence: why (not a complaint, or not about it) and an
    optional note for whoever decides."""
    return (
        clean_choice(reason, "reason", DISPUTE_REASONS, "must be not_complaint or not_about_us"),
        clean_text(note, "note", max_length=NOTE_MAX),
    )


def clean_eight_d(steps: Mapping[str, Any]) -> dict[str, str]:
    """Steps of the 8D answer by field name; an empty step clears what was recorded."""
    return {name: clean_text(text, name, max_length=ANSWER_MAX) for name, text in steps.items()}


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
