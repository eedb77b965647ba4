from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import selectors
from .common import supplier_staff_required


@supplier_staff_required
def portal_home(request: HttpRequest, membership) -> HttpResponse:
    incidents = selectors.incident_list(user=request.user)
    context = {
        "supplier": membership.supplier,
        "open_incidents": incidents.open()[:50],
        "open_count": incidents.open().count(),
    }
    return render(request, "portal/home.html", context)
