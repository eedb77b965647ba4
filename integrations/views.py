"""API keys in the product: a party's admins issue (shown once), list and revoke their keys; and
a supplier's feeds in its portal."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents.views.common import membership_of, supplier_admin_required
from suppliers.models import Membership, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal
from supplierwatch.viewers import Viewer

from .forms import ApiKeyForm, FeedForm
from .models import ApiKey, Feed
from .presenters import feed_view
from .services import api_key_issue, api_key_revoke, feed_clear, feed_create, feed_poll_request


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


# --- the portal's feeds page -----------------------------------------------------------------
# A supplier's admins add their supplier's feeds, see each one's health, poll one now and clear one
# that failed; another supplier's feed is a 404, like a missing one.


def _feed_of(viewer: Viewer, pk: int) -> Feed:
    return get_object_or_404(Feed.objects.visible_to(viewer), pk=pk)


@supplier_admin_required
@require_http_methods(["GET", "POST"])
def feeds(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    supplier = membership_of(request).supplier
    form = FeedForm(request.POST or None)
    created = None
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = feed_create(
                    kind=data["kind"],
                    target=data["target"],
                    name=data["name"],
                    interval_seconds=data["interval_seconds"],
                    supplier=supplier,
                    created_by=person(request.user),
                )
            except ApplicationError as error:
                add_refusal(form, error)
            else:
                if not created.secret:
                    messages.success(
                        request, f"Feed “{created.feed.name}” added; it is being polled."
                    )
                    return redirect("portal-feeds")
                form, status = FeedForm(), 200  # the secret is shown on this page, this once
    rows = [feed_view(feed) for feed in Feed.objects.visible_to(viewer).order_by("name")]
    context = {
        "supplier": supplier,
        "rows": rows,
        "form": form,
        "created": feed_view(created.feed) if created else None,
        "secret": created.secret if created else "",
    }
    return render(request, "integrations/feeds.html", context, status=status)


@require_POST
@supplier_admin_required
def feed_poll_view(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    feed = _feed_of(viewer, pk)
    try:
        feed_poll_request(feed=feed)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Feed “{feed.name}” is being polled.")
    return redirect("portal-feeds")


@require_POST
@supplier_admin_required
def feed_clear_view(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    feed = _feed_of(viewer, pk)
    feed_clear(feed=feed)
    messages.success(request, f"Feed “{feed.name}” is cleared and being polled.")
    return redirect("portal-feeds")
