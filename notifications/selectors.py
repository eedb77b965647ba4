"""Who is told of an event, and the inbox reads.

Each kind of event reaches the people it concerns, and only those allowed to see the incident (and
the answer) it is about: the same `visible_to` rules as every page, asked once per party.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

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
    return None, None


_ASSIGNEE_OR_TEAM = (
    Kind.NEW_INCIDENT,
    Kind.BUYER_REPLY,
    Kind.RESOLUTION_REJECTED,
    Kind.DISPUTE_DECIDED,
)


def _people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, is_service_account=False).select_related(
        "membership"
    )


def _supplier_staff(event: IncidentEvent, kind: str) -> list[User]:
    incident = event.incident
    supplier_viewer = Viewer.party(supplier_id=incident.supplier_id)
    # An incident made of one organization's private reports does not exist for the supplier.
    if not Incident.objects.visible_to(supplier_viewer).filter(pk=incident.pk).exists():
        return []
    staff = _people().filter(membership__supplier_id=incident.supplier_id)
    acting = staff.filter(membership__role__in=Membership.ACTING_ROLES)
    if kind == Kind.ASSIGNED:
        assignee_id = (event.data or {}).get("assignee_id")
        return list(acting.filter(pk=assignee_id)) if isinstance(assignee_id, int) else []
    if kind == Kind.NEW_EVIDENCE:
        return list(acting.filter(pk=incident.assignee_id)) if incident.assignee_id else []
    # Who works on the incident hears of it; with nobody assigned, the team does.
    if kind in _ASSIGNEE_OR_TEAM and incident.assignee_id:
        return list(acting.filter(pk=incident.assignee_id))
    if kind in (Kind.SLA_WARNING, Kind.SLA_BREACHED):
        # The one it is assigned to, or the team while nobody (who may act) has it.
        assignee = list(acting.filter(pk=incident.assignee_id)) if incident.assignee_id else []
        return assignee or list(acting)
    return list(acting)


def _disputed_reporters(event: IncidentEvent) -> list[Recipient]:
    """The members of the organization whose report the supplier disputes: they decide it."""
    organization_id = (event.data or {}).get("report_of")
    if not isinstance(organization_id, int):
        return []
    viewer = Viewer.party(organization_id=organization_id)
    if not Incident.objects.visible_to(viewer).filter(pk=event.incident_id).exists():
        return []
    people = _people().filter(membership__organization_id=organization_id)
    return [Recipient(person, Kind.DISPUTE) for person in people]


def _buyers(event: IncidentEvent, kind: str) -> list[Recipient]:
    """Reporters and followers of the incident (for a spike: the buyers of its supplier), by
    organization, who may see it (and the answer)."""
    if kind == Kind.DISPUTE:
        return _disputed_reporters(event)
    incident = event.incident
    reporters = PostMatch.objects.filter(incident=incident, post__author__isnull=False).values(
        "post__author"
    )
    followers = Follow.objects.filter(incident=incident).values("user")
    concerned = Q(pk__in=reporters) | Q(pk__in=followers)
    if kind == Kind.SUPPLIER_SPIKE:
        # A spike is news for everyone who buys from the supplier (their ERP knows it), and for
        # whoever follows one of its incidents.
        buying = VendorCode.objects.filter(supplier_id=incident.supplier_id).values("organization")
        following = Follow.objects.filter(incident__supplier_id=incident.supplier_id).values("user")
        concerned = Q(membership__organization__in=buying) | Q(pk__in=following)
    people = list(_people().filter(membership__organization__isnull=False).filter(concerned))
    response_id = (event.data or {}).get("response_id")
    recipients = []
    organizations = {
        organization_id
        for person in people
        if (organization_id := person.membership.organization_id) is not None
    }
    for organization_id in sorted(organizations):
        viewer = Viewer.party(organization_id=organization_id)
        if not Incident.objects.visible_to(viewer).filter(pk=incident.pk).exists():
            continue
        response = None
        if kind == Kind.ANSWER:
            if not isinstance(response_id, int):
                continue
            response = (
                Response.objects.visible_to(viewer)
                .select_related("author", "organization")
                .filter(pk=response_id)
                .first()
            )
            if response is None:
                continue  # a private answer to another organization
        recipients += [
            Recipient(person, kind, response)
            for person in people
            if person.membership.organization_id == organization_id
        ]
    return recipients


def event_recipients(event: IncidentEvent) -> list[Recipient]:
    """Everyone to tell of this event (its incident selected with supplier, category and
    assignee), but whoever did it."""
    supplier_kind, buyer_kind = notification_kinds(event)
    recipients: list[Recipient] = []
    if supplier_kind is not None:
        reply = None
        reply_id = (event.data or {}).get("reply_id")
        if supplier_kind == Kind.BUYER_REPLY and isinstance(reply_id, int):
            reply = (
                Reply.objects.visible_to(Viewer.party(supplier_id=event.incident.supplier_id))
                .filter(pk=reply_id)
                .first()
            )
        recipients += [
            Recipient(user, supplier_kind, reply=reply)
            for user in _supplier_staff(event, supplier_kind)
        ]
    if buyer_kind is not None:
        recipients += _buyers(event, buyer_kind)
    return [item for item in recipients if item.user.pk != event.actor_id]


def inbox(user: User) -> QuerySet[Notification]:
    """A person's notifications, newest first (by the time they are shown: Notification.shown_at)."""
    return Notification.objects.filter(recipient=user).order_by("-shown_at", "-id")


def unread_count(user: User, *, limit: int | None = None) -> int:
    """How many of a person's notifications are unread (up to `limit`: one cheap query)."""
    unread = Notification.objects.filter(recipient=user).unread()
    return unread[:limit].count() if limit is not None else unread.count()
