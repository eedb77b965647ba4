"""The inbox, its settings and the unsubscribe page: each validates, calls one service, renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from suppliers.models import User, person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal

from . import selectors, services
from .forms import PreferencesForm, kinds_for
from .models import Kind
from .unsubscribe import Expired, read_unsubscribe_token

PER_PAGE = 25


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user = person(request.user)
    page = Paginator(selectors.inbox(user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notification marks it read and leads to its incident."""
    notification = get_object_or_404(selectors.inbox(person(request.user)), pk=pk)
    services.notification_mark_read(notification=notification)
    if not url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect("inbox")
    return HttpResponseRedirect(notification.url)


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(selectors.inbox(person(request.user)), pk=pk)
    services.notification_mark_read(notification=notification)
    return redirect("inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=person(request.user))
    messages.success(request, f"{count} notification{'' if count == 1 else 's'} marked read.")
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = person(request.user)
    kinds = kinds_for(user.viewer)
    if request.method == "POST":
        form = PreferencesForm(request.POST, kinds=kinds)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.digest_schedule_set(
                    user=user, hour=data["hour"], time_zone=data["time_zone"]
                )
                services.preferences_set(user=user, deliveries={kind: data[kind] for kind in kinds})
            except ApplicationError as error:
                add_refusal(form, error)
            else:
                messages.success(request, "Your notification settings are saved.")
                return redirect("notification-settings")
    else:
        current = services.preferences_of(user)
        schedule = services.digest_schedule_of(user)
        initial = {kind: current[kind] for kind in kinds}
        form = PreferencesForm(
            initial={**initial, "hour": schedule.hour, "time_zone": schedule.time_zone},
            kinds=kinds,
        )
    return render(request, "notifications/settings.html", {"form": form})


# Signed links work without signing in, from an e-mail program: the token is the credential, and
# mail clients' one-click unsubscribe (RFC 8058) posts without a CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link would stop (mail scanners follow links); POST stops it."""
    found = read_unsubscribe_token(token)
    if isinstance(found, Expired):
        return render(request, "notifications/unsubscribe.html", {"expired": True}, status=410)
    user = User.objects.filter(pk=found[0], is_active=True).first() if found else None
    if found is None or user is None or found[1] not in Kind.values:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    kind = found[1]
    done = False
    if request.method == "POST":
        services.preferences_set(user=user, deliveries={kind: services.Delivery.NEVER})
        done = True
    return render(
        request,
        "notifications/unsubscribe.html",
        {"kind_label": Kind(kind).label, "email": user.email, "done": done},
    )
