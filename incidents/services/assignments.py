"""Incidents given back to the team when whoever had them may no longer act on them."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from suppliers.models import User

from ..models import Incident
from .lifecycle import record_assignment

# Why an incident went back to the team, as its assignment event records it (`reason`).
LEFT = "left"
NOW_A_VIEWER = "viewer"


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
