"""Supplier portal pages: /portal/ (dashboard), /portal/incidents/ (list), one incident, its actions.

Every read goes through a selector that starts from a `visible_to` QuerySet and every row is shown
through the presenters; every action POSTs one form and calls one lifecycle service, so it leaves an
IncidentEvent. The page offers exactly the actions the incident's status allows
(Incident.allowed_actions) to the staff who may act (Viewer.may_act_for); the services check both
again. Another supplier's incident is a 404, the same as a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from suppliers.models import Supplier, User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal
from supplierwatch.viewers import Viewer

from .. import selectors, services
from ..forms import (
    AssignForm,
    EightDForm,
    EmptyActionForm,
    IncidentFilterForm,
    ResolveForm,
    RespondForm,
    SeverityForm,
)
from ..inputs import PORTAL_LIST
from ..models import Discipline, Incident, recorded_steps
from ..presenters import discipline_name, incident_view, timeline_entry
from .bulk import bulk_form
from .common import (
    RANGE_CHOICES,
    HtmxHttpRequest,
    chosen_range,
    filtered_incidents,
    incident_or_target,
    incident_page,
    membership_of,
    page_of,
    present,
    supplier_staff_or_404,
    supplier_staff_required,
)
from .lists import save_form

INCIDENTS_PER_PAGE = 25
EVIDENCE_PER_PAGE = 20
TIMELINE_LIMIT = 100
# The dashboard's complaints, top categories and spikes cover this range unless chosen.
DASHBOARD_DEFAULT_RANGE = "30d"


# --- Dashboard ----------------------------------------------------------------------------------


@supplier_staff_required
def portal_home(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    now = timezone.now()
    time_range, range_note = chosen_range(request, DASHBOARD_DEFAULT_RANGE)
    overview = selectors.portal_overview(viewer=viewer, now=now, time_range=time_range)
    context = {
        "supplier": _supplier(request),
        "overview": overview,
        "most_severe": [incident_view(i, viewer, now=now) for i in overview.most_severe],
        "overdue": [incident_view(i, viewer, now=now) for i in overview.overdue],
        "spikes": [
            (event, timeline_entry(event, viewer, event.incident.supplier.name))
            for event in overview.spikes
        ],
        "trend": overview.complaints,
        "range_note": range_note,
        "range_choices": RANGE_CHOICES,
        "now": now,
    }
    return render(request, "portal/home.html", context)


def _supplier(request: HttpRequest) -> Supplier:
    supplier = membership_of(request).supplier
    assert supplier is not None  # supplier_staff_required
    return supplier


# --- Incident list ------------------------------------------------------------------------------


@supplier_staff_required
def incident_list(request: HtmxHttpRequest, viewer: Viewer) -> HttpResponse:
    form, incidents = filtered_incidents(request, viewer, IncidentFilterForm(request.GET or None))
    now = timezone.now()
    page = present(
        page_of(request, selectors.paged(incidents, viewer=viewer), "page", INCIDENTS_PER_PAGE),
        lambda incident: incident_view(incident, viewer, now=now),
    )
    context = {
        "supplier": _supplier(request),
        "form": form,
        "page": page,
        "now": now,
        "save_form": save_form(request, PORTAL_LIST),
        "bulk_form": bulk_form(viewer, initial={"back": _list_query(request)})
        if viewer.may_act
        else None,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "portal/_incident_results.html", context)
    return render(request, "portal/incident_list.html", context)


def _list_query(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing staff do with an incident: its form, the one service it calls, what it says."""

    form_class: type[forms.Form]
    perform: Callable[[User, Incident, dict[str, Any]], object]
    done: str
    anchor: str = "actions"


A = Incident.Action
ACTIONS: dict[str, Action] = {
    A.ACKNOWLEDGE: Action(
        EmptyActionForm,
        lambda user, incident, data: services.incident_acknowledge(incident=incident, actor=user),
        "Incident acknowledged.",
    ),
    A.INVESTIGATE: Action(
        EmptyActionForm,
        lambda user, incident, data: services.incident_start_investigation(
            incident=incident, actor=user
        ),
        "Investigation started.",
    ),
    A.ASSIGN: Action(
        AssignForm,
        lambda user, incident, data: services.incident_assign(
            incident=incident, actor=user, assignee=data["assignee"]
        ),
        "Assignment saved.",
    ),
    A.RESPOND: Action(
        RespondForm,
        lambda user, incident, data: services.incident_respond(
            incident=incident,
            author=user,
            body=data["body"],
            organization=data.get("organization"),
            waits_for_buyer=data.get("waits_for_buyer", False),
        ),
        "Answer sent.",
        anchor="answers",
    ),
    A.SET_SEVERITY: Action(
        SeverityForm,
        lambda user, incident, data: services.incident_set_severity(
            incident=incident, actor=user, severity=data["severity"]
        ),
        "Severity saved.",
    ),
    A.RESOLVE: Action(
        ResolveForm,
        lambda user, incident, data: services.incident_resolve(
            incident=incident, actor=user, note=data["note"]
        ),
        "Incident resolved.",
    ),
    A.CLOSE: Action(
        EmptyActionForm,
        lambda user, incident, data: services.incident_close(incident=incident, actor=user),
        "Incident closed.",
    ),
}


def _form_kwargs(
    name: str, viewer: Viewer, incident: Incident, offered: list[User] | None = None
) -> dict[str, Any]:
    if name == A.ASSIGN:
        return {
            "colleagues": User.objects.assignable_at(incident.supplier_id),
            "offered": offered,
            "initial": {"assignee": incident.assignee_id},
        }
    if name == A.RESPOND:
        named = selectors.incident_named_organizations(viewer=viewer, incident=incident)
        return {"organizations": named}
    if name == A.SET_SEVERITY:
        return {"initial": {"severity": incident.severity}}
    return {}


def _build_form(
    name: str,
    viewer: Viewer,
    incident: Incident,
    data: Any = None,
    offered: list[User] | None = None,
) -> forms.Form:
    kwargs = _form_kwargs(name, viewer, incident, offered)
    if data is not None:
        kwargs.pop("initial", None)
        return ACTIONS[name].form_class(data, **kwargs)
    return ACTIONS[name].form_class(**kwargs)


# --- One incident -------------------------------------------------------------------------------


def _incident_for(viewer: Viewer, pk: int) -> Incident:
    """The incident if this person's supplier may see it; a 404 otherwise, as for a missing id."""
    return get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)


def render_incident(
    request: HttpRequest,
    viewer: Viewer,
    incident: Incident,
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = incident_page(
        request, viewer, incident, evidence_param="page", evidence_per_page=EVIDENCE_PER_PAGE
    )
    acting = viewer.may_act_for(incident.supplier_id)
    allowed = incident.allowed_actions() if acting else []
    action_forms: dict[str, forms.Form] = {}
    if acting:
        # The colleagues the assignment offers, read once for all the forms.
        offered = list(User.objects.assignable_at(incident.supplier_id))
        for name in allowed:
            if name == A.RECORD_8D:
                continue
            if failed and failed[0] == name:
                action_forms[name] = failed[1]
            else:
                action_forms[name] = _build_form(name, viewer, incident, offered=offered)
        if failed and failed[0] in ACTIONS and failed[0] not in action_forms:
            action_forms[failed[0]] = failed[1]
    # The latest events (the selector's order: newest first), shown oldest first.
    latest = list(selectors.incident_timeline(viewer=viewer, incident=incident)[:TIMELINE_LIMIT])
    supplier_name = incident.supplier.name
    context |= {
        "supplier": _supplier(request),
        "failed_action": failed[0] if failed else "",
        "can_act": acting,
        "can_dispute": services.may_dispute(viewer, incident),
        "can_merge": acting and not incident.is_merged,
        "merge_targets": selectors.merge_targets(viewer=viewer, incident=incident)
        if acting
        else [],
        "forms": action_forms,
        # Each discipline as the viewer sees it. Its form is fetched when opened
        # (incident_eight_d), but for the one just refused, shown as it was typed.
        "eight_d": [
            (step, failed[1] if failed and failed[0] == f"8d-{step.discipline}" else None)
            for step in context["incident"].eight_d
        ],
        "eight_d_editable": A.RECORD_8D in allowed,
        "timeline": [timeline_entry(e, viewer, supplier_name) for e in reversed(latest)],
        "timeline_truncated": len(latest) == TIMELINE_LIMIT,
    }
    return render(request, "portal/incident_detail.html", context, status=status)


def eight_d_form(
    incident: Incident,
    discipline: str,
    *,
    data: Any = None,
    offered: list[User] | None = None,
) -> EightDForm:
    """The form of one discipline, filled in with what is recorded (recorded_steps, which the
    selectors prefetch); its fields' ids are the discipline's own, as the page shows eight."""
    kwargs: dict[str, Any] = {
        "colleagues": User.objects.assignable_at(incident.supplier_id),
        "offered": offered,
        "auto_id": f"id_{discipline}_%s",
    }
    if data is not None:
        return EightDForm(data, **kwargs)
    step = next((s for s in recorded_steps(incident) if s.discipline == discipline), None)
    if step is not None:
        kwargs["initial"] = {
            "text": step.text,
            "owner": step.owner_id,
            "due_on": step.due_on,
            "done_on": step.done_on,
        }
    return EightDForm(**kwargs)


@supplier_staff_required
def incident_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    incident = incident_or_target(viewer, pk, "portal-incident")
    if isinstance(incident, HttpResponse):
        return incident
    return render_incident(request, viewer, incident)


@require_POST
@supplier_staff_required
def incident_action(request: HttpRequest, viewer: Viewer, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    incident = _incident_for(viewer, pk)
    if not viewer.may_act_for(incident.supplier_id):
        raise PermissionDenied("Viewers can read incidents but not act on them.")
    form = _build_form(action, viewer, incident, data=request.POST)
    if form.is_valid():
        try:
            ACTIONS[action].perform(request.user, incident, form.cleaned_data)  # type: ignore[arg-type]
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, ACTIONS[action].done)
            url = reverse("portal-incident", args=[incident.pk])
            return redirect(f"{url}#{ACTIONS[action].anchor}")
    # Re-render the page with the form as typed and its errors, so nothing typed is lost.
    incident.refresh_from_db()
    return render_incident(request, viewer, incident, failed=(action, form), status=400)


@require_http_methods(["GET", "POST"])
@supplier_staff_or_404
def incident_eight_d(
    request: HtmxHttpRequest, viewer: Viewer, pk: int, discipline: str
) -> HttpResponse:
    """One discipline of the 8D. GET: its form, filled in with what is recorded (the incident
    page fetches it when its editor is opened; without JavaScript, a page of its own). POST:
    save it (services.eightd_update); on a refusal, the incident page again with what was typed
    beside the error."""
    if discipline not in Discipline.values:
        raise Http404("No such discipline.")
    incident = _incident_for(viewer, pk)
    if not viewer.may_act_for(incident.supplier_id):
        raise PermissionDenied("Viewers can read the 8D but not change it.")
    if request.method == "GET":
        template = "portal/_eight_d_form.html" if request.htmx else "portal/eight_d_edit.html"
        context = {
            "incident": incident_view(incident, viewer),
            "discipline": discipline,
            "name": discipline_name(discipline),
            "form": eight_d_form(incident, discipline),
        }
        return render(request, template, context)
    form = eight_d_form(incident, discipline, data=request.POST)
    if form.is_valid():
        try:
            services.eightd_update(
                incident=incident,
                discipline=discipline,
                actor=person(request.user),
                **form.cleaned_data,
            )
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, f"{discipline_name(discipline)} saved.")
            return redirect(reverse("portal-incident", args=[incident.pk]) + f"#{discipline}")
    incident = _incident_for(viewer, pk)  # as recorded, with the form as typed
    return render_incident(request, viewer, incident, failed=(f"8d-{discipline}", form), status=400)
