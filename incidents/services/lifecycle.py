"""What supplier staff (and operators) do with an incident. Every action leaves an IncidentEvent.

Each service checks, in this order: that its actor may act on the supplier's incidents (one rule,
Viewer.may_act_for), that the incident's status allows the action (Incident.allows, the state
machine the portal also offers from), and then the input. A repeated action that is already done
(acknowledging an acknowledged incident) changes nothing and is no error.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from suppliers.models import Organization, User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..inputs import clean_answer, clean_note, clean_severity
from ..models import Incident, IncidentEvent, Response
from ..selectors import incident_named_organizations
from ..signals import events_announce
from .assignments import check_assignee, record_assignment
from .processing import incident_change_severity

Action = Incident.Action
# A refusal that an adapter which looks the organization up (the API, by slug) gives in the same
# words when it finds none.
PRIVATE_ANSWER_REFUSAL = (
    "Private answers go only to organizations that reported this incident by name."
)


def incident_event(incident: Incident, kind: str, actor: User | None, **data: object) -> None:
    """Record one step of the incident's timeline (the outbox of webhooks and notifications)."""
    events_announce(
        [IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, data=data)]
    )


def require_actor(actor: User | None, incident: Incident) -> None:
    """Only the supplier's responders and admins, and operators, act on its incidents."""
    if not viewer_of(actor).may_act_for(incident.supplier_id):
        raise ApplicationError(
            "Only the supplier's responders and admins act on its incidents.", code="forbidden"
        )


def _begin(incident: Incident, actor: User, action: str) -> Incident:
    """The incident, locked for this transaction. Raises when the actor may not act, or when the
    status neither allows the action nor shows it done already (Incident.has_done)."""
    require_actor(actor, incident)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if not (locked.allows(action) or locked.has_done(action)):
        raise ApplicationError(locked.refusal(action), field="status", code="conflict")
    return locked


def _take(locked: Incident, actor: User, action: str, **extra: object) -> Incident:
    """Apply a status-changing action (Incident.take) and record it; nothing when it is done
    already."""
    if not locked.allows(action):
        return locked
    previous = locked.take(action, timezone.now())
    locked.save()
    incident_event(
        locked,
        IncidentEvent.Kind.STATUS_CHANGED,
        actor,
        **{"from": previous, "to": locked.status},
        **extra,
    )
    return locked


@transaction.atomic
def incident_acknowledge(*, incident: Incident, actor: User) -> Incident:
    return _take(_begin(incident, actor, Action.ACKNOWLEDGE), actor, Action.ACKNOWLEDGE)


@transaction.atomic
def incident_start_investigation(*, incident: Incident, actor: User) -> Incident:
    return _take(_begin(incident, actor, Action.INVESTIGATE), actor, Action.INVESTIGATE)


@transaction.atomic
def incident_resolve(*, incident: Incident, actor: User, note: str = "") -> Incident:
    locked = _begin(incident, actor, Action.RESOLVE)
    return _take(locked, actor, Action.RESOLVE, note=clean_note(note))


@transaction.atomic
def incident_close(*, incident: Incident, actor: User) -> Incident:
    return _take(_begin(incident, actor, Action.CLOSE), actor, Action.CLOSE)


@transaction.atomic
def incident_assign(*, incident: Incident, actor: User, assignee: User | None) -> Incident:
    """Give the incident to a colleague who may act on it (check_assignee), or to nobody."""
    locked = _begin(incident, actor, Action.ASSIGN)
    check_assignee(locked.supplier_id, assignee)
    return record_assignment(locked, assignee, actor)


def _check_private_recipient(incident: Incident, organization: Organization, author: User) -> None:
    """A private answer goes only to an organization the supplier already knows is involved:
    one that reported this incident by name. Anonymous reporters stay anonymous."""
    named = incident_named_organizations(viewer=viewer_of(author), incident=incident)
    if not named.filter(pk=organization.pk).exists():
        raise ApplicationError(PRIVATE_ANSWER_REFUSAL, field="organization")


@transaction.atomic
def incident_respond(
    *,
    incident: Incident,
    author: User,
    body: str,
    organization: Organization | None = None,
    waits_for_buyer: bool = False,
) -> Response:
    """Answer publicly, or privately to one organization that reported this incident by name.
    An answer that asks the buyers a question (`waits_for_buyer`) pauses the SLA clocks of an
    open incident until a reporting organization replies (replies.incident_reply)."""
    locked = _begin(incident, author, Action.RESPOND)
    body = clean_answer(body)
    if organization is not None:
        _check_private_recipient(locked, organization, author)
    response = Response.objects.create(
        incident=locked,
        author=author,
        body=body,
        visibility=Response.Visibility.ORGANIZATION if organization else Response.Visibility.PUBLIC,
        organization=organization,
        waits_for_buyer=bool(waits_for_buyer),
    )
    # The organization's name is never written to the event: webhooks and timelines read it.
    incident_event(
        locked,
        IncidentEvent.Kind.RESPONSE,
        author,
        response_id=response.pk,
        visibility=response.visibility,
    )
    # Answering acknowledges: an open incident moves on, a resolved one stays where it is.
    if locked.allows(Action.ACKNOWLEDGE):
        # "by": the answer's own notification tells the buyers; this one need not (notifications).
        _take(locked, author, Action.ACKNOWLEDGE, by="answer")
    else:
        locked.last_activity_at = timezone.now()
        locked.save()
    if response.waits_for_buyer and locked.sla_pause(timezone.now()):
        locked.save(update_fields=["sla_paused_at"])
        incident_event(locked, IncidentEvent.Kind.SLA_PAUSED, author, response_id=response.pk)
    return response


@transaction.atomic
def incident_response_edit(*, response: Response, actor: User, body: str) -> Response:
    """Correct the words of an answer (an operator's moderation, or its supplier's own staff);
    who may read it does not change, and the timeline says that it was edited."""
    require_actor(actor, response.incident)
    response = Response.objects.select_for_update().select_related("incident").get(pk=response.pk)
    body = clean_answer(body)
    if response.body == body:
        return response
    response.body = body
    response.save(update_fields=["body"])
    incident_event(
        response.incident,
        IncidentEvent.Kind.RESPONSE_EDITED,
        actor,
        response_id=response.pk,
        visibility=response.visibility,
    )
    return response


@transaction.atomic
def incident_set_severity(*, incident: Incident, actor: User, severity: int) -> Incident:
    locked = _begin(incident, actor, Action.SET_SEVERITY)
    severity = clean_severity(severity)
    if severity == locked.severity:
        return locked
    incident_change_severity(locked, severity, actor=actor).save()
    return locked
