"""Correcting a public post's label: POST /posts/<id>/label/ (supplier staff who answer, operators).

"Not a complaint" or "a complaint in category X": the post is re-grouped once the correction is
saved (services.post_relabel). A supplier's staff saying "not a complaint" dispute the post
instead (services.dispute_open): it stays counted until an operator decides and the label is a training example from the next training run on.
The form is the partial templates/incidents/_label_form.html, rendered by `{% label_form post %}`
(incidents/templatetags/labels.py); with htmx the answer is that partial, otherwise a redirect
back to the page the form was on.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from suppliers.models import User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal

from .. import services
from ..forms import COMPLAINT, NOT_COMPLAINT, UNDO, LabelForm
from ..models import Category, Dispute, Post, PostMatch
from .common import HtmxHttpRequest


def _back(request: HttpRequest) -> str:
    for candidate in (request.POST.get("next"), request.headers.get("referer")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "home"


def _dispute(user: User, post: Post) -> None:
    """Dispute the post in the incident of the user's supplier it is evidence in."""
    supplier_id = user.viewer.supplier_id
    if supplier_id is None:  # may_relabel let only operators and a supplier's staff in
        raise ApplicationError("Only a supplier's staff dispute evidence.", code="forbidden")
    match = (
        PostMatch.objects.filter(post=post, supplier_id=supplier_id, incident__isnull=False)
        .select_related("incident")
        .first()
    )
    if match is None or match.incident is None:
        raise ApplicationError("This post is no evidence in any of your incidents.", field="label")
    services.dispute_open(
        post=post, incident=match.incident, actor=user, reason=Dispute.Reason.NOT_A_COMPLAINT
    )


@login_required
@require_POST
def post_label(request: HtmxHttpRequest, post_id: int) -> HttpResponse:
    user = person(request.user)
    # A post the user may not read is missing, not forbidden: ids cannot be probed.
    post = get_object_or_404(Post.objects.visible_to(user), pk=post_id)
    if not services.may_relabel(user, post):
        raise PermissionDenied("Only the supplier's responders and admins correct labels.")
    form = LabelForm(request.POST)
    saved = False
    disputed = False
    if form.is_valid():
        label = form.cleaned_data["label"]
        try:
            if label == NOT_COMPLAINT and not user.viewer.is_operator:
                # A supplier's "not a complaint" is a dispute: the evidence stays until decided.
                _dispute(user, post)
                disputed = True
            else:
                post = services.post_relabel(
                    post=post,
                    actor=user,
                    is_complaint=None if label == UNDO else label == COMPLAINT,
                    category=form.cleaned_data["category"],
                )
                saved = True
        except ApplicationError as exc:
            add_refusal(form, exc)
    if request.htmx:
        return render(
            request,
            "incidents/_label_form.html",
            {
                "post": post,
                "label_categories": list(Category.objects.active()),
                "can_label": True,
                "saved": saved,
                "disputed": disputed,
                "corrects_directly": user.viewer.is_operator,
                "form": form,
            },
        )
    if disputed:
        messages.success(request, "Disputed: the post stays counted until an operator decides.")
    elif saved:
        messages.success(request, "Thank you: the post's label is corrected and it is regrouped.")
    else:
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"The label was not changed: {errors}")
    return redirect(_back(request))
