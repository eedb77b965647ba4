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

from ..inputs import clean_answer, clean_eight_d, clean_note
from ..models import Incident, IncidentEvent, Post, Response
from .processing import incident_apply_severity

Action = Incident.Action
EIGHT_D_FIELDS = Incident.EIGHT_D_FIELDS
PRIVATE_ANSWER_REFUSAL = (
    "Private answers go only to organizations that reported this incident by name."
)


def incident_event(incident: Incident, kind: str, actor: User | None, **data: object) -> None:
    """Record one step of the incident's timeline (the outbox of webhooks and notifications)."""
    IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, data=data)


def require_actor(actor: User | None, incident: Incident) -> None:
    """Only the supplier's responders and admins, and operators, act on its incidents."""
    if not viewer_of(actor).may_act_for(incident.supplier_id):
        raise ApplicationError(
            "Only the supplier's responders and admins act on its incidents.", code="forbidden"
        )


def _begin(incident: Incident, actor: User, action: str) -> Incident | None:
    """The incident, locked for this transaction, if `action` is to change it; None when it is
    done already. Raises when the actor may not act or the status does not allow the action."""
    require_actor(actor, incident)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.allows(action):
        return incident
    if incident.has_done(action):
        return None
    raise ApplicationError(incident.refusal(action), field="status", code="conflict")


def _set_status(incident: Incident, actor: User, status: str, **extra: object) -> Incident:
    previous = incident.status
    if previous == status:
        return incident
    incident.status = status
    incident.last_activity_at = timezone.now()
    incident.save()
    incident_event(
        incident,
        IncidentEvent.Kind.STATUS_CHANGED,
        actor,
        **{"from": previous, "to": status},
        **extra,
    )
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, actor: User) -> Incident:
    locked = _begin(incident, actor, Action.ACKNOWLEDGE)
    if locked is None:
        return Incident.objects.get(pk=incident.pk)
    locked.acknowledged_at = locked.acknowledged_at or timezone.now()
    return _set_status(locked, actor, Incident.Status.ACKNOWLEDGED)


@transaction.atomic
def incident_start_investigation(*, incident: Incident, actor: User) -> Incident:
    locked = _begin(incident, actor, Action.INVESTIGATE)
    if locked is None:
        return Incident.objects.get(pk=incident.pk)
    locked.acknowledged_at = locked.acknowledged_at or timezone.now()
    return _set_status(locked, actor, Incident.Status.INVESTIGATING)


@transaction.atomic
def incident_resolve(*, incident: Incident, actor: User, note: str = "") -> Incident:
    locked = _begin(incident, actor, Action.RESOLVE)
    assert locked is not None  # resolving is never "done already": a resolved incident is refused
    note = clean_note(note)
    now = timezone.now()
    locked.acknowledged_at = locked.acknowledged_at or now
    locked.resolved_at = now
    return _set_status(locked, actor, Incident.Status.RESOLVED, note=note)


@transaction.atomic
def incident_close(*, incident: Incident, actor: User) -> Incident:
    locked = _begin(incident, actor, Action.CLOSE)
    assert locked is not None
    locked.closed_at = timezone.now()
    return _set_status(locked, actor, Incident.Status.CLOSED)


@transaction.atomic
def incident_assign(*, incident: Incident, actor: User, assignee: User | None) -> Incident:
    """Give the incident to a colleague at the supplier (User.objects.colleagues_of), or to nobody."""
    locked = _begin(incident, actor, Action.ASSIGN)
    assert locked is not None
    if (
        assignee is not None
        and not User.objects.colleagues_of(locked.supplier_id).filter(pk=assignee.pk).exists()
    ):
        raise ApplicationError(
            "Assign the incident to a colleague at this supplier.", field="assignee"
        )
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    locked.assignee = assignee
    locked.last_activity_at = timezone.now()
    locked.save()
    incident_event(
        locked,
        IncidentEvent.Kind.ASSIGNED,
        actor,
        assignee_id=assignee.pk if assignee else None,
        assignee=assignee.display_name if assignee else None,
    )
    return locked


def _check_private_recipient(incident: Incident, organization: Organization) -> None:
    """A private answer goes only to an organization the supplier already knows is involved:
    one that reported this incident by name. Anonymous reporters stay anonymous."""
    reported_by_name = Post.objects.filter(
        matches__incident=incident, organization=organization, visibility=Post.Visibility.NAMED
    ).exists()
    if not reported_by_name:
        raise ApplicationError(PRIVATE_ANSWER_REFUSAL, field="organization")


@transaction.atomic
def incident_respond(
    *,
    incident: Incident,
    author: User,
    body: str,
    organization: Organization | None = None,
) -> Response:
    """Answer publicly, or privately to one organization that reported this incident by name."""
    locked = _begin(incident, author, Action.RESPOND)
    assert locked is not None
    body = clean_answer(body)
    if organization is not None:
        _check_private_recipient(locked, organization)
    response = Response.objects.create(
        incident=locked,
        author=author,
        body=body,
        visibility=Response.Visibility.ORGANIZATION if organization else Response.Visibility.PUBLIC,
        organization=organization,
    )
    # The organization's name is never written to the event: webhooks and timelines read it.
    incident_event(
        locked,
        IncidentEvent.Kind.RESPONSE,
        author,
        response_id=response.pk,
        visibility=response.visibility,
    )
    if locked.acknowledged_at is None:
        locked.acknowledged_at = timezone.now()
    if locked.allows(Action.ACKNOWLEDGE):
        _set_status(locked, author, Incident.Status.ACKNOWLEDGED)
    else:
        locked.last_activity_at = timezone.now()
        locked.save()
    return response


@transaction.atomic
def incident_response_edit(*, response: Response, actor: User, body: str) -> Response:
    """Correct the words of an answer (an operator's moderation, or its supplier's own staff);
    who may read it does not change, and the timeline says that it was edited."""
    require_actor(actor, response.incident)
    response = Response.objects.select_for_update().get(pk=response.pk)
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
def incident_record_actions(*, incident: Incident, actor: User, **fields: str) -> Incident:
    """Record the supplier's 8D answer: containment, root cause, corrective, preventive, verification."""
    unknown = set(fields) - set(EIGHT_D_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown 8D field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    locked = _begin(incident, actor, Action.RECORD_8D)
    assert locked is not None
    changed = {}
    for name, value in clean_eight_d(fields).items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed[name] = value
    if not changed:
        return locked
    locked.last_activity_at = timezone.now()
    locked.save()
    incident_event(locked, IncidentEvent.Kind.ACTION_RECORDED, actor, fields=sorted(changed))
    return locked


@transaction.atomic
def incident_set_severity(*, incident: Incident, actor: User, severity: int) -> Incident:
    locked = _begin(incident, actor, Action.SET_SEVERITY)
    assert locked is not None
    if severity == locked.severity:
        return locked
    previous = locked.severity
    incident_apply_severity(locked, severity)
    incident_event(
        locked, IncidentEvent.Kind.SEVERITY_CHANGED, actor, **{"from": previous, "to": severity}
    )
    return locked
