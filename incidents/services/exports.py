"""Incidents as CSV, streamed, with every cell made safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (CSV injection); supplier names, titles and 8D answers come
from other parties, so every such cell gets a leading single quote, which shows it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from ..models import Incident, Severity

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    "id",
    "title",
    "supplier",
    "supplier_slug",
    "vendor_code",
    "category",
    "status",
    "severity",
    "sku",
    "lot",
    "posts",
    "reporters",
    "organizations",
    "public_posts",
    "own_posts",
    "first_seen_at",
    "last_seen_at",
    "last_activity_at",
    "acknowledged_at",
    "resolved_at",
    "acknowledge_due_at",
    "resolve_due_at",
)


def csv_cell(value: Any) -> str:
    """The value as CSV text that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def incident_row(incident: Incident) -> list[str]:
    """One incident as the viewer may count it (the API's `incidents_for_api` annotations)."""
    values = (
        incident.pk,
        incident.title,
        incident.supplier.name,
        incident.supplier.slug,
        getattr(incident, "vendor_code", None),
        incident.category.slug if incident.category else None,
        incident.status,
        Severity(incident.severity).name.lower(),
        incident.sku,
        incident.lot,
        incident.post_count,
        incident.reporter_count,
        incident.organization_count,
        incident.public_post_count,
        getattr(incident, "own_post_count", None),
        incident.first_seen_at,
        incident.last_seen_at,
        incident.last_activity_at,
        incident.acknowledged_at,
        incident.resolved_at,
        incident.acknowledge_due_at,
        incident.resolve_due_at,
    )
    return [csv_cell(value) for value in values]


class _Line:
    """A file-like sink that hands back what csv.writer writes, so rows stream one by one."""

    def write(self, value: str) -> str:
        return value


def incidents_csv(incidents: Iterable[Incident]) -> Iterator[str]:
    """The header, then one CSV line per incident. Pass an `.iterator()` to stream large sets."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for incident in incidents:
        yield writer.writerow(incident_row(incident))
