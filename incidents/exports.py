"""Incidents as CSV or XLSX (the one representation, presenters.IncidentView, in the same columns),
streamed with bounded memory, with every cell made safe to open in a spreadsheet. The API's export
and the lists' exports (buyers' and portal's) all write these columns.

The 8D's progress is what every viewer of an incident may read of it (presenters.DisciplineView):
how many of the eight disciplines are done and how many are overdue, and each discipline's done
date; never who owns one.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read as a formula by
Excel, LibreOffice and Google Sheets (CSV injection); supplier names, titles and 8D answers come
from other parties, so every such cell gets a leading single quote, which shows it as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from supplierwatch.viewers import Viewer

from .models import Discipline, Incident
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
    "eight_d_done",
    "eight_d_overdue",
    # One per discipline, in order: d1_done_on ... d8_done_on.
    *(f"{discipline}_done_on" for discipline in Discipline.values),
)


def neutralised(text: str) -> str:
    """Text that no spreadsheet evaluates as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """The value as CSV text that no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return neutralised(str(value))


def xlsx_cell(value: Any) -> Any:
    """The value as an XLSX cell: numbers stay numbers, times become UTC times (a workbook has no
    time zones), text is neutralised like CSV's and loses the control characters XML refuses."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return neutralised(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def incident_values(view: IncidentView) -> tuple[Any, ...]:
    """One incident as the viewer may count it, in the order of COLUMNS."""
    counters = view.counters
    return (
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
        view.eight_d_done,
        view.eight_d_overdue,
        *(step.done_on for step in view.eight_d),
    )


def incident_row(view: IncidentView) -> list[str]:
    """One incident as CSV cells."""
    return [csv_cell(value) for value in incident_values(view)]


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


def incidents_xlsx(incidents: Iterable[Incident], viewer: Viewer, into: IO[bytes]) -> None:
    """The header, then one row per incident, written into `into` (a file). The workbook is
    write-only: openpyxl keeps the rows in a temporary file, not in memory, so an export of any
    size costs the same memory. Pass an `.iterator()`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Incidents")
    sheet.append(COLUMNS)
    now = timezone.now()
    for incident in incidents:
        view = incident_view(incident, viewer, now=now)
        sheet.append([xlsx_cell(value) for value in incident_values(view)])
    workbook.save(into)
