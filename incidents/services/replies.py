"""What a reporting organization's members do with an incident: reply to the supplier, accept a
resolution, or reject it with a reason (which reopens the incident).

Who may: a member of an organization with a shared (anonymous or named) report in the incident.
A private report is not known to the supplier, so it gives no voice towards it. Everyone else is
refused as if the incident did not concern them ("forbidden"); the channels look the incident up
through `visible_to` first, so one they may not see is a 404 as everywhere.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import clean_rejection_reason, clean_reply
from ..models import Incident, IncidentEvent, Post, PostMatch, Reply
from .lifecycle import incident_event
from .routing import incident_route_again

BuyerAction = Incident.BuyerAction
NOT_A_REPORTER = "Only members of an organization that reported this incident may do this."


def _reports(incident: Incident, organization_id: int) -> set[str]:
    """The visibilities of this organization's shared reports in the incident."""
    return set(
        PostMatch.objects.filter(incident=incident, post__organization_id=organization_id)
        .exclude(post__visibility=Post.Visibility.PRIVATE)
        .values_list("post__visibility", flat=True)
    )


def _reporting_organization(user: User, incident: Incident) -> tuple[int, bool]:
    """The actor's organization and whether it reported by name; refused otherwise."""
    viewer = viewer_of(user)
    organization_id = viewer.organization_id if viewer.is_buyer else None
    visibilities = _reports(incident, organization_id) if organization_id else set()
    if organization_id is None or not visibilities:
        raise ApplicationError(NOT_A_REPORTER, code="forbidden")
    return organization_id, Post.Visibility.NAMED in visibilities


def _begin(incident: Incident, actor: User, action: str | None) -> tuple[Incident, int, bool]:
    organization_id, named = _reporting_organization(actor, incident)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if action is not None and not locked.allows(action):
        raise ApplicationError(locked.refusal(action), field="status", code="conflict")
    return locked, organization_id, named


@transaction.atomic
def incident_reply(*, incident: Incident, author: User, body: str) -> Reply:
    """A reporting organization writes back to the supplier. The supplier reads which
    organization wrote only when it reported by name; an anonymous reporter stays anonymous."""
    locked, organization_id, named = _begin(incident, author, None)
    if locked.status == Incident.Status.CLOSED:
        raise ApplicationError("A closed incident takes no more replies.", code="conflict")
    reply = Reply.objects.create(
        incident=locked,
        organization_id=organization_id,
        author=author,
        body=clean_reply(body),
        named=named,
    )
    # The organization's id only decides who sees the event (selectors.incident_timeline); it
    # never leaves the product (presenters.event_data).
    incident_event(
        locked,
        IncidentEvent.Kind.BUYER_REPLY,
        author,
        reply_id=reply.pk,
        reply_organization=organization_id,
    )
    now = timezone.now()
    locked.last_activity_at = now
    resumed = locked.sla_resume(now)
    locked.save(update_fields=["last_activity_at", *resumed])
    if resumed:
        # No actor and no organization: which reporting organization answered is the reply's to
        # tell, and the clocks running again is news for every viewer of the incident.
        incident_event(
            locked,
            IncidentEvent.Kind.SLA_RESUMED,
            None,
            acknowledge_due_at=_iso(locked.acknowledge_due_at),
            resolve_due_at=_iso(locked.resolve_due_at),
        )
    return reply


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@transaction.atomic
def incident_accept_resolution(*, incident: Incident, actor: User) -> Incident:
    """A reporting organization says the resolution solves its problem. The incident stays
    resolved (other reporters may still reject it; the supplier closes it); accepting twice
    records nothing more."""
    locked, organization_id, _ = _begin(incident, actor, BuyerAction.ACCEPT)
    accepted = IncidentEvent.objects.filter(
        incident=locked,
        kind=IncidentEvent.Kind.RESOLUTION_ACCEPTED,
        data__reply_organization=organization_id,
    )
    if locked.resolved_at is not None:  # an acceptance counts for this resolution only
        accepted = accepted.filter(created_at__gte=locked.resolved_at)
    if not accepted.exists():
        incident_event(
            locked,
            IncidentEvent.Kind.RESOLUTION_ACCEPTED,
            actor,
            reply_organization=organization_id,
        )
    return locked


@transaction.atomic
def incident_reject_resolution(*, incident: Incident, actor: User, reason: str) -> Incident:
    """A reporting organization says the problem is not solved: the incident reopens with fresh
    SLA clocks, and the reason goes to the supplier (without the organization's identity when
    it reported anonymously)."""
    locked, organization_id, _ = _begin(incident, actor, BuyerAction.REJECT)
    reason = clean_rejection_reason(reason)
    now = timezone.now()
    previous = locked.status
    locked.reopen(now)
    locked.last_activity_at = now
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:
        # incident_one_open_per_fingerprint: newer evidence opened another incident meanwhile.
        raise ApplicationError(
            "A newer incident about the same problem is open; reply there.", code="conflict"
        ) from None
    incident_event(
        locked,
        IncidentEvent.Kind.STATUS_CHANGED,
        actor,
        **{"from": previous, "to": locked.status},
        by="rejection",
        reason=reason,
        # Who may read the reason besides the supplier (presenters.event_note).
        rejected_by=organization_id,
    )
    incident_route_again(locked)
    return locked
