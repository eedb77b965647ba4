"""The printable 8D report of an incident: /incidents/<id>/8d/ for buyers and operators,
/portal/incidents/<id>/8d/ for the supplier's staff. Both read the incident through
selectors.incident_list and show it through the presenters, so an incident the viewer may not see,
a missing one and the other side's route are the same 404. (A discipline is changed from the
portal's incident page: views.portal.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from supplierwatch.viewers import Viewer

from .. import selectors
from ..models import Incident
from ..presenters import incident_view
from .common import buyer_or_operator_or_404, supplier_staff_or_404


def _incident_for(viewer: Viewer, pk: int) -> Incident:
    return get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)


def _report(request: HttpRequest, viewer: Viewer, pk: int, *, back: str) -> HttpResponse:
    incident = _incident_for(viewer, pk)
    context = {
        "incident": incident_view(incident, viewer),
        "back": reverse(back, args=[incident.pk]),
        "printed_at": timezone.now(),
    }
    return render(request, "incidents/eight_d_report.html", context)


@require_GET
@buyer_or_operator_or_404
def eight_d_report(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _report(request, viewer, pk, back="incident-detail")


@require_GET
@supplier_staff_or_404
def portal_eight_d_report(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _report(request, viewer, pk, back="portal-incident")
