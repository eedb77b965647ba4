"""Who is told of an event, and the inbox reads.

Each kind of event reaches the people it concerns, and only those allowed to see the incident (and
the answer) it is about: the same `visible_to` rules as every page. A batch of events asks each
party once, all parties in one query, so telling of many events costs what telling of one does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Value

from incidents.models import Follow, Incident, IncidentEvent, PostMatch, Reply, Response
from suppliers.models import Membership, User, VendorCode
from supplierwatch.viewers import Viewer

from .models import Kind, Notification

EventKind = IncidentEvent.Kind
# Status changes a reporting or following buyer hears of.
TOLD_STATUSES = (
    Incident.Status.ACKNOWLEDGED,
    Incident.Status.RESOLVED,
    Incident.Status.REOPENED,
)


@dataclass(frozen=True)
class Recipient:
    user: User
    kind: str
    # The answer an answer notification is about, as the recipient may read it.
    response: Response | None = None
    # The reply a reply notification is about (the supplier's staff read every reply).
    reply: Reply | None = None


def notification_kinds(event: IncidentEvent) -> tuple[str | None, str | None]:
    """The kind of notification an event is to the supplier's staff, and to buyers (None: not
    told to that side)."""
    kind = event.kind
    data = event.data or {}
    if kind == EventKind.CREATED:
        return Kind.NEW_INCIDENT, None
    if kind == EventKind.REOPENED:
        return Kind.NEW_INCIDENT, Kind.STATUS
    if kind == EventKind.ASSIGNED:
        # A rule gives only new incidents, whose notification already goes to the assignee alone.
        given = data.get("assignee_id") and not data.get("rule_id")
        return (Kind.ASSIGNED if given else None), None
    if kind == EventKind.POST_ADDED:
        # The evidence that opened an incident is told as the new incident.
        return (None if data.get("opening") else Kind.NEW_EVIDENCE), None
    if kind == EventKind.SPIKE:
        return Kind.SPIKE, Kind.SUPPLIER_SPIKE
    if kind == EventKind.SLA_WARNING:
        return Kind.SLA_WARNING, None
    if kind == EventKind.SLA_BREACHED:
        return Kind.SLA_BREACHED, None
    if kind == EventKind.RESPONSE:
        return None, Kind.ANSWER
    if kind == EventKind.STATUS_CHANGED and data.get("by") == "answer":
        return None, None  # acknowledged by answering: the answer is the news
    if kind == EventKind.BUYER_REPLY:
        return Kind.BUYER_REPLY, None
    if kind == EventKind.STATUS_CHANGED and data.get("by") == "rejection":
        # Work again for the supplier, news for the buyers (without the reason: event_note).
        return Kind.RESOLUTION_REJECTED, Kind.STATUS
    if kind == EventKind.STATUS_CHANGED and data.get("to") == Incident.Status.REOPENED:
        return Kind.NEW_INCIDENT, Kind.STATUS
    if kind == EventKind.STATUS_CHANGED and data.get("to") in TOLD_STATUSES:
        return None, Kind.STATUS
    if kind == EventKind.DISPUTE_OPENED and data.get("evidence") == "buyer_report":
        # The reporting organization decides (operators work from their queue).
        return None, Kind.DISPUTE
    if kind in (EventKind.DISPUTE_ACCEPTED, EventKind.DISPUTE_REJECTED):
        return Kind.DISPUTE_DECIDED, None
    if kind in (EventKind.MERGED, EventKind.SPLIT):
        # Told on the incident the evidence stays in or went to: the merged one's followers
        # follow it from then on (services.merging), and its reporters' evidence is in it.
        return Kind.MERGED, Kind.MERGED
    if kind == EventKind.SPLIT_FROM:
        # A new incident for the team; its evidence's reporters and the followers of the
        # incident it came from (who follow it too) hear of it.
        return Kind.NEW_INCIDENT, Kind.MERGED
    return None, None


_ASSIGNEE_OR_TEAM = (
    Kind.NEW_INCIDENT,
    Kind.BUYER_REPLY,
    Kind.RESOLUTION_REJECTED,
    Kind.DISPUTE_DECIDED,
    Kind.MERGED,
)


def _people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_service_account=False).select_related(
        "membership"
    )


# Visibility checks put in one UNION query at most this many at a time (SQLite allows 500).
_CHECKS_PER_QUERY = 100


def _visible_among(checks: Sequence[tuple[QuerySet[Any], Iterable[int]]]) -> list[set[int]]:
    """For each check (the rows a viewer may see, the ids asked about): the ids among those rows.
    Each viewer keeps its own `visible_to` rule; the checks of a whole batch go in one query."""
    found: list[set[int]] = [set() for _ in checks]
    parts = [
        rows.filter(pk__in=sorted(set(ids)))
        .order_by()
        .annotate(check_index=Value(index))
        .values_list("pk", "check_index")
        for index, (rows, ids) in enumerate(checks)
    ]
    for start in range(0, len(parts), _CHECKS_PER_QUERY):
        first, *others = parts[start : start + _CHECKS_PER_QUERY]
        for pk, index in first.union(*others, all=True) if others else first:
            found[index].add(pk)
    return found


class _Batch:
    """What the recipients of a batch of events are chosen from, each loaded once for the batch:
    the cost of telling does not grow with the number of events."""

    def __init__(self, events: Sequence[IncidentEvent]) -> None:
        self.kinds = {event.pk: notification_kinds(event) for event in events}
        to_suppliers = [event for event in events if self.kinds[event.pk][0] is not None]
        to_buyers = [event for event in events if self.kinds[event.pk][1] is not None]
        supplier_ids = {event.incident.supplier_id for event in to_suppliers}
        self.staff: dict[int, list[User]] = defaultdict(list)
        if supplier_ids:
            for person in _people().filter(
                membership__supplier_id__in=supplier_ids,
                membership__role__in=Membership.ACTING_ROLES,
            ):
                if (supplier_id := person.membership.supplier_id) is not None:
                    self.staff[supplier_id].append(person)
        self._load_buyers(to_buyers)
        self._load_visibility(to_suppliers, to_buyers)
        self._load_replies(to_suppliers)
        self._load_responses(to_buyers)

    def _load_buyers(self, events: Sequence[IncidentEvent]) -> None:
        """Reporters and followers of the incidents, buyers and followers of spiking suppliers,
        members of organizations whose report is disputed; and those people."""
        incident_ids = set()
        spiking = set()
        self.disputing: set[int] = set()
        for event in events:
            kind = self.kinds[event.pk][1]
            if kind == Kind.DISPUTE:
                organization_id = (event.data or {}).get("report_of")
                if isinstance(organization_id, int):
                    self.disputing.add(organization_id)
            elif kind == Kind.SUPPLIER_SPIKE:
                spiking.add(event.incident.supplier_id)
            else:
                incident_ids.add(event.incident_id)
        self.concerned: dict[int, set[int]] = defaultdict(set)  # incident: people
        self.supplier_followers: dict[int, set[int]] = defaultdict(set)
        self.buying: dict[int, set[int]] = defaultdict(set)  # supplier: organizations
        if incident_ids:
            reporters = (
                PostMatch.objects.filter(incident__in=incident_ids, post__author__isnull=False)
                .order_by()
                .values_list("incident_id", "post__author_id")
                .distinct()
            )
            followers = Follow.objects.filter(incident__in=incident_ids).values_list(
                "incident_id", "user_id"
            )
            for incident_id, user_id in [*reporters, *followers]:
                self.concerned[incident_id].add(user_id)
        if spiking:
            for supplier_id, organization_id in VendorCode.objects.filter(
                supplier_id__in=spiking
            ).values_list("supplier_id", "organization_id"):
                self.buying[supplier_id].add(organization_id)
            for supplier_id, user_id in Follow.objects.filter(
                incident__supplier_id__in=spiking
            ).values_list("incident__supplier_id", "user_id"):
                self.supplier_followers[supplier_id].add(user_id)
        people_ids = set().union(*self.concerned.values(), *self.supplier_followers.values())
        organization_ids = self.disputing.union(*self.buying.values())
        self.buyers: list[User] = []
        if people_ids or organization_ids:
            self.buyers = list(
                _people()
                .filter(membership__organization__isnull=False)
                .filter(Q(pk__in=people_ids) | Q(membership__organization_id__in=organization_ids))
            )

    def buyers_of(self, event: IncidentEvent, kind: str) -> list[User]:
        """The people of organizations concerned by the event, before any visibility check."""
        if kind == Kind.DISPUTE:
            organization_id = (event.data or {}).get("report_of")
            return [
                person
                for person in self.buyers
                if person.membership.organization_id == organization_id
            ]
        if kind == Kind.SUPPLIER_SPIKE:
            # A spike is news for everyone who buys from the supplier (their ERP knows it), and
            # for whoever follows one of its incidents.
            supplier_id = event.incident.supplier_id
            buying = self.buying.get(supplier_id, set())
            following = self.supplier_followers.get(supplier_id, set())
            return [
                person
                for person in self.buyers
                if person.membership.organization_id in buying or person.pk in following
            ]
        concerned = self.concerned.get(event.incident_id, set())
        return [person for person in self.buyers if person.pk in concerned]

    def _organizations_told(self, event: IncidentEvent) -> set[int]:
        kind = self.kinds[event.pk][1]
        if kind is None:
            return set()
        return {
            organization_id
            for person in self.buyers_of(event, kind)
            if (organization_id := person.membership.organization_id) is not None
        }

    def _load_visibility(
        self, to_suppliers: Sequence[IncidentEvent], to_buyers: Sequence[IncidentEvent]
    ) -> None:
        """Which incidents each party concerned may see: its `visible_to`, all in one query."""
        asked: dict[Viewer, set[int]] = defaultdict(set)
        for event in to_suppliers:
            asked[Viewer.party(supplier_id=event.incident.supplier_id)].add(event.incident_id)
        for event in to_buyers:
            for organization_id in self._organizations_told(event):
                asked[Viewer.party(organization_id=organization_id)].add(event.incident_id)
        viewers = list(asked)
        found = _visible_among(
            [(Incident.objects.visible_to(viewer), asked[viewer]) for viewer in viewers]
        )
        self.sees = {
            (viewer, incident_id)
            for viewer, incident_ids in zip(viewers, found, strict=True)
            for incident_id in incident_ids
        }

    def _load_replies(self, events: Sequence[IncidentEvent]) -> None:
        """The replies told to the supplier's staff, as its `visible_to` lets them read."""
        asked: dict[Viewer, set[int]] = defaultdict(set)
        for event in events:
            reply_id = (event.data or {}).get("reply_id")
            if self.kinds[event.pk][0] == Kind.BUYER_REPLY and isinstance(reply_id, int):
                asked[Viewer.party(supplier_id=event.incident.supplier_id)].add(reply_id)
        viewers = list(asked)
        found = _visible_among(
            [(Reply.objects.visible_to(viewer), asked[viewer]) for viewer in viewers]
        )
        readable = {
            (viewer, reply_id)
            for viewer, reply_ids in zip(viewers, found, strict=True)
            for reply_id in reply_ids
        }
        replies = Reply.objects.in_bulk({reply_id for _, reply_id in readable})
        self.replies = {key: replies[key[1]] for key in readable if key[1] in replies}

    def _load_responses(self, events: Sequence[IncidentEvent]) -> None:
        """The answers told to each organization, as its `visible_to` lets it read them."""
        asked: dict[Viewer, set[int]] = defaultdict(set)
        for event in events:
            response_id = (event.data or {}).get("response_id")
            if self.kinds[event.pk][1] == Kind.ANSWER and isinstance(response_id, int):
                for organization_id in self._organizations_told(event):
                    asked[Viewer.party(organization_id=organization_id)].add(response_id)
        viewers = list(asked)
        found = _visible_among(
            [(Response.objects.visible_to(viewer), asked[viewer]) for viewer in viewers]
        )
        readable = {
            (viewer, response_id)
            for viewer, response_ids in zip(viewers, found, strict=True)
            for response_id in response_ids
        }
        responses = Response.objects.select_related("author", "organization").in_bulk(
            {response_id for _, response_id in readable}
        )
        self.responses = {key: responses[key[1]] for key in readable if key[1] in responses}

    def supplier_staff(self, event: IncidentEvent, kind: str) -> list[User]:
        incident = event.incident
        supplier_viewer = Viewer.party(supplier_id=incident.supplier_id)
        # An incident made of one organization's private reports does not exist for the supplier.
        if (supplier_viewer, incident.pk) not in self.sees:
            return []
        acting = self.staff.get(incident.supplier_id, [])

        def only(user_id: object) -> list[User]:
            return [person for person in acting if person.pk == user_id]

        if kind == Kind.ASSIGNED:
            assignee_id = (event.data or {}).get("assignee_id")
            return only(assignee_id) if isinstance(assignee_id, int) else []
        if kind == Kind.NEW_EVIDENCE:
            return only(incident.assignee_id) if incident.assignee_id else []
        # Who works on the incident hears of it; with nobody assigned, the team does.
        if kind in _ASSIGNEE_OR_TEAM and incident.assignee_id:
            return only(incident.assignee_id)
        if kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
            # The one it is assigned to, or the team while nobody (who may act) has it.
            assignee = only(incident.assignee_id) if incident.assignee_id else []
            return assignee or list(acting)
        return list(acting)

    def buyer_recipients(self, event: IncidentEvent, kind: str) -> list[Recipient]:
        """Reporters and followers of the incident (for a spike: the buyers of its supplier;
        for a dispute: the organization whose report it is), by organization, who may see it
        (and the answer)."""
        people = self.buyers_of(event, kind)
        if kind == Kind.DISPUTE:
            organization_id = (event.data or {}).get("report_of")
            if not isinstance(organization_id, int):
                return []
            viewer = Viewer.party(organization_id=organization_id)
            if (viewer, event.incident_id) not in self.sees:
                return []
            return [Recipient(person, Kind.DISPUTE) for person in people]
        response_id = (event.data or {}).get("response_id")
        recipients = []
        for organization_id in sorted(self._organizations_told(event)):
            viewer = Viewer.party(organization_id=organization_id)
            if (viewer, event.incident_id) not in self.sees:
                continue
            response = None
            if kind == Kind.ANSWER:
                if not isinstance(response_id, int):
                    continue
                response = self.responses.get((viewer, response_id))
                if response is None:
                    continue  # a private answer to another organization
            recipients += [
                Recipient(person, kind, response)
                for person in people
                if person.membership.organization_id == organization_id
            ]
        return recipients

    def recipients(self, event: IncidentEvent) -> list[Recipient]:
        supplier_kind, buyer_kind = self.kinds[event.pk]
        recipients: list[Recipient] = []
        if supplier_kind is not None:
            reply_id = (event.data or {}).get("reply_id")
            reply = None
            if supplier_kind == Kind.BUYER_REPLY and isinstance(reply_id, int):
                viewer = Viewer.party(supplier_id=event.incident.supplier_id)
                reply = self.replies.get((viewer, reply_id))
            recipients += [
                Recipient(user, supplier_kind, reply=reply)
                for user in self.supplier_staff(event, supplier_kind)
            ]
        if buyer_kind is not None:
            recipients += self.buyer_recipients(event, buyer_kind)
        # Whoever did it is not told of it.
        return [item for item in recipients if item.user.pk != event.actor_id]


def events_recipients(events: Sequence[IncidentEvent]) -> dict[int, list[Recipient]]:
    """Everyone to tell of each of these events (their incidents selected with supplier, category
    and assignee), but whoever did it; in a fixed number of queries, whatever their number."""
    batch = _Batch(events)
    return {event.pk: batch.recipients(event) for event in events}


def event_recipients(event: IncidentEvent) -> list[Recipient]:
    """Everyone to tell of this event, but whoever did it."""
    return events_recipients([event])[event.pk]


def inbox(user: User) -> QuerySet[Notification]:
    """A person's notifications, newest first (by the time they are shown: Notification.shown_at)."""
    return Notification.objects.filter(recipient=user).order_by("-shown_at", "-id")


def unread_count(user: User, *, limit: int | None = None) -> int:
    """How many of a person's notifications are unread (up to `limit`: one cheap query)."""
    unread = Notification.objects.filter(recipient=user).unread()
    return unread[:limit].count() if limit is not None else unread.count()
