"""The printable 8D report of an incident: /incidents/<id>/8d/ for buyers and operators,
/portal/incidents/<id>/8d/ for the supplier's staff. Both read the incident through
selectors.incident_list and show it through the presenters, so an incident the viewer may not see,
a missing one and the other side's route are the same 404. (A discipline is changed from the
portal's incident page: views.portal.)"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from supplierwatch.viewers import Viewer, viewer_of

from .. import selectors
from ..models import Incident
from ..presenters import incident_view

View = Callable[..., HttpResponse]


def _viewer_or_404(allowed: Callable[[Viewer], bool]) -> Callable[[View], View]:
    """Pages of one side only: to anyone else they do not exist (404, as a missing incident)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            viewer = viewer_of(request.user)
            if not allowed(viewer):
                raise Http404("No such incident.")
            return view(request, viewer, *args, **kwargs)

        return wrapper

    return decorator


supplier_staff_or_404 = _viewer_or_404(lambda viewer: viewer.is_supplier_staff)
_buyer_or_operator = _viewer_or_404(lambda viewer: viewer.is_buyer or viewer.is_operator)


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
@_buyer_or_operator
def eight_d_report(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _report(request, viewer, pk, back="incident-detail")


@require_GET
@supplier_staff_or_404
def portal_eight_d_report(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _report(request, viewer, pk, back="portal-incident")
