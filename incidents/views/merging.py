"""Merge and split on the portal's incident page: "Merge into…" another incident of the supplier
(by its number, or from the short list of its open incidents) and "Split evidence out" (the
evidence ticked). The services decide who may (services.merging); an incident the person may not
see is a 404, as everywhere.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from suppliers.models import person
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer

from .. import selectors, services
from ..forms import MergeForm
from ..models import Incident
from .common import supplier_staff_required


def _acting_on(viewer: Viewer, pk: int) -> Incident:
    incident = get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)
    if not services.may_merge(viewer, incident):
        raise PermissionDenied("Viewers can read incidents but not merge or split them.")
    return incident


@require_POST
@supplier_staff_required
def incident_merge(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    incident = _acting_on(viewer, pk)
    form = MergeForm(request.POST)
    back = reverse("portal-incident", args=[incident.pk]) + "#merge"
    if not form.is_valid():
        errors = "; ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"Nothing was merged: {errors}")
        return redirect(back)
    try:
        merged = services.incident_merge(
            source=incident, target_id=form.cleaned_data["target"], actor=person(request.user)
        )
    except ApplicationError as error:
        messages.error(request, f"Nothing was merged: {error.message}")
        return redirect(back)
    messages.success(
        request,
        f"Merged into #{merged.pk}: its evidence is here now, and #{incident.pk} leads here.",
    )
    return redirect("portal-incident", pk=merged.pk)


@require_POST
@supplier_staff_required
def incident_split(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    incident = _acting_on(viewer, pk)
    back = reverse("portal-incident", args=[incident.pk]) + "#evidence"
    try:
        posts = selectors.incident_evidence_by_references(
            viewer=viewer, incident=incident, references=request.POST.getlist("evidence")
        )
        new = services.incident_split(incident=incident, posts=posts, actor=person(request.user))
    except ApplicationError as error:
        messages.error(request, f"Nothing was split out: {error.message}")
        return redirect(back)
    messages.success(request, f"Split out into the new incident #{new.pk}.")
    return redirect("portal-incident", pk=new.pk)
