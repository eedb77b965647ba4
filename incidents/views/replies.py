"""The buyer answers back, on the buyers' incident page: a reporting organization's members reply
to the supplier, and accept or reject a resolution after confirming it on a page of its own. The
services decide who may (services.replies); an incident the buyer may not see is a 404."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from suppliers.models import User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import Form, add_refusal
from supplierwatch.viewers import Viewer

from .. import selectors, services
from ..forms import RejectForm, ReplyForm
from ..models import Incident
from ..presenters import incident_view
from .common import buyer_required


class ConfirmForm(Form):
    """Accepting: nothing to type, the CSRF token is enough."""


@dataclass(frozen=True)
class AnswerBack:
    form_class: type[forms.Form]
    perform: Callable[[User, Incident, dict[str, str]], object]
    title: str
    button: str
    done: str


ANSWERS_BACK: dict[str, AnswerBack] = {
    "reply": AnswerBack(
        ReplyForm,
        lambda user, incident, data: services.incident_reply(
            incident=incident, author=user, body=data["body"]
        ),
        "Reply to the supplier",
        "Send reply",
        "Your reply is sent to the supplier.",
    ),
    "accept": AnswerBack(
        ConfirmForm,
        lambda user, incident, data: services.incident_accept_resolution(
            incident=incident, actor=user
        ),
        "Accept the resolution",
        "Yes, the problem is solved",
        "You accepted the resolution.",
    ),
    "reject": AnswerBack(
        RejectForm,
        lambda user, incident, data: services.incident_reject_resolution(
            incident=incident, actor=user, reason=data["reason"]
        ),
        "Reject the resolution",
        "Reject and reopen the incident",
        "You rejected the resolution: the incident is reopened and the supplier is told.",
    ),
}


@require_http_methods(["GET", "POST"])
@buyer_required
def incident_answer_back(
    request: HttpRequest, viewer: Viewer, pk: int, action: str
) -> HttpResponse:
    """GET: the form to confirm (or write) it; POST: do it, or show the form with its errors."""
    if action not in ANSWERS_BACK:
        raise Http404("No such action.")
    answer_back = ANSWERS_BACK[action]
    incident = get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)
    form = answer_back.form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            answer_back.perform(person(request.user), incident, form.cleaned_data)
        except ApplicationError as error:
            add_refusal(form, error)
        else:
            messages.success(request, answer_back.done)
            return redirect(reverse("incident-detail", args=[incident.pk]) + "#replies")
    context = {
        "incident": incident_view(incident, viewer),
        "form": form,
        "action": action,
        "answer_back": answer_back,
    }
    return render(
        request, "incidents/answer_back.html", context, status=400 if form.errors else 200
    )
