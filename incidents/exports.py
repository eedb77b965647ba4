"""Incidents as CSV (the one representation, presenters.IncidentView, in columns), streamed, with
every cell made safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (CSV injection); supplier names, titles and 8D answers come
from other parties, so every such cell gets a leading single quote, which shows it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.utils import timezone

from supplierwatch.viewers import Viewer

from .models import Incident
from .presenters import IncidentView, incident_view

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
    "public_posts",
    "public_authors",
    "named_reports",
    "anonymous_reports",
    "named_organizations",
    "other_organizations",
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


def incident_row(view: IncidentView) -> list[str]:
    """One incident as the viewer may count it."""
    counters = view.counters
    values = (
        view.id,
        view.title,
        view.supplier.name,
        view.supplier.slug,
        view.vendor_code,
        view.category.slug if view.category else None,
        view.status,
        view.severity_name,
        view.sku,
        view.lot,
        counters.posts,
        counters.public_posts,
        counters.public_authors,
        counters.named_reports,
        counters.anonymous_reports,
        counters.named_organizations,
        counters.other_organizations,
        counters.own_posts,
        view.first_seen_at,
        view.last_seen_at,
        view.last_activity_at,
        view.acknowledged_at,
        view.resolved_at,
        view.acknowledge_due_at,
        view.resolve_due_at,
    )
    return [csv_cell(value) for value in values]


class _Line:
    """A file-like sink that hands back what csv.writer writes, so rows stream one by one."""

    def write(self, value: str) -> str:
        return value


def incidents_csv(incidents: Iterable[Incident], viewer: Viewer) -> Iterator[str]:
    """The header, then one CSV line per incident. Pass an `.iterator()` to stream large sets."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    now = timezone.now()
    for incident in incidents:
        yield writer.writerow(incident_row(incident_view(incident, viewer, now=now)))
