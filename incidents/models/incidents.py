"""Incidents: evidence grouped into one problem of one supplier, its lifecycle and SLA, the
supplier's answers, the timeline (also the outbox of webhooks and notifications), and follows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce

from suppliers.models import Organization, Supplier
from supplierwatch.viewers import viewer_of

from .evidence import Category, PostMatch
from .sla import SlaClock
from .values import SearchDocument, Severity, hour_of

if TYPE_CHECKING:
    from .values import Who

# The statuses of an incident that is still being worked on (Incident.Status's values).
OPEN_STATUSES = ("new", "acknowledged", "investigating", "reopened")


def overdue_condition(now: datetime) -> Q:
    """Open incidents past a promise: not acknowledged in time, or not resolved in time.
    The query's twin of Incident.is_overdue."""
    late = Q(acknowledged_at__isnull=True, acknowledge_due_at__lt=now) | Q(resolve_due_at__lt=now)
    # While the incident waits on a buyer its clocks stand still: nothing comes due.
    return Q(status__in=OPEN_STATUSES, sla_paused_at__isnull=True) & late


class IncidentQuerySet(models.QuerySet["Incident"]):
    def visible_to(self, who: Who) -> IncidentQuerySet:
        """Suppliers see their own incidents; buyers see every incident with evidence they may count.

        The stored counters hold only shareable evidence (private reports excluded), so an incident
        made of nothing but one organization's private reports exists only for that organization.
        """
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_buyer:
            organization_id = viewer.organization_id
            assert organization_id is not None  # a buyer always has their organization
            own_evidence = Exists(
                PostMatch.objects.filter(
                    incident=OuterRef("pk"), post_organization_id=organization_id
                )
            )
            return self.filter(Q(post_count__gt=0) | own_evidence)
        if viewer.is_supplier_staff:
            return self.filter(supplier_id=viewer.supplier_id, post_count__gt=0)
        return self.none()

    def with_shown_times(self, who: Who) -> IncidentQuerySet:
        """Each incident with `shown_created_at`, `shown_updated_at` and `shown_last_activity_at`:
        those times as this viewer is shown them (to the hour unless Incident.shows_exact_times_to
        it; the presenters date them the same), so lists ordered and paged by them tell no more
        than the times do."""
        exact = Incident.shows_exact_times_to(who)
        return self.annotate(
            **{
                f"shown_{name}": F(name) if exact else hour_of(name)
                for name in Incident.EVIDENCE_MOVED_TIMES
            }
        )

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def with_eight_d(self) -> IncidentQuerySet:
        """Each incident with its 8D disciplines and their owners, in one more query for the
        whole list (the presenters show them in every representation of an incident)."""
        from .eightd import eight_d_prefetch  # it refers to Incident: imported when both exist

        return self.prefetch_related(eight_d_prefetch())

    def overdue(self, now: datetime) -> IncidentQuerySet:
        return self.filter(overdue_condition(now))


class Incident(SlaClock, models.Model):
    """One problem of one supplier in one stretch of time: buyer reports naming a lot or SKU grouped
    by fingerprint (supplier + category + lot or SKU), other evidence by what it says and when
    (incidents/problems.py; such an incident's fingerprint is its own)."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        INVESTIGATING = "investigating", "Investigating"
        REOPENED = "reopened", "Reopened"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"

    OPEN_STATUSES = OPEN_STATUSES

    class Action(models.TextChoices):
        """What a supplier's staff (or an operator) do with an incident; each is one service."""

        ACKNOWLEDGE = "acknowledge", "Acknowledge"
        INVESTIGATE = "investigate", "Start investigation"
        ASSIGN = "assign", "Assign"
        RESPOND = "respond", "Answer"
        RECORD_8D = "8d", "Update the 8D"
        SET_SEVERITY = "severity", "Set severity"
        RESOLVE = "resolve", "Resolve"
        CLOSE = "close", "Close"

    class BuyerAction(models.TextChoices):
        """What a reporting organization's members do with a resolved incident."""

        ACCEPT = "accept", "Accept the resolution"
        REJECT = "reject", "Reject the resolution"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="incidents")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="incidents"
    )
    fingerprint = models.CharField(max_length=255)
    sku = models.CharField("SKU / part number", max_length=64, blank=True)
    lot = models.CharField("lot / batch", max_length=64, blank=True)
    title = models.CharField(max_length=255)
    # The title's words, stored so that the search ranks its matches without parsing each title
    # again (selectors.search); the database keeps it up to date. Its full-text index is
    # PostgreSQL's only (migration 0032); elsewhere it holds nothing.
    title_vector = models.GeneratedField(
        expression=SearchDocument("title"), output_field=SearchVectorField(), db_persist=True
    )
    # What grouping compares new evidence with (problems.Signature), so it never re-reads posts.
    signature = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.NEW)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)

    # Counters of shareable evidence (anonymous, named and public posts), kept by the pipeline's
    # recount. Which of them a viewer sees is presenters.Counters' rule: a distinct count never
    # mixes reports whose reporter the viewer knows with reports whose reporter is hidden from it.
    post_count = models.PositiveIntegerField(default=0)
    public_post_count = models.PositiveIntegerField(default=0)
    named_post_count = models.PositiveIntegerField(default=0)
    # Distinct over all of it: operators only (and, less the viewer's own, buyers' organizations).
    reporter_count = models.PositiveIntegerField(default=0)
    organization_count = models.PositiveIntegerField(default=0)
    # Distinct over the evidence whose authors are public or named.
    public_author_count = models.PositiveIntegerField(default=0)
    named_organization_count = models.PositiveIntegerField(default=0)
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(auto_now_add=True)

    # SLA and lifecycle
    # When both promises run from (Incident.sla_clock_start); a reopening starts them again.
    sla_started_at = models.DateTimeField("SLA clock started", null=True, blank=True)
    acknowledge_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    # When each promise's warning is due (services.sla_alerts_record): a part of the promised time
    # before its due time, counted on the same clock (Incident.sla_due_times).
    acknowledge_warn_at = models.DateTimeField(null=True, blank=True)
    resolve_warn_at = models.DateTimeField(null=True, blank=True)
    # Set while the incident waits on a buyer's answer (the supplier asked a question): the clocks
    # stand still until a reporting organization replies (Incident.sla_pause / sla_resume).
    sla_paused_at = models.DateTimeField("waiting on the buyer since", null=True, blank=True)
    # The time the clocks stood still since sla_started_at (finished pauses): not the supplier's.
    sla_paused_for = models.DurationField("waited on the buyer", default=timedelta(0))
    # How long the first answer and the resolution took from sla_started_at, less the time spent
    # waiting on the buyer (the scorecard's figures).
    time_to_first_answer = models.DurationField(null=True, blank=True)
    time_to_resolution = models.DurationField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_incidents",
    )
    # Merged into another incident of its supplier (services.incident_merge): its evidence went
    # there, its pages redirect there, and evidence that would have joined it joins that one. Always
    # the final target: merging a target re-points what was merged into it.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        editable=False,
    )
    merged_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The supplier's structured answer (8D) is in its disciplines: EightDStep (models/eightd.py).

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-last_activity_at", "-id"]
        constraints = [
            # New evidence joins the open incident; two workers can never open a second one.
            models.UniqueConstraint(
                "supplier",
                "fingerprint",
                condition=Q(status__in=list(OPEN_STATUSES)),
                name="incident_one_open_per_fingerprint",
            ),
        ]
        indexes = [
            models.Index(
                fields=["supplier", "status", "-last_activity_at"], name="incident_supplier_status"
            ),
            models.Index(fields=["status", "-last_activity_at"], name="incident_status_recent"),
            models.Index(fields=["supplier", "fingerprint", "-resolved_at"], name="incident_fp"),
            models.Index(fields=["supplier", "-last_seen_at"], name="incident_supplier_seen"),
            # A supplier's open incidents, latest first (the portal's short list to merge into).
            models.Index(
                fields=["supplier", "-last_activity_at", "-id"],
                condition=Q(status__in=list(OPEN_STATUSES)),
                name="incident_supplier_open",
            ),
            # Open incidents counted per supplier from the index (visible_to reads counters, id).
            models.Index(
                fields=["supplier", "post_count", "id"],
                condition=Q(status__in=list(OPEN_STATUSES)),
                name="incident_supplier_open_count",
            ),
            # Migrations 0033 and 0040 add, on PostgreSQL, indexes of the lists' order (the latest
            # activity to the hour: INCIDENT_ORDER) and of the portal home's lists. They are not
            # declared here: a migration cannot name hour_of's time zone.
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    # The incident's own times that evidence moves: when a report opens the incident, or joins it,
    # they are that report's time. Supplier actions' times (acknowledged_at, resolved_at,
    # closed_at, answers) date nothing but the supplier's own work.
    EVIDENCE_MOVED_TIMES = ("created_at", "updated_at", "last_activity_at")

    @staticmethod
    def shows_exact_times_to(who: Who) -> bool:
        """Does this viewer see the exact time of EVIDENCE_MOVED_TIMES and of first and last seen?
        Operators only: to anyone else one of them may be the time of an anonymous report, which
        would date it more exactly than the evidence shows it (to the hour, DESIGN.md)."""
        return viewer_of(who).is_operator

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    # --- the lifecycle --------------------------------------------------------------------------

    def allows(self, action: str) -> bool:
        """Would this action change the incident in its present status? The portal offers exactly
        these actions, and the services refuse the others (ApplicationError, "conflict")."""
        return self.status in _ACTION_STATUSES[action]

    def allowed_actions(self) -> list[str]:
        return [action for action in self.Action.values if self.allows(action)]

    def has_done(self, action: str) -> bool:
        """Is this action already done (acknowledging an acknowledged incident)? Repeating it
        changes nothing and is no error, so a retried request succeeds."""
        return self.status in _DONE_IN.get(action, ())

    @staticmethod
    def refusal(action: str) -> str:
        """Why an action does not apply now, in words for the person who tried it."""
        return _REFUSALS[action]

    def take(self, action: str, now: datetime) -> str:
        """Move to the status a status-changing action leads to, stamping when it was first
        acknowledged (acknowledging, investigating and resolving all do), resolved or closed;
        the status it left. The caller has checked `allows(action)`."""
        previous = self.status
        self.status = _LEADS_TO[action]
        if self.status != self.Status.CLOSED and self.acknowledged_at is None:
            self.acknowledged_at = now
            self.time_to_first_answer = self.sla_elapsed(now)
        if self.status == self.Status.RESOLVED:
            self.resolved_at = now
            self.time_to_resolution = self.sla_elapsed(now)
        elif self.status == self.Status.CLOSED:
            self.closed_at = now
        if not self.is_open:
            self.sla_paused_at = None  # nothing is due any more, so nothing waits
        self.last_activity_at = now
        return previous

    def reopen(self, now: datetime) -> None:
        """Back to work: a regression, or a reporting buyer rejecting the resolution. Both SLA
        clocks start again, since it needs a fresh answer."""
        self.status = self.Status.REOPENED
        self.reopened_count += 1
        self.resolved_at = None
        self.start_sla(now)


_S = Incident.Status
_A = Incident.Action
# In which statuses each action applies (changes something).
_ACTION_STATUSES: dict[str, tuple[str, ...]] = {
    _A.ACKNOWLEDGE: (_S.NEW, _S.REOPENED),
    _A.INVESTIGATE: (_S.NEW, _S.ACKNOWLEDGED, _S.REOPENED),
    _A.ASSIGN: Incident.OPEN_STATUSES,
    # A resolved incident may still be explained; a closed one is archived.
    _A.RESPOND: (*Incident.OPEN_STATUSES, _S.RESOLVED),
    # The 8D answer is often completed (verification) after the incident is resolved or closed.
    _A.RECORD_8D: tuple(_S.values),
    _A.SET_SEVERITY: Incident.OPEN_STATUSES,
    _A.RESOLVE: Incident.OPEN_STATUSES,
    _A.CLOSE: (_S.RESOLVED,),
    Incident.BuyerAction.ACCEPT: (_S.RESOLVED,),
    Incident.BuyerAction.REJECT: (_S.RESOLVED,),
}
# The status each status-changing action leads to.
_LEADS_TO: dict[str, str] = {
    _A.ACKNOWLEDGE: _S.ACKNOWLEDGED,
    _A.INVESTIGATE: _S.INVESTIGATING,
    _A.RESOLVE: _S.RESOLVED,
    _A.CLOSE: _S.CLOSED,
}
# Where an action has been done already: repeating it is a no-op, not a conflict.
_DONE_IN: dict[str, tuple[str, ...]] = {
    _A.ACKNOWLEDGE: (_S.ACKNOWLEDGED, _S.INVESTIGATING),
    _A.INVESTIGATE: (_S.INVESTIGATING,),
}
_REFUSALS: dict[str, str] = {
    _A.ACKNOWLEDGE: "Only open incidents can be acknowledged.",
    _A.INVESTIGATE: "Only open incidents can be investigated.",
    _A.ASSIGN: "Only open incidents are assigned.",
    _A.RESPOND: "A closed incident takes no more answers.",
    _A.RECORD_8D: "The 8D cannot be updated now.",
    _A.SET_SEVERITY: "Only an open incident's severity changes.",
    _A.RESOLVE: "This incident is not open.",
    _A.CLOSE: "Resolve the incident before closing it.",
    Incident.BuyerAction.ACCEPT: "Only a resolved incident's resolution can be accepted.",
    Incident.BuyerAction.REJECT: "Only a resolved incident's resolution can be rejected.",
}


class ResponseQuerySet(models.QuerySet["Response"]):
    def visible_to(self, who: Who) -> ResponseQuerySet:
        """Supplier staff see all their answers; buyers see public ones and those addressed to them."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.all()
        if viewer.is_supplier_staff:
            return self.filter(incident__supplier_id=viewer.supplier_id)
        if viewer.is_buyer:
            return self.filter(
                Q(visibility=Response.Visibility.PUBLIC)
                | Q(organization_id=viewer.organization_id),
                incident__in=Incident.objects.visible_to(viewer),
            )
        return self.none()


class Response(models.Model):
    """A supplier's answer to an incident: public, or private to one reporting organization."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public: every viewer of the incident"
        ORGANIZATION = "organization", "Private to one organization"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="responses")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="responses"
    )
    body = models.TextField()
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    # The answer asks the buyers a question: the incident waits on them, its clocks paused.
    waits_for_buyer = models.BooleanField("waiting for the buyer's answer", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ResponseQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visibility="public", organization__isnull=True)
                | Q(visibility="organization", organization__isnull=False),
                name="response_private_has_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"Response to {self.incident_id} by {self.author}"


def _data_number(key: str) -> Coalesce:
    """A whole number an event keeps in its data, 0 when it has none."""
    return Coalesce(Cast(KeyTextTransform(key, "data"), IntegerField()), 0)


class IncidentEventQuerySet(models.QuerySet["IncidentEvent"]):
    def with_shown_time(self, who: Who) -> IncidentEventQuerySet:
        """Each event with `shown_at`: when it happened, to the hour where it brought reports
        whose reporters the viewer may not know (presenters.event_time dates it the same). A
        timeline ordered by it cannot place an anonymous report against named evidence within
        its hour. The query's twin of IncidentEvent.hides_time_from."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return self.annotate(shown_at=F("created_at"))
        events = self.alias(
            brought_reports=_data_number("buyer_reports"),
            brought_unnamed=_data_number("unnamed_reports"),
            brought_from=_data_number("report_organization"),
        )
        if viewer.is_supplier_staff:
            hidden = Q(brought_unnamed__gt=0)
        elif viewer.is_buyer:
            hidden = Q(brought_reports__gt=0) & ~Q(brought_from=viewer.organization_id)
        else:
            hidden = Q(brought_reports__gt=0)
        return events.annotate(
            shown_at=Case(
                When(hidden, then=hour_of("created_at")),
                default=F("created_at"),
                output_field=DateTimeField(),
            )
        )


class IncidentEvent(models.Model):
    """The timeline of an incident, and the outbox from which notifications and webhooks go out."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        POST_ADDED = "post_added", "Evidence added"
        REOPENED = "reopened", "Reopened (regression)"
        SPIKE = "spike", "Spike"
        STATUS_CHANGED = "status_changed", "Status changed"
        SEVERITY_CHANGED = "severity_changed", "Severity changed"
        ASSIGNED = "assigned", "Assigned"
        RESPONSE = "response", "Answered"
        RESPONSE_EDITED = "response_edited", "Answer edited"
        # Events before the 8D had its eight disciplines; EIGHT_D since.
        ACTION_RECORDED = "action_recorded", "8D action recorded"
        EIGHT_D = "eight_d", "8D progress"
        BUYER_REPLY = "buyer_reply", "A reporting organization replied"
        RESOLUTION_ACCEPTED = "resolution_accepted", "Resolution accepted"
        SLA_WARNING = "sla_warning", "SLA about to be breached"
        SLA_BREACHED = "sla_breached", "SLA breached"
        SLA_PAUSED = "sla_paused", "Waiting on the buyer: SLA clock paused"
        SLA_RESUMED = "sla_resumed", "The buyer answered: SLA clock resumed"
        DISPUTE_OPENED = "dispute_opened", "Evidence disputed by the supplier"
        DISPUTE_ACCEPTED = "dispute_accepted", "Dispute accepted"
        DISPUTE_REJECTED = "dispute_rejected", "Dispute rejected"
        MERGED = "merged", "Another incident merged into this one"
        MERGED_INTO = "merged_into", "Merged into another incident"
        SPLIT = "split", "Evidence split out into a new incident"
        SPLIT_FROM = "split_from", "Split out of another incident"

    # Kinds about one answer (data["response_id"]): shown only to whoever may read that answer.
    ANSWER_KINDS = (Kind.RESPONSE, Kind.RESPONSE_EDITED)
    # Kinds about a promise (data["promise"], data["due_at"]): services.sla_alerts_record's.
    SLA_KINDS = (Kind.SLA_WARNING, Kind.SLA_BREACHED)
    # Kinds about one dispute (data["dispute_id"], data["reason"]): services.disputes'.
    DISPUTE_KINDS = (Kind.DISPUTE_OPENED, Kind.DISPUTE_ACCEPTED, Kind.DISPUTE_REJECTED)
    # Kinds about evidence moved between incidents (data["other_id"]): services.merging's.
    MERGE_KINDS = (Kind.MERGED, Kind.MERGED_INTO)
    SPLIT_KINDS = (Kind.SPLIT, Kind.SPLIT_FROM)

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set once notifications and webhooks for this event have been queued.
    dispatched_at = models.DateTimeField(null=True, blank=True)

    objects = IncidentEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="event_incident_time"),
            models.Index(
                fields=["created_at"],
                condition=Q(dispatched_at__isnull=True),
                name="event_undispatched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.incident_id}"

    def hides_time_from(self, who: Who) -> bool:
        """Did this event bring reports whose reporters this viewer may not know? Then its time
        would date them, and it is shown to the hour (services.reports_brought records them)."""
        viewer = viewer_of(who)
        if viewer.is_operator:
            return False
        data = self.data or {}
        reports = int(data.get("buyer_reports") or 0)
        if viewer.is_supplier_staff:
            return int(data.get("unnamed_reports") or 0) > 0
        if viewer.is_buyer:
            return reports > 0 and data.get("report_organization") != viewer.organization_id
        return reports > 0


class Follow(models.Model):
    """A buyer following an incident, to be told about new activity."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)
    # Activity up to this time has been seen; the dashboard shows what came after.
    seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("user", "incident", name="follow_unique_user_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.incident_id}"
