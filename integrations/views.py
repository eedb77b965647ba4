"""API keys in the product: a party's admins issue (shown once), list and revoke their keys."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from suppliers.models import Membership, person

from .forms import ApiKeyForm
from .models import ApiKey
from .services import api_key_issue, api_key_revoke


def _admin_membership(request: HttpRequest) -> Membership:
    membership = person(request.user).party  # login_required: a signed-in person
    if membership is None or not membership.is_admin:
        raise PermissionDenied("Only your organization's or supplier's admins manage API keys.")
    return membership


def _party_keys(membership: Membership):
    if membership.organization_id is not None:  # membership.is_buyer
        return ApiKey.objects.filter(organization_id=membership.organization_id)
    supplier_id = membership.supplier_id
    assert supplier_id is not None, "a membership has exactly one party"
    return ApiKey.objects.filter(supplier_id=supplier_id)


@login_required
@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    membership = _admin_membership(request)
    form = ApiKeyForm(request.POST or None)
    issued = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            issued = api_key_issue(
                name=form.cleaned_data["name"],
                organization=membership.organization,
                supplier=membership.supplier,
                can_write=form.cleaned_data["can_write"],
                created_by=person(request.user),
            )
            form = ApiKeyForm()
        else:
            status = 400
    keys = _party_keys(membership).select_related("created_by").order_by("-created_at")
    context = {"membership": membership, "form": form, "keys": keys, "issued": issued}
    # The page may hold a key shown this once: like every page to a signed-in person, nothing
    # between here and the browser keeps it (supplierwatch.middleware).
    return render(request, "integrations/api_keys.html", context, status=status)


@login_required
@require_POST
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    membership = _admin_membership(request)
    api_key = get_object_or_404(_party_keys(membership), pk=pk)
    api_key_revoke(api_key=api_key)
    messages.success(request, f"The key “{api_key.name}” is revoked.")
    return redirect("api-keys")
