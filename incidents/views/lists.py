"""The buyers' incident list (/incidents/: search, filters, sorts), the exports of both incident
lists (the buyers' and the portal's) as CSV or XLSX, and saved views of both.

A list, its export and a saved view read through the same form and the same selector
(common.filtered_incidents -> selectors.incident_search, a `visible_to` QuerySet), and every row
is shown through the one presenter (presenters.incident_view, which the exports put in columns).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from suppliers.models import person
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from .. import inputs, selectors, services
from ..exports import incidents_csv, incidents_xlsx
from ..forms import BuyerIncidentFilterForm, IncidentFilterForm, SavedViewForm
from ..models import SavedView
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


def save_form(request: HttpRequest, list_name: str) -> SavedViewForm:
    """The form that saves the list's filters as shown."""
    query = request.GET.copy()
    query.pop("page", None)
    return SavedViewForm(initial={"list_name": list_name, "query": query.urlencode()})


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
        page_of(request, selectors.paged(incidents, viewer=viewer), "page", INCIDENTS_PER_PAGE),
        lambda incident: incident_view(incident, viewer, now=now),
    )
    context = {
        "form": form,
        "page": page,
        "now": now,
        "save_form": save_form(request, inputs.BUYER_LIST),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "incidents/_list_results.html", context)
    return render(request, "incidents/list.html", context)


def _export(
    request: HttpRequest,
    viewer: Viewer,
    form_of: Callable[[HttpRequest, Viewer], IncidentFilterForm],
    fmt: str,
) -> HttpResponseBase:
    """The list's incidents, every page of them, in the list's order, streamed."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such format.")
    _, incidents = filtered_incidents(request, viewer, form_of(request, viewer))
    rows = incidents.iterator(chunk_size=500)
    filename = f"incidents-{timezone.now():%Y%m%d-%H%M%S}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(incidents_csv(rows, viewer), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # A workbook is a zip file, written whole before it is sent: on disk, then streamed from it.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    incidents_xlsx(rows, viewer, spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE)


@buyer_or_operator_required
@require_GET
def incident_export(request: HttpRequest, viewer: Viewer, fmt: str) -> HttpResponseBase:
    return _export(request, viewer, buyer_filter_form, fmt)


@supplier_staff_required
@require_GET
def portal_incident_export(request: HttpRequest, viewer: Viewer, fmt: str) -> HttpResponseBase:
    return _export(request, viewer, portal_filter_form, fmt)


# --- saved views ---------------------------------------------------------------------------------

LIST_URLS = {inputs.BUYER_LIST: "incidents", inputs.PORTAL_LIST: "portal-incidents"}


def _list_url(saved: SavedView) -> str:
    url = reverse(LIST_URLS[saved.list_name])
    return f"{url}?{saved.query}" if saved.query else url


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    back = reverse(LIST_URLS.get(request.POST.get("list_name", ""), "home"))
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            messages.error(request, f"{label or 'View'}: {' '.join(str(e) for e in errors)}")
        query = request.POST.get("query", "")
        return redirect(f"{back}?{query}" if query else back)
    data = form.cleaned_data
    try:
        saved = services.saved_view_save(
            owner=person(request.user),
            name=data["name"],
            list_name=data["list_name"],
            filters=parse_qsl(data["query"]),
            shared=data["shared"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect(back)
    messages.success(
        request,
        f"View “{saved.name}” saved{' and shared with your team' if saved.shared else ''}.",
    )
    return redirect(_list_url(saved))


@login_required
@require_GET
def saved_view_open(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(selectors.saved_views_for(viewer=viewer_of(request.user)), pk=pk)
    return redirect(_list_url(saved))


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(selectors.saved_views_for(viewer=viewer_of(request.user)), pk=pk)
    back = reverse(LIST_URLS[saved.list_name])
    try:
        services.saved_view_delete(actor=person(request.user), saved_view=saved)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"View “{saved.name}” deleted.")
    return redirect(back)
