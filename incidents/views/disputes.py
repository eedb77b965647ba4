"""Disputes on the pages: a supplier's responders dispute a piece of evidence from the portal's
incident page; a reporting organization's members (and operators) accept or reject a dispute of
its report from the buyers' incident page. The services decide who may (services.disputes); an
incident or a dispute the person may not see is a 404, as everywhere.
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
from ..forms import ACCEPT, DisputeDecisionForm, DisputeForm
from ..models import Dispute
from .common import buyer_or_operator_required, supplier_staff_required


def _errors(form: DisputeForm | DisputeDecisionForm) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


@require_POST
@supplier_staff_required
def dispute_open(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)
    if not services.may_dispute(viewer, incident):
        raise PermissionDenied("Viewers can read incidents but not dispute their evidence.")
    form = DisputeForm(request.POST)
    back = reverse("portal-incident", args=[incident.pk]) + "#evidence"
    if not form.is_valid():
        messages.error(request, f"Nothing was disputed: {_errors(form)}")
        return redirect(back)
    data = form.cleaned_data
    try:
        post = selectors.incident_evidence_by_reference(
            viewer=viewer, incident=incident, reference=data["evidence"]
        )
        services.dispute_open(
            post=post,
            incident=incident,
            actor=person(request.user),
            reason=data["reason"],
            note=data["note"],
        )
    except ApplicationError as error:
        messages.error(request, f"Nothing was disputed: {error.message}")
    else:
        messages.success(
            request,
            "Disputed: the evidence stays counted, marked as disputed, until an operator (or, "
            "for a buyer report, its organization) decides.",
        )
    return redirect(back)


@require_POST
@buyer_or_operator_required
def dispute_decide(request: HttpRequest, viewer: Viewer, pk: int, dispute_id: int) -> HttpResponse:
    incident = get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)
    # A dispute this person does not decide is missing, not forbidden: ids cannot be probed.
    dispute: Dispute = get_object_or_404(
        Dispute.objects.decidable_by(viewer).filter(incident=incident), pk=dispute_id
    )
    form = DisputeDecisionForm(request.POST)
    back = reverse("incident-detail", args=[incident.pk]) + "#disputes"
    if not form.is_valid():
        messages.error(request, f"Nothing was decided: {_errors(form)}")
        return redirect(back)
    accept = form.cleaned_data["decision"] == ACCEPT
    decide = services.dispute_accept if accept else services.dispute_reject
    try:
        decide(dispute=dispute, actor=person(request.user), note=form.cleaned_data["note"])
    except ApplicationError as error:
        messages.error(request, f"Nothing was decided: {error.message}")
    else:
        messages.success(
            request,
            "Dispute accepted: the evidence no longer counts in this incident."
            if accept
            else "Dispute rejected: the evidence stays counted.",
        )
    return redirect(back)
