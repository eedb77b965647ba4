"""What supplier staff (and operators) do with an incident. Every action leaves an IncidentEvent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from suppliers.models import Membership, Organization, User
from supplierwatch.errors import ApplicationError

from ..models import Incident, IncidentEvent, Post, Response
from .processing import incident_apply_severity

EIGHT_D_FIELDS = (
    "containment",
    "root_cause",
    "corrective_action",
    "preventive_action",
    "verification",
)


def _event(incident: Incident, kind: str, actor: User | None, **data) -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, data=data)


def _lock(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _set_status(incident: Incident, actor: User | None, status: str, **extra) -> Incident:
    previous = incident.status
    if previous == status:
        return incident
    incident.status = status
    incident.last_activity_at = timezone.now()
    incident.save()
    _event(
        incident,
        IncidentEvent.Kind.STATUS_CHANGED,
        actor,
        **{"from": previous, "to": status},
        **extra,
    )
    return incident


@transaction.atomic
def incident_acknowledge(*, incident: Incident, actor: User | None) -> Incident:
    incident = _lock(incident)
    if not incident.is_open:
        raise ApplicationError("Only open incidents can be acknowledged.", field="status")
    if incident.acknowledged_at is None:
        incident.acknowledged_at = timezone.now()
    if incident.status in (Incident.Status.NEW, Incident.Status.REOPENED):
        return _set_status(incident, actor, Incident.Status.ACKNOWLEDGED)
    incident.save()
    return incident


@transaction.atomic
def incident_start_investigation(*, incident: Incident, actor: User | None) -> Incident:
    incident = _lock(incident)
    if not incident.is_open:
        raise ApplicationError("Only open incidents can be investigated.", field="status")
    incident.acknowledged_at = incident.acknowledged_at or timezone.now()
    return _set_status(incident, actor, Incident.Status.INVESTIGATING)


@transaction.atomic
def incident_resolve(*, incident: Incident, actor: User | None, note: str = "") -> Incident:
    incident = _lock(incident)
    if not incident.is_open:
        raise ApplicationError("This incident is not open.", field="status")
    now = timezone.now()
    incident.acknowledged_at = incident.acknowledged_at or now
    incident.resolved_at = now
    return _set_status(incident, actor, Incident.Status.RESOLVED, note=note.strip())


@transaction.atomic
def incident_close(*, incident: Incident, actor: User | None) -> Incident:
    incident = _lock(incident)
    if incident.status != Incident.Status.RESOLVED:
        raise ApplicationError("Resolve the incident before closing it.", field="status")
    incident.closed_at = timezone.now()
    return _set_status(incident, actor, Incident.Status.CLOSED)


@transaction.atomic
def incident_assign(*, incident: Incident, actor: User | None, assignee: User | None) -> Incident:
    incident = _lock(incident)
    if (
        assignee is not None
        and not Membership.objects.people()
        .filter(user=assignee, supplier_id=incident.supplier_id)
        .exists()
    ):
        raise ApplicationError(
            "Assign the incident to a colleague at this supplier.", field="assignee"
        )
    if incident.assignee_id == (assignee.pk if assignee else None):
        return incident
    incident.assignee = assignee
    incident.last_activity_at = timezone.now()
    incident.save()
    _event(
        incident,
        IncidentEvent.Kind.ASSIGNED,
        actor,
        assignee_id=assignee.pk if assignee else None,
        assignee=assignee.display_name if assignee else None,
    )
    return incident


@transaction.atomic
def incident_respond(
    *,
    incident: Incident,
    author: User | None,
    body: str,
    organization: Organization | None = None,
) -> Response:
    """Answer publicly, or privately to one organization that reported this incident by name.

    A private answer can only go to an organization the supplier already knows is involved;
    anonymous reporters stay anonymous.
    """
    incident = _lock(incident)
    if not body.strip():
        raise ApplicationError("Write an answer.", field="body")
    if organization is not None:
        reported_by_name = Post.objects.filter(
            matches__incident=incident,
            organization=organization,
            visibility=Post.Visibility.NAMED,
        ).exists()
        if not reported_by_name:
            raise ApplicationError(
                "Private answers go only to organizations that reported this incident by name.",
                field="organization",
            )
    response = Response.objects.create(
        incident=incident,
        author=author,
        body=body.strip(),
        visibility=Response.Visibility.ORGANIZATION if organization else Response.Visibility.PUBLIC,
        organization=organization,
    )
    # The organization's name is never written to the event: webhooks and timelines read it.
    _event(
        incident,
        IncidentEvent.Kind.RESPONSE,
        author,
        response_id=response.pk,
        visibility=response.visibility,
    )
    if incident.acknowledged_at is None:
        incident.acknowledged_at = timezone.now()
    if incident.status in (Incident.Status.NEW, Incident.Status.REOPENED):
        _set_status(incident, author, Incident.Status.ACKNOWLEDGED)
    else:
        incident.last_activity_at = timezone.now()
        incident.save()
    return response


@transaction.atomic
def incident_record_actions(*, incident: Incident, actor: User | None, **fields: str) -> Incident:
    """Record the supplier's 8D answer: containment, root cause, corrective, preventive, verification."""
    unknown = set(fields) - set(EIGHT_D_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown 8D field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    incident = _lock(incident)
    changed = {}
    for name, value in fields.items():
        value = (value or "").strip()
        if getattr(incident, name) != value:
            setattr(incident, name, value)
            changed[name] = value
    if not changed:
        return incident
    incident.last_activity_at = timezone.now()
    incident.save()
    _event(incident, IncidentEvent.Kind.ACTION_RECORDED, actor, fields=sorted(changed))
    return incident


@transaction.atomic
def incident_set_severity(*, incident: Incident, actor: User | None, severity: int) -> Incident:
    incident = _lock(incident)
    if severity == incident.severity:
        return incident
    previous = incident.severity
    incident_apply_severity(incident, severity)
    _event(
        incident, IncidentEvent.Kind.SEVERITY_CHANGED, actor, **{"from": previous, "to": severity}
    )
    return incident
