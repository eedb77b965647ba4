"""Keyword monitors (/monitors/): a buyer organization's or a supplier team's saved queries over
public posts. Every member of the party lists, adds, edits, deletes and watches them; another
party's monitor is a 404, like a missing one. Each POST validates a form and calls one service."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from suppliers.models import person
from supplierwatch.errors import ApplicationError
from supplierwatch.forms import add_refusal
from supplierwatch.viewers import Viewer

from .. import selectors, services
from ..charts import BarChart, daily_points
from ..forms import MonitorForm
from ..models import KeywordMonitor
from ..presenters import evidence_view
from .common import page_of, present, viewer_required

# The volume chart of a monitor's page.
CHART_DAYS = 30

party_member_required = viewer_required(lambda v: v.is_buyer or v.is_supplier_staff)


def _monitor_of(viewer: Viewer, pk: int) -> KeywordMonitor:
    monitor = selectors.monitor_of(viewer=viewer, pk=pk)
    if monitor is None:
        raise Http404("No such monitor.")
    return monitor


def _save(
    request: HttpRequest, form: MonitorForm, monitor: KeywordMonitor | None
) -> KeywordMonitor | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return services.monitor_save(
            actor=person(request.user),
            monitor=monitor,
            name=data["name"],
            query=data["query"],
            suppliers=list(data["suppliers"]),
        )
    except ApplicationError as error:
        add_refusal(form, error)
        return None


@party_member_required
def monitor_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The party's monitors, and a form to add one (POST here)."""
    form = MonitorForm(request.POST or None)
    if request.method == "POST":
        monitor = _save(request, form, None)
        if monitor is not None:
            messages.success(
                request, f"Monitor \u201c{monitor.name}\u201d added: it watches posts from now on."
            )
            return redirect("monitor-detail", monitor.pk)
    context = {
        "monitors": list(selectors.monitors_of(viewer=viewer, now=timezone.now())),
        "form": form,
    }
    return render(
        request, "monitors/list.html", context, status=400 if request.method == "POST" else 200
    )


@party_member_required
def monitor_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """What the monitor found: its volume per day, its jumps, the posts; and its settings."""
    monitor = _monitor_of(viewer, pk)
    status = 200
    if request.method == "POST":
        form = MonitorForm(request.POST)
        if _save(request, form, monitor) is not None:
            messages.success(request, f"Monitor \u201c{form.cleaned_data['name']}\u201d saved.")
            return redirect("monitor-detail", monitor.pk)
        status = 400
    else:
        form = MonitorForm(initial=MonitorForm.initial_of(monitor))
    today = timezone.localdate()
    since = today - timedelta(days=CHART_DAYS - 1)
    per_day = selectors.monitor_volume_per_day(monitor=monitor, since=since)
    context = {
        "monitor": monitor,
        "form": form,
        "chart": BarChart(
            "Posts found per day",
            "posts",
            daily_points(per_day, since, today),
            unit_one="post",
        ),
        "alerts": monitor.alerts.all()[:5],
        "posts": present(
            page_of(request, selectors.monitor_posts(monitor=monitor)),
            lambda post: (evidence_view(post, viewer), post),
        ),
    }
    return render(request, "monitors/detail.html", context, status=status)


@require_POST
@party_member_required
def monitor_delete(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    monitor = _monitor_of(viewer, pk)
    services.monitor_delete(actor=person(request.user), monitor=monitor)
    messages.success(request, f"Monitor \u201c{monitor.name}\u201d deleted.")
    return redirect("monitors")


@require_POST
@party_member_required
def monitor_watch(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    monitor = _monitor_of(viewer, pk)
    watching = request.POST.get("watch") == "1"
    services.monitor_watch(actor=person(request.user), monitor=monitor, watching=watching)
    messages.success(
        request,
        "You will be told when its volume jumps."
        if watching
        else "You will no longer be told of its jumps.",
    )
    return redirect("monitor-detail", monitor.pk)
