"""Supplier portal pages: /portal/ (dashboard), /portal/incidents/ (list), one incident, its actions.

Every read goes through a selector that starts from a `visible_to` QuerySet; every action POSTs one
form, calls one lifecycle service and so leaves an IncidentEvent. Who may act: responders and admins;
viewers only read. Another supplier's incident is a 404, the same as a missing one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from suppliers.models import Membership, User
from supplierwatch.errors import ApplicationError

from .. import selectors, services
from ..charts import BarChart
from ..models import Attachment, Incident, IncidentEvent, Post, Severity
from ..portal_forms import (
    AssignForm,
    EightDForm,
    EmptyActionForm,
    IncidentFilterForm,
    ResolveForm,
    RespondForm,
    SeverityForm,
)
from .common import supplier_staff_required

INCIDENTS_PER_PAGE = 25
EVIDENCE_PER_PAGE = 20
TIMELINE_LIMIT = 100
ACTING_ROLES = (Membership.Role.RESPONDER, Membership.Role.ADMIN)


def can_act(membership: Membership) -> bool:
    return membership.role in ACTING_ROLES


# --- Dashboard ----------------------------------------------------------------------------------


@supplier_staff_required
def portal_home(request: HttpRequest, membership: Membership) -> HttpResponse:
    overview = selectors.portal_overview(user=request.user)
    context = {
        "supplier": membership.supplier,
        "membership": membership,
        "overview": overview,
        "open_count": overview.open_total,
        "chart": BarChart(
            title=f"Complaints per day over the last {len(overview.per_day)} days",
            unit="complaints",
            points=[(point.day.isoformat(), point.count) for point in overview.per_day],
        ),
        "now": timezone.now(),
    }
    return render(request, "portal/home.html", context)


# --- Incident list ------------------------------------------------------------------------------


@supplier_staff_required
def incident_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = IncidentFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # invalid fields are shown with their error and left out of the filter
    incidents = selectors.portal_incident_search(user=request.user, **form.search_arguments())
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "supplier": membership.supplier,
        "membership": membership,
        "form": form,
        "page": page,
        "now": timezone.now(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "portal/_incident_results.html", context)
    return render(request, "portal/incident_list.html", context)


# --- One incident -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttachmentView:
    name: str
    content_type: str
    size: int
    url: str


@dataclass(frozen=True)
class EvidenceView:
    """What the portal shows of one post. Built here so that the template never holds a Post and
    so cannot reach its author or organization when the post's visibility hides them."""

    kind: str  # "buyer" or "public"
    visibility: str
    identified: bool
    text: str
    published_at: object
    source: str = ""
    category: str = ""
    severity: str = ""
    sku: str = ""
    lot: str = ""
    quantity: int | None = None
    po_number: str = ""
    reporter: str = ""
    organization: str = ""
    handle: str = ""
    url: str = ""
    attachments: list[AttachmentView] = field(default_factory=list)
    # Public posts only (their authors are public): the label-correction form needs the post.
    public_post: Post | None = None


def _safe_link(url: str) -> str:
    """Only http(s) links are rendered: a javascript: or data: URL is dropped, not escaped."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""


def _attachment_url(attachment: Attachment) -> str:
    return reverse("attachment-download", args=[attachment.pk])


def evidence_view(post: Post, user: User) -> EvidenceView:
    if not post.is_buyer_post:
        return EvidenceView(
            kind="public",
            visibility="public",
            identified=True,
            text=post.text,
            published_at=post.published_at,
            source=post.source,
            handle=post.author_handle,
            url=_safe_link(post.url),
            public_post=post,
        )
    identified = post.reveals_identity_to(user)
    attachments = [
        AttachmentView(
            # A file's name can carry its uploader's name or company; anonymous ones go unnamed.
            name=a.original_name if identified else f"Attachment {n}",
            content_type=a.content_type,
            size=a.size,
            url=_attachment_url(a),
        )
        for n, a in enumerate(post.attachments.all(), start=1)
    ]
    return EvidenceView(
        kind="buyer",
        visibility=post.visibility,
        identified=identified,
        text=post.text,
        published_at=post.published_at,
        category=post.category.name if post.category else "",
        severity=post.get_severity_display() if post.severity else "",
        sku=post.sku,
        lot=post.lot,
        quantity=post.quantity_affected,
        # The supplier can look a PO number up in its own order book: it names the buyer.
        po_number=post.po_number if identified else "",
        reporter=(post.author.display_name if post.author else "") if identified else "",
        organization=(post.organization.name if post.organization else "") if identified else "",
        attachments=attachments,
    )


@dataclass(frozen=True)
class TimelineEntry:
    when: object
    kind: str
    text: str
    actor: str
    note: str = ""


def _status_label(value: str) -> str:
    try:
        return Incident.Status(value).label
    except ValueError:
        return str(value)


def _severity_label(value: object) -> str:
    try:
        return Severity(int(value)).label
    except (TypeError, ValueError):
        return str(value)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


EIGHT_D_LABELS = {
    "containment": "containment",
    "root_cause": "root cause",
    "corrective_action": "corrective action",
    "preventive_action": "preventive action",
    "verification": "verification",
}


def describe_event(event: IncidentEvent) -> tuple[str, str]:
    """(sentence, note) in plain words; only whitelisted fields of `data` are ever read."""
    data = event.data or {}
    kind = event.kind
    Kind = IncidentEvent.Kind
    if kind == Kind.CREATED:
        return "Incident opened from new evidence.", ""
    if kind == Kind.POST_ADDED:
        posts = int(data.get("posts") or 0)
        public = int(data.get("public_posts") or 0)
        text = f"{_plural(posts, 'new report')} added"
        if public:
            text += f" ({_plural(public, 'public post')})"
        return text + ".", ""
    if kind == Kind.REOPENED:
        return "Reopened: new evidence arrived after it was resolved.", ""
    if kind == Kind.SPIKE:
        recent = data.get("complaints_last_hour")
        expected = data.get("expected")
        return (
            f"Spike: {recent} complaints in an hour, about {expected} expected.",
            "",
        )
    if kind == Kind.STATUS_CHANGED:
        return (
            f"Status changed from {_status_label(data.get('from'))} to "
            f"{_status_label(data.get('to'))}.",
            str(data.get("note") or ""),
        )
    if kind == Kind.SEVERITY_CHANGED:
        reason = {"report": " by a new report", "spike": " by a spike"}.get(data.get("by"), "")
        return (
            f"Severity changed from {_severity_label(data.get('from'))} to "
            f"{_severity_label(data.get('to'))}{reason}.",
            "",
        )
    if kind == Kind.ASSIGNED:
        assignee = data.get("assignee")
        return (f"Assigned to {assignee}." if assignee else "Unassigned."), ""
    if kind == Kind.RESPONSE:
        if data.get("visibility") == "organization":
            return "Answered privately to one reporting organization.", ""
        return "Answered publicly.", ""
    if kind == Kind.ACTION_RECORDED:
        names = [EIGHT_D_LABELS.get(name, "") for name in data.get("fields") or []]
        return "8D updated: " + ", ".join(n for n in names if n) + ".", ""
    return event.get_kind_display() + ".", ""


def _actor_name(event: IncidentEvent, supplier_id: int) -> str:
    """Colleagues are named; the pipeline and operators are not people the supplier knows."""
    actor = event.actor
    if actor is None:
        return "supplierwatch" if event.kind != IncidentEvent.Kind.SPIKE else "spike detection"
    party = actor.party
    if party is not None and party.supplier_id == supplier_id:
        return actor.display_name
    if actor.is_staff:
        return "supplierwatch operator"
    return "a former colleague" if party is None else "someone outside your team"


def timeline_view(events: Sequence[IncidentEvent], supplier_id: int) -> list[TimelineEntry]:
    entries = []
    for event in events:
        text, note = describe_event(event)
        entries.append(
            TimelineEntry(
                when=event.created_at,
                kind=event.kind,
                text=text,
                actor=_actor_name(event, supplier_id),
                note=note,
            )
        )
    return entries


# --- Actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing staff do with an incident: a form, the one service it calls, when it is offered."""

    form_class: type[forms.Form]
    perform: Callable[[User, Incident, dict], object]
    done: str
    offered: Callable[[Incident], bool]
    anchor: str = "actions"


def _colleagues(membership: Membership):
    return User.objects.filter(
        membership__supplier_id=membership.supplier_id, is_service_account=False
    ).order_by("first_name", "last_name", "email")


ACTIONS: dict[str, Action] = {
    "acknowledge": Action(
        form_class=EmptyActionForm,
        perform=lambda user, incident, data: services.incident_acknowledge(
            incident=incident, actor=user
        ),
        done="Incident acknowledged.",
        offered=lambda i: i.status in (Incident.Status.NEW, Incident.Status.REOPENED),
    ),
    "investigate": Action(
        form_class=EmptyActionForm,
        perform=lambda user, incident, data: services.incident_start_investigation(
            incident=incident, actor=user
        ),
        done="Investigation started.",
        offered=lambda i: i.is_open and i.status != Incident.Status.INVESTIGATING,
    ),
    "assign": Action(
        form_class=AssignForm,
        perform=lambda user, incident, data: services.incident_assign(
            incident=incident, actor=user, assignee=data["assignee"]
        ),
        done="Assignment saved.",
        offered=lambda i: i.is_open,
    ),
    "respond": Action(
        form_class=RespondForm,
        perform=lambda user, incident, data: services.incident_respond(
            incident=incident,
            author=user,
            body=data["body"],
            organization=data.get("organization"),
        ),
        done="Answer sent.",
        offered=lambda i: i.status != Incident.Status.CLOSED,
        anchor="answers",
    ),
    "8d": Action(
        form_class=EightDForm,
        perform=lambda user, incident, data: services.incident_record_actions(
            incident=incident, actor=user, **data
        ),
        done="8D actions saved.",
        offered=lambda i: True,
        anchor="eight-d",
    ),
    "severity": Action(
        form_class=SeverityForm,
        perform=lambda user, incident, data: services.incident_set_severity(
            incident=incident, actor=user, severity=data["severity"]
        ),
        done="Severity saved.",
        offered=lambda i: i.is_open,
    ),
    "resolve": Action(
        form_class=ResolveForm,
        perform=lambda user, incident, data: services.incident_resolve(
            incident=incident, actor=user, note=data["note"]
        ),
        done="Incident resolved.",
        offered=lambda i: i.is_open,
    ),
    "close": Action(
        form_class=EmptyActionForm,
        perform=lambda user, incident, data: services.incident_close(incident=incident, actor=user),
        done="Incident closed.",
        offered=lambda i: i.status == Incident.Status.RESOLVED,
    ),
}


def _form_kwargs(name: str, membership: Membership, incident: Incident, request: HttpRequest):
    if name == "assign":
        return {
            "colleagues": _colleagues(membership),
            "initial": {"assignee": incident.assignee_id},
        }
    if name == "respond":
        organizations = selectors.incident_named_organizations(user=request.user, incident=incident)
        return {"organizations": organizations}
    if name == "8d":
        return {"initial": {f: getattr(incident, f) for f in EightDForm.base_fields}}
    if name == "severity":
        return {"initial": {"severity": incident.severity}}
    return {}


def _build_form(
    name: str, membership: Membership, incident: Incident, request: HttpRequest, data=None
) -> forms.Form:
    kwargs = _form_kwargs(name, membership, incident, request)
    if data is not None:
        kwargs.pop("initial", None)
        form = ACTIONS[name].form_class(data, **kwargs)
    else:
        form = ACTIONS[name].form_class(**kwargs)
    # Without a named reporter there is nobody to answer privately: the choice is not shown.
    if name == "respond" and not form.fields["organization"].queryset.exists():
        form.fields["organization"].widget = forms.HiddenInput()
    return form


def _incident_for(request: HttpRequest, pk: int) -> Incident:
    """The incident if this person's supplier may see it; a 404 otherwise, as for a missing id."""
    return get_object_or_404(selectors.incident_list(user=request.user), pk=pk)


def _render_incident(
    request: HttpRequest,
    membership: Membership,
    incident: Incident,
    *,
    failed: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    evidence_page = Paginator(
        selectors.incident_evidence(user=user, incident=incident), EVIDENCE_PER_PAGE
    ).get_page(request.GET.get("page"))
    acting = can_act(membership)
    action_forms: dict[str, forms.Form] = {}
    if acting:
        for name, action in ACTIONS.items():
            if failed and failed[0] == name:
                action_forms[name] = failed[1]
            elif action.offered(incident):
                action_forms[name] = _build_form(name, membership, incident, request)
    timeline = selectors.portal_incident_timeline(incident=incident, limit=TIMELINE_LIMIT)
    context = {
        "supplier": membership.supplier,
        "membership": membership,
        "incident": incident,
        "failed_action": failed[0] if failed else "",
        "can_act": acting,
        "forms": action_forms,
        "evidence_page": evidence_page,
        "evidence": [evidence_view(post, user) for post in evidence_page.object_list],
        "answers": selectors.incident_answers(user=user, incident=incident),
        "timeline": timeline_view(timeline, incident.supplier_id),
        "timeline_truncated": len(timeline) == TIMELINE_LIMIT,
        "acknowledge_overdue": incident.is_open
        and incident.acknowledged_at is None
        and incident.acknowledge_due_at is not None
        and incident.acknowledge_due_at < now,
        "resolve_overdue": incident.is_open
        and incident.resolve_due_at is not None
        and incident.resolve_due_at < now,
        "eight_d": [
            (label.capitalize(), getattr(incident, name)) for name, label in EIGHT_D_LABELS.items()
        ],
    }
    return render(request, "portal/incident_detail.html", context, status=status)


@supplier_staff_required
def incident_detail(request: HttpRequest, membership: Membership, pk: int) -> HttpResponse:
    incident = _incident_for(request, pk)
    return _render_incident(request, membership, incident)


@require_POST
@supplier_staff_required
def incident_action(
    request: HttpRequest, membership: Membership, pk: int, action: str
) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404("No such action.")
    incident = _incident_for(request, pk)
    if not can_act(membership):
        raise PermissionDenied("Viewers can read incidents but not act on them.")
    form = _build_form(action, membership, incident, request, data=request.POST)
    if form.is_valid():
        try:
            ACTIONS[action].perform(request.user, incident, form.cleaned_data)
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, ACTIONS[action].done)
            url = reverse("portal-incident", args=[incident.pk])
            return redirect(f"{url}#{ACTIONS[action].anchor}")
    # Re-render the page with the form as typed and its errors, so nothing typed is lost.
    return _render_incident(request, membership, incident, failed=(action, form), status=400)
