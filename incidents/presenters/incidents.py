"""An incident as one viewer may see it: the one representation that the pages, the API, the CSV
export and the webhooks show, and the supplier's answers as that viewer may read them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, overload

from django.conf import settings
from django.utils import timezone

from supplierwatch.viewers import Viewer

from ..models import (
    Category,
    Discipline,
    Incident,
    IncidentEvent,
    Post,
    Reply,
    Response,
    Severity,
    recorded_steps,
    to_the_hour,
)
from .events import discipline_name, event_data, event_time
from .evidence import Party, Person, person_view


@dataclass(frozen=True)
class Counters:
    """How widespread the incident is, counting only evidence this viewer may count.

    Plain counts are sums, which tell nobody who reported what, so every viewer gets them. A
    distinct count (of organizations, of authors) is only ever taken over evidence whose
    reporters are all known to the viewer or all hidden from it: one figure over both would tell a
    supplier that an anonymous report came from an organization that also reported by name
    (DESIGN.md, "Anonymity must survive arithmetic"). None: not for this viewer.
    """

    posts: int
    public_posts: int
    # Distinct authors of the public posts (their handles are public).
    public_authors: int
    named_reports: int
    anonymous_reports: int
    # Organizations that reported by name: the supplier's staff (who see them) and operators.
    named_organizations: int | None
    # Buyer organizations other than the viewer's own, named or anonymous: buyers (for whom all
    # of them are hidden) and operators (all organizations: they belong to none).
    other_organizations: int | None
    # A buyer's own reports in the incident, its private ones included.
    own_posts: int | None


@dataclass(frozen=True)
class OwnReports:
    """A buyer organization's reports in one incident."""

    count: int  # private ones included
    # Whether some of them are counted for everyone (anonymous or named), so that the stored
    # organization count includes the viewer's own organization.
    shared: bool


def own_reports(incident: Incident) -> OwnReports | None:
    """The viewer's organization's reports in the incident, from `own_reports` that
    selectors.incident_list loads for a buyer; None for anyone else."""
    matches = getattr(incident, "own_reports", None)
    if matches is None:
        return None
    return OwnReports(
        count=len(matches),
        shared=any(m.post_visibility != Post.Visibility.PRIVATE for m in matches),
    )


def counters_for(incident: Incident, viewer: Viewer) -> Counters:
    """The incident's stored counters (services.incidents_recount) as this viewer may see them.
    For a buyer, the selectors load its organization's own reports in it (own_reports)."""
    named_organizations = other_organizations = own_posts = None
    if viewer.is_operator:
        named_organizations = incident.named_organization_count
        other_organizations = incident.organization_count
    elif viewer.is_supplier_staff:
        named_organizations = incident.named_organization_count
    elif viewer.is_buyer:
        own = own_reports(incident)
        if own is not None:
            own_posts = own.count
            other_organizations = incident.organization_count - (1 if own.shared else 0)
    reports = incident.post_count - incident.public_post_count
    return Counters(
        posts=incident.post_count,
        public_posts=incident.public_post_count,
        public_authors=incident.public_author_count,
        named_reports=incident.named_post_count,
        anonymous_reports=reports - incident.named_post_count,
        named_organizations=named_organizations,
        other_organizations=other_organizations,
        own_posts=own_posts,
    )


@dataclass(frozen=True)
class DisciplineView:
    """One discipline of the 8D as a viewer sees it: every viewer of the incident reads its text
    and progress; its owner is named to the supplier's own staff (and operators) only."""

    discipline: str
    label: str
    text: str
    owner: Person | None
    # Whether somebody owns it: everyone may know that the work has an owner, not who.
    owned: bool
    due_on: date | None
    done_on: date | None
    overdue: bool

    @property
    def number(self) -> int:
        return int(self.discipline[1:])

    @property
    def name(self) -> str:
        """As every channel names it: "D4 Root cause"."""
        return discipline_name(self.discipline)

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    @property
    def started(self) -> bool:
        return bool(self.text) or self.owned or self.due_on is not None or self.is_done

    @property
    def state(self) -> str:
        """Its progress in a word: done, overdue, started or not started."""
        if self.is_done:
            return "done"
        if self.overdue:
            return "overdue"
        return "started" if self.started else "not started"


def disciplines_for(incident: Incident, viewer: Viewer, today: date) -> list[DisciplineView]:
    """The eight disciplines in order, those never recorded as not started. Reads
    recorded_steps(incident), which the selectors prefetch with their owners."""
    steps = recorded_steps(incident)
    if not steps:
        return list(_NOT_STARTED.values())
    recorded = {step.discipline: step for step in steps}
    shows_owner = viewer.sees_supplier_side
    views = []
    for value, not_started in _NOT_STARTED.items():
        step = recorded.get(value)
        if step is None:
            views.append(not_started)
            continue
        owner = step.owner
        views.append(
            DisciplineView(
                discipline=value,
                label=not_started.label,
                text=step.text,
                owner=person_view(owner) if owner and shows_owner else None,
                owned=owner is not None,
                due_on=step.due_on,
                done_on=step.done_on,
                overdue=step.is_overdue(today),
            )
        )
    return views


# A discipline never recorded looks the same in every incident and to every viewer: a list of
# incidents shares these (the views are frozen).
_NOT_STARTED = {
    value: DisciplineView(
        discipline=value,
        label=label,
        text="",
        owner=None,
        owned=False,
        due_on=None,
        done_on=None,
        overdue=False,
    )
    for value, label in Discipline.choices
}


class DuePromise(NamedTuple):
    label: str
    due_at: datetime
    late: bool


@dataclass(frozen=True)
class IncidentView:
    id: int
    title: str
    status: str
    severity: int
    category: Category | None
    supplier: Party
    # The viewer's organization's vendor code for the supplier (buyers only).
    vendor_code: str | None
    sku: str
    lot: str
    counters: Counters
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    last_activity_at: datetime
    created_at: datetime
    updated_at: datetime
    acknowledge_due_at: datetime | None
    resolve_due_at: datetime | None
    # Since when the incident waits on a buyer's answer, its SLA clocks paused (None: running).
    sla_paused_at: datetime | None
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    # How long the first answer and the resolution took from the SLA clock's start (the scorecard's).
    time_to_first_answer: timedelta | None
    time_to_resolution: timedelta | None
    # Whether first/last seen, created, updated and last activity are to the hour (the pages say so).
    times_to_the_hour: bool
    # The colleague in charge: the supplier's own staff (and operators) only.
    assignee: Person | None
    eight_d: list[DisciplineView]
    acknowledge_overdue: bool
    resolve_overdue: bool

    @property
    def status_label(self) -> str:
        return Incident.Status(self.status).label

    @property
    def overdue(self) -> bool:
        """Open and past a promise (Incident.is_overdue)."""
        return self.acknowledge_overdue or self.resolve_overdue

    @property
    def waiting_on_buyer(self) -> bool:
        return self.sla_paused_at is not None

    @property
    def next_promise(self) -> DuePromise | None:
        """What an open incident waits on, as the lists show it: its first answer until it is
        given, then its resolution; None once it is resolved or closed."""
        if self.status not in Incident.OPEN_STATUSES:
            return None
        if self.acknowledged_at is None and self.acknowledge_due_at is not None:
            return DuePromise("First answer", self.acknowledge_due_at, self.acknowledge_overdue)
        if self.resolve_due_at is not None:
            return DuePromise("Resolution", self.resolve_due_at, self.resolve_overdue)
        return None

    @property
    def seconds_to_first_answer(self) -> int | None:
        return _seconds(self.time_to_first_answer)

    @property
    def seconds_to_resolution(self) -> int | None:
        return _seconds(self.time_to_resolution)

    @property
    def severity_label(self) -> str:
        return Severity(self.severity).label

    @property
    def severity_name(self) -> str:
        return Severity(self.severity).slug

    @property
    def api_url(self) -> str:
        return f"{settings.SITE_URL}/api/v1/incidents/{self.id}/"

    @property
    def eight_d_started(self) -> bool:
        return any(step.started for step in self.eight_d)

    @property
    def eight_d_done(self) -> int:
        """How many of the eight disciplines are done."""
        return sum(step.is_done for step in self.eight_d)

    @property
    def eight_d_overdue(self) -> int:
        return sum(step.overdue for step in self.eight_d)


def _seconds(duration: timedelta | None) -> int | None:
    return None if duration is None else int(duration.total_seconds())


@dataclass(frozen=True)
class EventRecord:
    """An event as it leaves the product (API timelines): its data is presenters.event_data."""

    kind: str
    created_at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class IncidentDetailView(IncidentView):
    """The incident with its timeline (oldest first) and the answers the viewer may read."""

    timeline: list[EventRecord] = field(default_factory=list)
    responses: list[AnswerView] = field(default_factory=list)


def incident_view(
    incident: Incident, viewer: Viewer, *, now: datetime | None = None
) -> IncidentView:
    """The incident for this viewer. The selectors annotate or load what depends on the viewer's
    party (`vendor_code`, `own_reports`); supplier, category and assignee are selected with it."""
    return IncidentView(**_incident_fields(incident, viewer, now or timezone.now()))


def incident_detail_view(
    incident: Incident,
    viewer: Viewer,
    *,
    events: list[IncidentEvent],
    answers: list[Response],
) -> IncidentDetailView:
    """incident_view with `events` (selectors.incident_timeline: newest first) and `answers`
    (selectors.incident_answers), each as this viewer may see it; the timeline reads oldest first."""
    return IncidentDetailView(
        **_incident_fields(incident, viewer, timezone.now()),
        timeline=[
            EventRecord(event.kind, event_time(event, viewer), event_data(event, viewer))
            for event in reversed(events)
        ],
        responses=[answer_view(response, viewer) for response in answers],
    )


@overload
def _shown(moment: datetime, exact: bool) -> datetime: ...
@overload
def _shown(moment: None, exact: bool) -> None: ...
def _shown(moment: datetime | None, exact: bool) -> datetime | None:
    """An incident time that evidence moves, exact or to the hour (Incident.shows_exact_times_to)."""
    if moment is None or exact:
        return moment
    return to_the_hour(moment)


def _incident_fields(incident: Incident, viewer: Viewer, now: datetime) -> dict[str, Any]:
    # First and last seen are its evidence's times; created, updated and last activity are moved
    # by evidence too (Incident.EVIDENCE_MOVED_TIMES). The due times count from a whole hour
    # (Incident.sla_clock_start); the supplier's own actions' times date only its work.
    exact = Incident.shows_exact_times_to(viewer)
    return dict(
        id=incident.pk,
        title=incident.title,
        status=incident.status,
        severity=incident.severity,
        category=incident.category,
        supplier=Party(incident.supplier.slug, incident.supplier.name),
        vendor_code=getattr(incident, "vendor_code", None) if viewer.is_buyer else None,
        sku=incident.sku,
        lot=incident.lot,
        counters=counters_for(incident, viewer),
        first_seen_at=_shown(incident.first_seen_at, exact),
        last_seen_at=_shown(incident.last_seen_at, exact),
        last_activity_at=_shown(incident.last_activity_at, exact),
        created_at=_shown(incident.created_at, exact),
        updated_at=_shown(incident.updated_at, exact),
        acknowledge_due_at=incident.acknowledge_due_at,
        resolve_due_at=incident.resolve_due_at,
        sla_paused_at=incident.sla_paused_at,
        acknowledged_at=incident.acknowledged_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        reopened_count=incident.reopened_count,
        time_to_first_answer=incident.time_to_first_answer,
        time_to_resolution=incident.time_to_resolution,
        times_to_the_hour=not exact,
        assignee=person_view(incident.assignee) if viewer.sees_supplier_side else None,
        eight_d=disciplines_for(incident, viewer, timezone.localdate(now)),
        acknowledge_overdue=incident.acknowledge_overdue(now),
        resolve_overdue=incident.resolve_overdue(now),
    )


@dataclass(frozen=True)
class AnswerView:
    id: int
    body: str
    visibility: str
    # The one organization a private answer went to (that organization, or the supplier, reads it).
    organization: Party | None
    # Who wrote it: the supplier's own staff (and operators) only; buyers hear from the supplier.
    author: Person | None
    created_at: datetime
    # It asks the buyers a question (the incident waited on them from then).
    waits_for_buyer: bool = False

    @property
    def is_public(self) -> bool:
        return self.visibility == Response.Visibility.PUBLIC


def answer_view(response: Response, viewer: Viewer) -> AnswerView:
    """An answer the viewer may read (Response.objects.visible_to decided that)."""
    organization = response.organization
    return AnswerView(
        id=response.pk,
        body=response.body,
        visibility=response.visibility,
        organization=Party(organization.slug, organization.name) if organization else None,
        author=person_view(response.author) if viewer.sees_supplier_side else None,
        created_at=response.created_at,
        waits_for_buyer=response.waits_for_buyer,
    )


@dataclass(frozen=True)
class ReplyView:
    id: int
    body: str
    # Which organization replied: its own members and operators always; the supplier only when
    # the organization reported by name (Reply.named). An anonymous reporter stays anonymous.
    organization: Party | None
    # Who wrote it: its own organization and operators only.
    author: Person | None
    created_at: datetime
    is_own: bool


def reply_view(reply: Reply, viewer: Viewer) -> ReplyView:
    """A reply the viewer may read (Reply.objects.visible_to decided that)."""
    own = viewer.is_buyer and reply.organization_id == viewer.organization_id
    organization = reply.organization
    shows_organization = own or viewer.is_operator or (viewer.is_supplier_staff and reply.named)
    return ReplyView(
        id=reply.pk,
        body=reply.body,
        organization=Party(organization.slug, organization.name) if shows_organization else None,
        author=person_view(reply.author) if own or viewer.is_operator else None,
        created_at=reply.created_at,
        is_own=own,
    )
