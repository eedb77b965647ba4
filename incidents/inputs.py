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
    """A buyer's report as stored, or InputError naming the first field at fault."""
    return ReportInput(
        text=clean_text(
            text,
            "text",
            max_length=TEXT_MAX,
            required=True,
            required_reason="Describe the problem.",
        ),
        visibility=clean_choice(
            visibility, "visibility", REPORT_VISIBILITIES, "Choose private, anonymous or named."
        ),
        severity=clean_severity(severity),
        po_number=clean_text(po_number, "po_number", max_length=CODE_MAX),
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


def clean_note(note: Any) -> str:
    """A resolution note (optional)."""
    return clean_text(note, "note", max_length=NOTE_MAX)


def clean_eight_d(steps: Mapping[str, Any]) -> dict[str, str]:
    """Steps of the 8D answer by field name; an empty step clears what was recorded."""
    return {name: clean_text(text, name, max_length=ANSWER_MAX) for name, text in steps.items()}
