"""The portal's SLA settings page (/portal/settings/): a supplier's admins set its working calendar
and its own promise per severity, stricter than the default or equal. Only the supplier's admins
get it (403 for everyone else, as the team and rules pages). Each POST validates one form and calls
one service; a refusal shows beside its field and nothing is saved."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from suppliers.models import person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal
from supplierwatch.viewers import Viewer

from .. import services
from ..forms.sla import CALENDAR_FIELDS, SlaPromisesForm, WorkCalendarForm
from ..models import WorkCalendar, sla_promises
from ..presenters.sla import supplier_promise_view
from .common import membership_of, supplier_admin_required


@supplier_admin_required
def sla_settings(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    supplier = membership_of(request).supplier
    assert supplier is not None  # supplier_admin_required
    part = request.POST.get("part") if request.method == "POST" else None
    calendar = WorkCalendar.objects.filter(supplier=supplier).first()
    promises = sla_promises(supplier.pk)
    calendar_form = WorkCalendarForm(
        request.POST if part == "calendar" else None,
        initial=WorkCalendarForm.initial_of(calendar or WorkCalendar()),
    )
    promises_form = SlaPromisesForm(request.POST if part == "promises" else None, promises=promises)
    actor = person(request.user)
    try:
        if part == "calendar" and calendar_form.is_valid():
            data = calendar_form.cleaned_data
            services.work_calendar_save(
                actor=actor, supplier=supplier, **{name: data[name] for name in CALENDAR_FIELDS}
            )
            messages.success(request, "Working calendar saved.")
            return redirect("portal-settings")
        if part == "promises" and promises_form.is_valid():
            services.sla_promises_save(
                actor=actor, supplier=supplier, promises=promises_form.promise_values()
            )
            messages.success(request, "Promises saved. They apply to incidents opened from now.")
            return redirect("portal-settings")
    except ApplicationError as error:
        add_refusal(calendar_form if part == "calendar" else promises_form, error)
    context = {
        "supplier": supplier,
        "calendar_form": calendar_form,
        "promises_form": promises_form,
        "promise": supplier_promise_view(promises, calendar),
    }
    return render(request, "portal/settings.html", context, status=400 if part else 200)
