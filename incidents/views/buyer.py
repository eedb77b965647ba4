"""Buyer pages: /buyer/ (dashboard), /buyer/report/, /incidents/<id>/, /suppliers/<slug>/ (the
directory /suppliers/ and the scorecard are views.suppliers').

Views validate, call one service and render. Which rows a viewer sees comes from the selectors
(`visible_to`), and what of a row from the presenters: templates never get a Post whose reporter
the viewer may not know.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from suppliers.models import Supplier, SupplierAlias, person
from suppliers.selectors import supplier_choices as search_suppliers
from suppliers.selectors import supplier_directory, supplier_names
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from .. import selectors, services
from ..charts import BarChart, daily_points, weekly_points
from ..forms import ReplyForm, ReportForm
from ..models import Incident, Post, WorkCalendar, sla_promises
from ..presenters import (
    attachment_views,
    dispute_mark,
    evidence_view,
    incident_view,
    own_reports,
    timeline_entry,
)
from ..presenters.sla import SupplierPromiseView, supplier_promise_view
from .common import (
    RANGE_CHOICES,
    HtmxHttpRequest,
    buyer_or_operator_required,
    buyer_required,
    chosen_range,
    incident_or_target,
    incident_page,
    membership_of,
    page_of,
    present,
)
from .suppliers import scorecard_context

# An incident's chart shows days up to this span, and weeks beyond it...
DAILY_CHART_MAX_DAYS = 90
# ... and at least this many days, so that a new incident's one day is not one wall-to-wall bar.
CHART_MIN_DAYS = 14
# The supplier page's trend covers this range unless the `range` parameter chooses another.
TREND_DEFAULT_RANGE = "90d"
# The dashboard's trend of complaints across the network, likewise.
DASHBOARD_DEFAULT_RANGE = "30d"


def _incident_chart(incident: Incident, per_day: dict[date, int]) -> BarChart:
    """Evidence from the first day seen to the last: an incident of history (an import of old
    posts) is charted when it happened, not stretched to today."""
    today = timezone.localdate()
    known = [d for d in (incident.first_seen_at, incident.last_seen_at) if d is not None]
    days = [timezone.localdate(d) for d in known] + list(per_day)
    start, end = (min(days), max(days)) if days else (today, today)
    start = min(start, end - timedelta(days=CHART_MIN_DAYS - 1))
    if (end - start).days + 1 > DAILY_CHART_MAX_DAYS:
        points, period = weekly_points(per_day, start, end), "week"
    else:
        points, period = daily_points(per_day, start, end), "day"
    return BarChart(f"Evidence per {period}", "reports and posts", points, period, "report or post")


# --- Pages ----------------------------------------------------------------------------------------


@buyer_required
def buyer_home(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    now = timezone.now()
    time_range, range_note = chosen_range(request, DASHBOARD_DEFAULT_RANGE)
    latest = selectors.incident_list(viewer=viewer).open()[:10]
    context = {
        "organization": membership_of(request).organization,
        "reports": page_of(
            request, selectors.organization_reports_with_incidents(viewer=viewer), "reports", 10
        ),
        "follows": page_of(request, selectors.followed_incidents(viewer=viewer), "following", 10),
        "top_suppliers": selectors.suppliers_most_open_incidents(viewer=viewer, limit=10),
        "incidents": [incident_view(incident, viewer, now=now) for incident in latest],
        "trend": selectors.network_complaints_trend(viewer=viewer, time_range=time_range, now=now),
        "range_note": range_note,
        "range_choices": RANGE_CHOICES,
    }
    return render(request, "buyer/home.html", context)


@buyer_required
@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    organization_id = viewer.organization_id
    if request.method != "POST":
        initial: dict[str, object] = {"token": uuid.uuid4()}
        # "Report a problem" on a supplier's page comes with that supplier chosen.
        supplier = Supplier.objects.filter(slug=request.GET.get("supplier", "")).first()
        if supplier is not None:
            initial.update(supplier=supplier.pk, supplier_query=supplier.name)
        form = ReportForm(initial=initial, organization_id=organization_id)
        return _render_report(request, form)

    form = ReportForm(request.POST, request.FILES, organization_id=organization_id)
    if form.is_valid():
        author = person(request.user)
        external_id = f"web-{form.cleaned_data['token'].hex}"
        post = selectors.report_by_external_id(author_id=author.pk, external_id=external_id)
        if post is None:
            try:
                post = services.post_report_with_attachments(
                    author=author, external_id=external_id, **form.report_arguments()
                )
            except ApplicationError as error:
                form.add_application_error(error)
            except IntegrityError:
                # The same form sent twice at once: the other request saved it.
                post = selectors.report_by_external_id(author_id=author.pk, external_id=external_id)
                if post is None:
                    raise
        if post is not None:
            return _after_report(request, post)
    return _render_report(request, form, status=400)


def _render_report(request: HttpRequest, form: ReportForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "supplier_names": supplier_names()}
    return render(request, "buyer/report.html", context, status=status)


def _after_report(request: HttpRequest, post: Post) -> HttpResponse:
    incident_id = selectors.report_incident_id(post=post)
    if incident_id is not None:
        messages.success(request, "Thank you: your report is saved and joined this incident.")
        return redirect("incident-detail", pk=incident_id)
    messages.success(
        request,
        "Thank you: your report is saved. It joins an incident with similar reports in a moment.",
    )
    return redirect("buyer-home")


@buyer_required
@require_GET
def supplier_choices(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The search-as-you-type results of the report form (an htmx fragment)."""
    query = request.GET.get("supplier_query", request.GET.get("q", ""))[:200]
    suppliers = search_suppliers(query=query, organization_id=viewer.organization_id)
    return render(
        request,
        "buyer/_supplier_choices.html",
        {"suppliers": suppliers, "query": query.strip()},
    )


@buyer_or_operator_required
@require_GET
def incident_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    incident = incident_or_target(viewer, pk, "incident-detail")
    if isinstance(incident, HttpResponse):
        return incident
    context = incident_page(request, viewer, incident, evidence_param="evidence")
    own = own_reports(incident)
    # Whoever follows the incident has now seen what is on it.
    following = services.follow_mark_seen(user=person(request.user), incident=incident)
    context |= {
        "reports_total": context["incident"].counters.posts + context["private_reports"],
        "chart": _incident_chart(
            incident, selectors.incident_evidence_per_day(viewer=viewer, incident=incident)
        ),
        "timeline": present(
            page_of(
                request, selectors.incident_timeline(viewer=viewer, incident=incident), "history"
            ),
            lambda event: timeline_entry(event, viewer, incident.supplier.name),
        ),
        "following": following,
        # A reporting organization's members answer back (views.replies): an organization with a
        # shared report in it (presenters.own_reports), as services.replies says.
        "may_answer_back": viewer.is_buyer and bool(own and own.shared),
        "reply_form": ReplyForm(),
        "disputes": [
            (dispute_mark(dispute, viewer), evidence_view(dispute.post, viewer))
            for dispute in selectors.open_disputes(viewer=viewer, incident=incident)
        ],
    }
    return render(request, "incidents/detail.html", context)


@buyer_or_operator_required
@require_POST
def incident_follow(request: HtmxHttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """Follow or unfollow (`action`); htmx swaps the button, a plain form comes back to the page."""
    incident = get_object_or_404(selectors.incident_list(viewer=viewer), pk=pk)
    following = request.POST.get("action") != "unfollow"
    if following:
        services.incident_follow(user=person(request.user), incident=incident)
    else:
        services.incident_unfollow(user=person(request.user), incident=incident)
    if request.htmx:
        return render(
            request,
            "incidents/_follow.html",
            {"incident": incident_view(incident, viewer), "following": following},
        )
    messages.success(
        request,
        "You follow this incident." if following else "You no longer follow this incident.",
    )
    return redirect("incident-detail", pk=incident.pk)


@buyer_or_operator_required
@require_GET
def supplier_detail(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    # With the aliases the viewer knows it by (`known_aliases`) and the viewer's organization's
    # vendor codes (`own_vendor_codes`).
    directory = supplier_directory(
        organization_id=viewer.organization_id, supplier_id=viewer.supplier_id
    )
    supplier = get_object_or_404(directory, slug=slug)
    incidents = selectors.incident_list(viewer=viewer, supplier_id=supplier.pk)
    now = timezone.now()
    time_range, range_note = chosen_range(request, TREND_DEFAULT_RANGE)
    context = {
        "supplier": supplier,
        "open_incidents": present(
            page_of(request, incidents.open(), "open"),
            lambda incident: incident_view(incident, viewer, now=now),
        ),
        "recent_incidents": [
            incident_view(incident, viewer, now=now)
            for incident in incidents.exclude(status__in=Incident.OPEN_STATUSES)[:10]
        ],
        "categories": selectors.supplier_category_breakdown(viewer=viewer, supplier=supplier),
        "trend": selectors.supplier_complaints_trend(
            viewer=viewer, supplier=supplier, time_range=time_range, now=now
        ),
        "range_note": range_note,
        "range_choices": RANGE_CHOICES,
        "aliases": _aliases_by_kind(getattr(supplier, "known_aliases", [])),
        "sla_promise": _promise_of(supplier.pk),
        # The incident list's filters of the page's two lists, for their links and exports.
        "open_filters": urlencode({"supplier": supplier.name, "status": "open"}),
        "all_filters": urlencode({"supplier": supplier.name}),
        **scorecard_context(request, supplier),
        # Operators see exact activity times, as "N minutes ago" from now.
        "now": now,
    }
    return render(request, "incidents/supplier.html", context)


def _promise_of(supplier_id: int) -> SupplierPromiseView:
    """The supplier's promise, with its working calendar when a promise counts business hours
    only (one query, and one more for the calendar then)."""
    promises = sla_promises(supplier_id)
    business = any((own or default).business_hours_only for default, own in promises.values())
    calendar = WorkCalendar.objects.filter(supplier_id=supplier_id).first() if business else None
    return supplier_promise_view(promises, calendar)


KIND_ORDER = {kind: position for position, kind in enumerate(SupplierAlias.Kind.values)}


def _aliases_by_kind(aliases: Iterable[SupplierAlias]) -> list[tuple[str, list[str]]]:
    """[(kind, texts)] in the order of SupplierAlias.Kind: names first, then aliases, handles...
    The organization's own proposals say that matching does not use them (yet)."""
    grouped: dict[str, list[str]] = {}
    for alias in sorted(aliases, key=lambda a: (KIND_ORDER.get(a.kind, 99), a.text.lower())):
        text = alias.text
        if alias.state != SupplierAlias.State.ACTIVE:
            text = f"{text} ({alias.get_state_display().lower()} for matching)"
        grouped.setdefault(alias.get_kind_display(), []).append(text)
    return list(grouped.items())


@login_required
@require_GET
def attachment_download(request: HttpRequest, key: uuid.UUID) -> FileResponse:
    """A report's photo or document, for whoever may read the report; 404 for everybody else."""
    viewer = viewer_of(request.user)
    attachment = selectors.attachment_for(viewer=viewer, key=key)
    if attachment is None:
        raise Http404("No such attachment.")
    post = attachment.post
    shown = next(
        (
            view
            for view in attachment_views(post, reveals=post.reveals_identity_to(viewer))
            if view.id == attachment.pk
        ),
        None,
    )
    if shown is None:  # not cleaned of its metadata yet, and the viewer may not know its reporter
        raise Http404("No such attachment.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("No such attachment.") from missing
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not shown.inline,
        filename=shown.filename,
    )
    # Never let a browser guess a type or run anything from an uploaded file.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
