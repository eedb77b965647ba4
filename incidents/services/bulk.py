"""One action on several incidents at once (the portal list's bulk actions): each incident goes
through the action's own service, so each change is checked and recorded (one IncidentEvent) as if
it were taken alone, and one refusal does not undo the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..models import Incident
from .lifecycle import (
    incident_acknowledge,
    incident_assign,
    incident_close,
    incident_set_severity,
)

Action = Incident.Action
BULK_ACTIONS = (Action.ACKNOWLEDGE, Action.ASSIGN, Action.SET_SEVERITY, Action.CLOSE)
# A page of the portal's list is 25; a request names at most this many incidents.
BULK_MAX = 100
NOT_FOUND = "No such incident."


@dataclass
class BulkOutcome:
    """What a bulk action did, by incident id: changed, already so, and refused with the reason."""

    done: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _unchanged(
    incident: Incident, action: str, assignee: User | None, severity: int | None
) -> bool:
    if action == Action.ASSIGN:
        return incident.assignee_id == (assignee.pk if assignee else None)
    if action == Action.SET_SEVERITY:
        return incident.severity == severity
    return incident.has_done(action)


def incidents_act_in_bulk(
    *,
    actor: User,
    incident_ids: Iterable[int],
    action: str,
    assignee: User | None = None,
    severity: int | None = None,
) -> BulkOutcome:
    """Take `action` (BULK_ACTIONS) on each incident the actor may see, each in its own transaction
    (the services'), in the order given. An incident the actor may not see is refused in the words
    of a missing one."""
    if action not in BULK_ACTIONS:
        raise ApplicationError("Choose acknowledge, assign, set severity or close.", field="action")
    if action == Action.SET_SEVERITY and severity is None:
        raise ApplicationError("Choose the severity to set.", field="severity")
    ids = list(dict.fromkeys(incident_ids))
    if not ids:
        raise ApplicationError("Select at least one incident.", field="incident")
    if len(ids) > BULK_MAX:
        raise ApplicationError(f"Select at most {BULK_MAX} incidents at once.", field="incident")
    found = Incident.objects.visible_to(actor).in_bulk(ids)
    outcome = BulkOutcome()
    for pk in ids:
        incident = found.get(pk)
        if incident is None:
            outcome.refused.append((pk, NOT_FOUND))
            continue
        if _unchanged(incident, action, assignee, severity):
            outcome.unchanged.append(pk)
            continue
        try:
            if action == Action.ACKNOWLEDGE:
                incident_acknowledge(incident=incident, actor=actor)
            elif action == Action.ASSIGN:
                incident_assign(incident=incident, actor=actor, assignee=assignee)
            elif action == Action.SET_SEVERITY:
                assert severity is not None
                incident_set_severity(incident=incident, actor=actor, severity=severity)
            else:
                incident_close(incident=incident, actor=actor)
        except ApplicationError as error:
            outcome.refused.append((pk, error.message))
        else:
            outcome.done.append(pk)
    return outcome
