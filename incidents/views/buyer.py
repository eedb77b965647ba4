from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import selectors
from .common import buyer_required


@buyer_required
def buyer_home(request: HttpRequest, membership) -> HttpResponse:
    context = {
        "organization": membership.organization,
        "reports": selectors.organization_reports(user=request.user)[:20],
        "incidents": selectors.incident_list(user=request.user).open()[:20],
    }
    return render(request, "buyer/home.html", context)
