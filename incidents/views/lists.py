"""The buyers' incident list (/incidents/: search, filters, sorts) and the exports of both incident
lists (the buyers' and the portal's) as CSV or XLSX.

A list, its export and a saved view read through the same form and the same selector
(common.filtered_incidents -> selectors.incident_search, a `visible_to` QuerySet), and every row
is shown through the one presenter (presenters.incident_view, which the exports put in columns).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from supplierwatch.viewers import Viewer

from ..exports import incidents_csv, incidents_xlsx
from ..forms import BuyerIncidentFilterForm, IncidentFilterForm
from ..presenters import incident_view
from .common import (
    HtmxHttpRequest,
    buyer_or_operator_required,
    filtered_incidents,
    page_of,
    present,
    supplier_staff_required,
)

INCIDENTS_PER_PAGE = 25
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def buyer_filter_form(request: HttpRequest, viewer: Viewer) -> IncidentFilterForm:
    return BuyerIncidentFilterForm(request.GET or None, organization_id=viewer.organization_id)


def portal_filter_form(request: HttpRequest, viewer: Viewer) -> IncidentFilterForm:
    return IncidentFilterForm(request.GET or None)


@buyer_or_operator_required
@require_GET
def incident_list(request: HtmxHttpRequest, viewer: Viewer) -> HttpResponse:
    form, incidents = filtered_incidents(request, viewer, buyer_filter_form(request, viewer))
    now = timezone.now()
    page = present(
        page_of(request, incidents, "page", INCIDENTS_PER_PAGE),
        lambda incident: incident_view(incident, viewer, now=now),
    )
    context = {"form": form, "page": page, "now": now, "list_name": "incidents"}
    if request.htmx and not request.htmx.boosted:
        return render(request, "incidents/_list_results.html", context)
    return render(request, "incidents/list.html", context)


def _export(
    request: HttpRequest,
    viewer: Viewer,
    form_of: Callable[[HttpRequest, Viewer], IncidentFilterForm],
    fmt: str,
) -> HttpResponse:
    """The list's incidents, every page of them, in the list's order, streamed."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such format.")
    _, incidents = filtered_incidents(request, viewer, form_of(request, viewer))
    rows = incidents.iterator(chunk_size=500)
    filename = f"incidents-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "csv":
        response: HttpResponse = StreamingHttpResponse(
            incidents_csv(rows, viewer), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # A workbook is a zip file, written whole before it is sent: on disk, then streamed from it.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    incidents_xlsx(rows, viewer, spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


@buyer_or_operator_required
@require_GET
def incident_export(request: HttpRequest, viewer: Viewer, fmt: str) -> HttpResponse:
    return _export(request, viewer, buyer_filter_form, fmt)


@supplier_staff_required
@require_GET
def portal_incident_export(request: HttpRequest, viewer: Viewer, fmt: str) -> HttpResponse:
    return _export(request, viewer, portal_filter_form, fmt)
