"""The portal list's bulk actions: acknowledge, assign, set the severity of or close the ticked
incidents at once (services.incidents_act_in_bulk), then back to the list with a summary of what was
done and what was refused, and why."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from suppliers.models import User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer

from .. import services
from ..forms import BulkActionForm
from ..services import BulkOutcome
from .common import supplier_staff_required

DONE_WORDS = {
    "acknowledge": "Acknowledged",
    "assign": "Assigned",
    "severity": "Severity set on",
    "close": "Closed",
}


def bulk_form(viewer: Viewer, data: object = None, **kwargs: object) -> BulkActionForm:
    assert viewer.supplier_id is not None  # supplier_staff_required
    colleagues = User.objects.assignable_at(viewer.supplier_id)
    return BulkActionForm(data, colleagues=colleagues, **kwargs)


def _numbers(ids: list[int]) -> str:
    return ", ".join(f"#{pk}" for pk in ids)


def summarise(request: HttpRequest, action: str, outcome: BulkOutcome) -> None:
    """The summary, as messages on the list: done, already so, refused with each reason."""
    if outcome.done:
        count = len(outcome.done)
        messages.success(
            request,
            f"{DONE_WORDS[action]} {count} incident{'s' if count != 1 else ''}: "
            f"{_numbers(outcome.done)}.",
        )
    if outcome.unchanged:
        messages.info(request, f"Already so, left unchanged: {_numbers(outcome.unchanged)}.")
    by_reason: dict[str, list[int]] = {}
    for pk, reason in outcome.refused:
        by_reason.setdefault(reason, []).append(pk)
    for reason, ids in by_reason.items():
        messages.warning(request, f"Refused {_numbers(ids)}: {reason}")


@require_POST
@supplier_staff_required
def incident_bulk_action(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    if not viewer.may_act:
        raise PermissionDenied("Viewers can read incidents but not act on them.")
    form = bulk_form(viewer, request.POST)
    back = request.POST.get("back", "")
    list_url = reverse("portal-incidents") + (f"?{back}" if back else "")
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else None
            messages.error(request, f"{label or 'Incidents'}: {' '.join(str(e) for e in errors)}")
        return redirect(list_url)
    data = form.cleaned_data
    try:
        outcome = services.incidents_act_in_bulk(
            actor=person(request.user),
            incident_ids=data["incident"],
            action=data["action"],
            assignee=data["assignee"],
            severity=data["severity"],
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        summarise(request, data["action"], outcome)
    return redirect(list_url)
