"""Buyer pages: /buyer/ (dashboard), /buyer/report/, /incidents/<id>/, /suppliers/<slug>/.

Views validate, call one service and render. Who sees what comes from the visible_to QuerySet
methods (through incidents.selectors); what is shown of a post's reporter is decided once, in
`_evidence_row`, so templates never hold a hidden reporter's name, organization or id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import IntegrityError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from suppliers.models import Membership, Supplier, SupplierAlias, User, VendorCode
from supplierwatch.errors import ApplicationError

from .. import selectors, services
from ..charts import BarChart, daily_points, weekly_points
from ..forms import ReportForm
from ..models import Attachment, Incident, IncidentEvent, Post, Response, Severity
from ..services.attachments import INLINE_TYPES
from .common import buyer_required

PER_PAGE = 20


def buyer_or_operator_required(view: Callable) -> Callable:
    """Buyers, and operators (who see everything); supplier staff use the portal's pages."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        membership = request.user.party
        if not request.user.is_superuser and (membership is None or not membership.is_buyer):
            raise PermissionDenied("This page belongs to another kind of account.")
        return view(request, membership, *args, **kwargs)

    return wrapper


def _page(request: HttpRequest, items: QuerySet, param: str, per_page: int = PER_PAGE) -> Page:
    """One page of `items`, chosen by the query parameter `param`; links keep the other parameters."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = str(number)
        return "?" + query.urlencode()

    page.previous_link = link(page.previous_page_number()) if page.has_previous() else ""
    page.next_link = link(page.next_page_number()) if page.has_next() else ""
    return page


# An incident's chart shows days up to this span, and weeks beyond it.
DAILY_CHART_MAX_DAYS = 90


# ... and at least this many days, so that a new incident's one day is not one wall-to-wall bar.
CHART_MIN_DAYS = 14


def _incident_chart(incident: Incident, per_day: dict[date, int]) -> BarChart:
    """Evidence from the first day seen to the last (to today while the incident is open)."""
    today = timezone.localdate()
    known = [d for d in (incident.first_seen_at, incident.last_seen_at) if d is not None]
    days = [timezone.localdate(d) for d in known] + list(per_day)
    if incident.is_open:
        days.append(today)
    start, end = (min(days), max(days)) if days else (today, today)
    start = min(start, end - timedelta(days=CHART_MIN_DAYS - 1))
    if (end - start).days + 1 > DAILY_CHART_MAX_DAYS:
        points, period = weekly_points(per_day, start, end), "week"
    else:
        points, period = daily_points(per_day, start, end), "day"
    return BarChart(f"Evidence per {period}", "reports and posts", points, period, "report or post")


# The supplier page's trend covers this many weeks, the current one last.
TREND_WEEKS = 12


def _trend_start(now: datetime) -> datetime:
    today = timezone.localdate(now)
    first_monday = today - timedelta(days=today.weekday(), weeks=TREND_WEEKS - 1)
    return datetime.combine(first_monday, datetime.min.time(), tzinfo=now.tzinfo)


# --- What a viewer may see of one piece of evidence ----------------------------------------------


@dataclass(frozen=True)
class AttachmentLink:
    url: str
    label: str
    is_image: bool
    size: int


@dataclass(frozen=True)
class EvidenceRow:
    """One post as this viewer may see it. Built only from fields the viewer may read."""

    text: str
    published_at: datetime
    is_public: bool
    source: str
    author_handle: str
    url: str
    reporter: str
    organization: str
    visibility: str
    category: str
    po_number: str
    sku: str
    lot: str
    quantity_affected: int | None
    severity: str
    attachments: list[AttachmentLink]


def _safe_url(url: str) -> str:
    """Only http(s) links are rendered; anything else (javascript:, data:, ...) is dropped."""
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def _attachment_links(post: Post, reveals: bool) -> list[AttachmentLink]:
    links = []
    for number, attachment in enumerate(post.attachments.all(), start=1):
        is_image = attachment.content_type in INLINE_TYPES
        # The file name a buyer chose may name them or their company ("acme-PO-4711.pdf").
        label = (
            attachment.original_name
            if reveals
            else f"{'Photo' if attachment.content_type.startswith('image/') else 'Document'} {number}"
        )
        links.append(
            AttachmentLink(
                url=reverse("attachment-download", args=[attachment.pk]),
                label=label,
                is_image=is_image,
                size=attachment.size,
            )
        )
    return links


def _evidence_row(post: Post, viewer: User) -> EvidenceRow:
    reveals = post.reveals_identity_to(viewer)
    buyer_post = post.is_buyer_post
    return EvidenceRow(
        text=post.text,
        published_at=post.published_at,
        is_public=not buyer_post,
        source="" if buyer_post else post.source,
        author_handle="" if buyer_post else post.author_handle,
        url="" if buyer_post else _safe_url(post.url),
        reporter=(post.author.display_name if post.author else "")
        if buyer_post and reveals
        else "",
        organization=post.organization.name if buyer_post and reveals else "",
        visibility=post.visibility,
        category=str(post.category or ""),
        # A PO number is the buyer's own order number: the supplier can tell the customer by it.
        po_number=post.po_number if reveals else "",
        sku=post.sku,
        lot=post.lot,
        quantity_affected=post.quantity_affected,
        severity=post.get_severity_display() if post.severity else "",
        attachments=_attachment_links(post, reveals) if buyer_post else [],
    )


# --- The timeline, in plain words -----------------------------------------------------------------

EIGHT_D_WORDS = {
    "containment": "containment",
    "root_cause": "root cause",
    "corrective_action": "corrective action",
    "preventive_action": "preventive action",
    "verification": "verification",
}


def _status_words(value: object) -> str:
    return Incident.Status(value).label if value in Incident.Status.values else "unknown"


def _severity_words(value: object) -> str:
    return Severity(value).label if value in Severity.values else "unknown"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _describe_event(event: IncidentEvent, supplier: Supplier) -> str:
    """One event in plain words, from the fields every viewer of the incident may know."""
    data = event.data or {}
    kind = event.kind
    if kind == IncidentEvent.Kind.CREATED:
        return "Incident opened."
    if kind == IncidentEvent.Kind.POST_ADDED:
        posts = int(data.get("posts", 0))
        public = int(data.get("public_posts", 0))
        text = f"{_plural(posts, 'piece')} of evidence added"
        return text + (f" ({_plural(public, 'public post')})." if public else ".")
    if kind == IncidentEvent.Kind.REOPENED:
        return "Reopened: new evidence arrived after it had been resolved."
    if kind == IncidentEvent.Kind.SPIKE:
        return f"Spike: {data.get('complaints_last_hour', 'many')} complaints within an hour."
    if kind == IncidentEvent.Kind.STATUS_CHANGED:
        text = (
            f"Status changed from {_status_words(data.get('from'))} "
            f"to {_status_words(data.get('to'))}."
        )
        note = str(data.get("note") or "").strip()
        return f"{text} Note: {note}" if note else text
    if kind == IncidentEvent.Kind.SEVERITY_CHANGED:
        return (
            f"Severity changed from {_severity_words(data.get('from'))} "
            f"to {_severity_words(data.get('to'))}."
        )
    if kind == IncidentEvent.Kind.ASSIGNED:
        if data.get("assignee_id"):
            return f"Assigned to a person at {supplier.name}."
        return "No longer assigned to anybody."
    if kind == IncidentEvent.Kind.RESPONSE:
        if data.get("visibility") == Response.Visibility.ORGANIZATION:
            return f"{supplier.name} answered your organization privately."
        return f"{supplier.name} answered publicly."
    if kind == IncidentEvent.Kind.ACTION_RECORDED:
        fields = [EIGHT_D_WORDS.get(name, "an action") for name in data.get("fields", [])]
        return f"{supplier.name} recorded its {', '.join(fields) or '8D answer'}."
    return event.get_kind_display() + "."


# --- Pages ----------------------------------------------------------------------------------------


@buyer_required
def buyer_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    user = request.user
    context = {
        "organization": membership.organization,
        "reports": _page(
            request, selectors.organization_reports_with_incidents(user=user), "reports", 10
        ),
        "follows": _page(request, selectors.followed_incidents(user=user), "following", 10),
        "top_suppliers": selectors.suppliers_most_open_incidents(user=user, limit=10),
        "incidents": selectors.incident_list(user=user).open()[:10],
    }
    return render(request, "buyer/home.html", context)


@buyer_required
@require_http_methods(["GET", "POST"])
def report_problem(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization_id = membership.organization_id
    if request.method != "POST":
        initial = {"token": uuid.uuid4()}
        # "Report a problem" on a supplier's page comes with that supplier chosen.
        supplier = Supplier.objects.filter(slug=request.GET.get("supplier", "")).first()
        if supplier is not None:
            initial.update(supplier=supplier.pk, supplier_query=supplier.name)
        form = ReportForm(initial=initial, organization_id=organization_id)
        return _render_report(request, form)

    form = ReportForm(request.POST, request.FILES, organization_id=organization_id)
    if form.is_valid():
        external_id = f"web-{form.cleaned_data['token'].hex}"
        post = selectors.report_by_external_id(user=request.user, external_id=external_id)
        if post is None:
            try:
                post = services.post_report_with_attachments(
                    author=request.user, external_id=external_id, **form.report_arguments()
                )
            except ApplicationError as error:
                form.add_application_error(error)
            except IntegrityError:
                # The same form sent twice at once: the other request saved it.
                post = selectors.report_by_external_id(user=request.user, external_id=external_id)
                if post is None:
                    raise
        if post is not None:
            return _after_report(request, post)
    return _render_report(request, form, status=400)


def _render_report(request: HttpRequest, form: ReportForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "supplier_names": selectors.supplier_names()}
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
def supplier_choices(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The search-as-you-type results of the report form (an htmx fragment)."""
    query = request.GET.get("supplier_query", request.GET.get("q", ""))[:200]
    suppliers = selectors.supplier_choices(query=query, organization_id=membership.organization_id)
    return render(
        request,
        "buyer/_supplier_choices.html",
        {"suppliers": suppliers, "query": query.strip()},
    )


@buyer_or_operator_required
@require_GET
def incident_detail(request: HttpRequest, membership: Membership | None, pk: int) -> HttpResponse:
    user = request.user
    incident = get_object_or_404(selectors.incident_list(user=user), pk=pk)
    responses = list(selectors.incident_responses(user=user, incident=incident))
    evidence = _page(request, selectors.incident_evidence(user=user, incident=incident), "evidence")
    timeline = _page(
        request,
        selectors.incident_timeline(
            incident=incident, response_ids=[response.pk for response in responses]
        ),
        "history",
    )
    private_reports = selectors.incident_private_reports(user=user, incident=incident)
    follow = selectors.follow_of(user=user, incident=incident)
    if follow is not None:
        services.follow_mark_seen(user=user, incident=incident)
    context = {
        "incident": incident,
        "membership": membership,
        "reports_total": incident.post_count + private_reports,
        "private_reports": private_reports,
        "chart": _incident_chart(
            incident, selectors.incident_evidence_per_day(user=user, incident=incident)
        ),
        "evidence": evidence,
        "evidence_rows": [_evidence_row(post, user) for post in evidence],
        "responses": responses,
        "eight_d": [
            (words.capitalize(), getattr(incident, name))
            for name, words in EIGHT_D_WORDS.items()
            if getattr(incident, name)
        ],
        "timeline": timeline,
        "timeline_rows": [(event, _describe_event(event, incident.supplier)) for event in timeline],
        "following": follow is not None,
    }
    return render(request, "incidents/detail.html", context)


@buyer_or_operator_required
@require_POST
def incident_follow(request: HttpRequest, membership: Membership | None, pk: int) -> HttpResponse:
    """Follow or unfollow (`action`); htmx swaps the button, a plain form comes back to the page."""
    incident = get_object_or_404(selectors.incident_list(user=request.user), pk=pk)
    following = request.POST.get("action") != "unfollow"
    if following:
        services.incident_follow(user=request.user, incident=incident)
    else:
        services.incident_unfollow(user=request.user, incident=incident)
    if request.htmx:
        return render(
            request, "incidents/_follow.html", {"incident": incident, "following": following}
        )
    messages.success(
        request,
        "You follow this incident." if following else "You no longer follow this incident.",
    )
    return redirect("incident-detail", pk=incident.pk)


@buyer_or_operator_required
@require_GET
def supplier_detail(request: HttpRequest, membership: Membership | None, slug: str) -> HttpResponse:
    user = request.user
    organization_id = membership.organization_id if membership else None
    supplier = get_object_or_404(
        Supplier.objects.prefetch_related(
            "aliases",
            Prefetch(
                "vendor_codes",
                queryset=VendorCode.objects.filter(organization_id=organization_id),
                to_attr="my_codes",
            ),
        ),
        slug=slug,
    )
    incidents = selectors.supplier_incidents(user=user, supplier=supplier)
    now = timezone.now()
    since = _trend_start(now)
    per_day = selectors.supplier_complaints_per_day(user=user, supplier=supplier, since=since)
    context = {
        "supplier": supplier,
        "open_incidents": _page(request, incidents.open(), "open"),
        "recent_incidents": incidents.exclude(status__in=Incident.OPEN_STATUSES)[:10],
        "categories": selectors.supplier_category_breakdown(user=user, supplier=supplier),
        "trend": BarChart(
            "Complaints per week",
            "complaints",
            weekly_points(per_day, since.date(), timezone.localdate(now)),
            period="week",
            unit_one="complaint",
        ),
        "aliases": _aliases_by_kind(supplier.aliases.all()),
    }
    return render(request, "incidents/supplier.html", context)


def _aliases_by_kind(aliases: Iterable[SupplierAlias]) -> list[tuple[str, list[str]]]:
    """[(kind, texts)] in the order of SupplierAlias.Kind: names first, then aliases, handles..."""
    grouped: dict[str, list[str]] = {}
    for alias in sorted(aliases, key=lambda a: (KIND_ORDER.get(a.kind, 99), a.text.lower())):
        grouped.setdefault(alias.get_kind_display(), []).append(alias.text)
    return list(grouped.items())


KIND_ORDER = {kind: position for position, kind in enumerate(SupplierAlias.Kind.values)}


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A report's photo or document, for whoever may read the report; 404 for everybody else."""
    attachment: Attachment | None = selectors.attachment_for(user=request.user, attachment_id=pk)
    if attachment is None:
        raise Http404("No such attachment.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404("No such attachment.") from missing
    inline = attachment.content_type in INLINE_TYPES
    extension = attachment.file.name.rsplit(".", 1)[-1] if "." in attachment.file.name else "bin"
    filename = (
        attachment.original_name
        if attachment.post.reveals_identity_to(request.user)
        else f"attachment-{attachment.pk}.{extension}"
    )
    response = FileResponse(
        handle,
        content_type=attachment.content_type,
        as_attachment=not inline,
        filename=filename,
    )
    # Never let a browser guess a type or run anything from an uploaded file.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
