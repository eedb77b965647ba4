"""Who may be given an incident, giving it, and giving back to the team the incidents of a
colleague who may no longer act. Used by incident_assign (a person's choice), the routing rules and
the team's changes alike."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..models import Incident, IncidentEvent
from ..signals import events_announce

# Refusals that an adapter which looks the person up (the API, by e-mail) gives in the same words
# when it finds none.
NOT_A_COLLEAGUE = "Assign the incident to a colleague at this supplier."
MAY_NOT_ACT = (
    "Only responders and admins can be given incidents; this colleague is a viewer. "
    "An admin can change their role on the team page."
)
# Why an incident went back to the team, as its assignment event records it (`reason`).
LEFT = "left"
NOW_A_VIEWER = "viewer"


def check_assignee(supplier_id: int, assignee: User | None, field: str = "assignee") -> None:
    """Incidents go to colleagues who may act on them (User.objects.assignable_at), or to nobody
    (the team). A viewer, a former colleague and a stranger are refused, naming the field."""
    if assignee is None or User.objects.assignable_at(supplier_id).filter(pk=assignee.pk).exists():
        return
    if User.objects.colleagues_of(supplier_id).filter(pk=assignee.pk).exists():
        raise ApplicationError(MAY_NOT_ACT, field=field)
    raise ApplicationError(NOT_A_COLLEAGUE, field=field)


def record_assignment(
    locked: Incident, assignee: User | None, actor: User | None, **extra: object
) -> Incident:
    """Give a locked incident to `assignee` (None: the team) and record it on the timeline, the
    event from which the assignee is notified; nothing when it is theirs already. `extra` says
    why, when no person chose (a routing rule, a colleague who left)."""
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    locked.assignee = assignee
    locked.last_activity_at = timezone.now()
    locked.save()
    event = IncidentEvent.objects.create(
        incident=locked,
        kind=IncidentEvent.Kind.ASSIGNED,
        actor=actor,
        data={
            "assignee_id": assignee.pk if assignee else None,
            "assignee": assignee.display_name if assignee else None,
            **extra,
        },
    )
    # Told to the assignee by the notifications, whoever or whatever gave it.
    events_announce([event])
    return locked


@transaction.atomic
def incidents_return_to_team(
    *, supplier_id: int, user: User, actor: User | None, reason: str
) -> int:
    """Every open incident of the supplier assigned to `user` goes back to the team (assignee
    none), each with an assignment event saying why; how many did."""
    incidents = (
        Incident.objects.select_for_update()
        .filter(supplier_id=supplier_id, assignee=user)
        .open()
        .order_by("pk")
    )
    count = 0
    for locked in incidents:
        record_assignment(locked, None, actor, reason=reason, previous=user.display_name)
        count += 1
    return count


def on_colleague_stopped_acting(
    sender: object, *, supplier_id: int, user: User, actor: User | None, reason: str, **_: Any
) -> None:
    """The receiver of suppliers.signals.colleague_stopped_acting (IncidentsConfig.ready)."""
    incidents_return_to_team(supplier_id=supplier_id, user=user, actor=actor, reason=reason)
