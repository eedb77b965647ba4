"""The 8D: updating one discipline (its text, owner, due and done dates), and giving back to nobody
the disciplines of a colleague who may no longer act. Every change leaves an IncidentEvent of kind
EIGHT_D, the timeline's record of the 8D's progress."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..inputs import clean_eight_d_date, clean_eight_d_done, clean_eight_d_text
from ..models import Discipline, EightDStep, Incident, IncidentEvent
from ..signals import events_announce
from .assignments import check_assignee
from .lifecycle import _begin


class _Keep(enum.Enum):
    KEEP = "keep"


# An argument left as KEEP leaves that part of the discipline as it is.
KEEP = _Keep.KEEP
UNKNOWN_DISCIPLINE = "Choose one of the eight disciplines, d1 to d8."


def _event(step: EightDStep, actor: User | None, changed: list[str], **extra: object) -> None:
    """Record the discipline's progress on the timeline; the owner by name, which the presenters
    show only to the supplier's own staff."""
    owner = step.owner
    event = IncidentEvent.objects.create(
        incident_id=step.incident_id,
        kind=IncidentEvent.Kind.EIGHT_D,
        actor=actor,
        data={
            "discipline": step.discipline,
            "changed": changed,
            "done": step.done_on is not None,
            "owner_id": owner.pk if owner else None,
            "owner": owner.display_name if owner else None,
            **extra,
        },
    )
    events_announce([event])


@transaction.atomic
def eightd_update(
    *,
    incident: Incident,
    discipline: str,
    actor: User,
    text: str | _Keep = KEEP,
    owner: User | _Keep | None = KEEP,
    due_on: date | str | _Keep | None = KEEP,
    done_on: date | str | _Keep | None = KEEP,
) -> EightDStep:
    """Change one discipline of the incident's 8D; the parts left as KEEP stay as they are. The
    owner is a colleague who may act (check_assignee), or None (nobody). Saving what is already
    recorded changes nothing and records no event."""
    locked = _begin(incident, actor, Incident.Action.RECORD_8D)
    if discipline not in Discipline.values:
        raise ApplicationError(UNKNOWN_DISCIPLINE, field="discipline")
    wanted: dict[str, object] = {}
    if text is not KEEP:
        wanted["text"] = clean_eight_d_text(text)
    if owner is not KEEP:
        check_assignee(locked.supplier_id, owner, field="owner")
        wanted["owner"] = owner
    if due_on is not KEEP:
        wanted["due_on"] = clean_eight_d_date(due_on, "due_on")
    if done_on is not KEEP:
        wanted["done_on"] = clean_eight_d_done(done_on, timezone.localdate())
    # The incident's lock (_begin) serialises the writers of its disciplines.
    step = EightDStep.objects.filter(incident=locked, discipline=discipline).first() or EightDStep(
        incident=locked, discipline=discipline
    )
    changed = [name for name, value in wanted.items() if getattr(step, name) != value]
    if not changed:
        return step
    for name in changed:
        setattr(step, name, wanted[name])
    step.save()
    locked.last_activity_at = timezone.now()
    locked.save(update_fields=["last_activity_at", "updated_at"])
    _event(step, actor, changed)
    return step


@transaction.atomic
def eightd_release_owner(*, supplier_id: int, user: User, actor: User | None, reason: str) -> int:
    """The disciplines `user` owns at this supplier that are not done yet go back to nobody, each
    with an event saying why; how many did. Done disciplines keep their owner: who did the work
    stays part of the record."""
    steps = (
        EightDStep.objects.select_for_update()
        .filter(incident__supplier_id=supplier_id, owner=user, done_on__isnull=True)
        .order_by("pk")
    )
    count = 0
    for step in steps:
        step.owner = None
        step.save(update_fields=["owner", "updated_at"])
        _event(step, actor, ["owner"], reason=reason, previous=user.display_name)
        count += 1
    return count


def on_colleague_stopped_owning(
    sender: object, *, supplier_id: int, user: User, actor: User | None, reason: str, **_: Any
) -> None:
    """A receiver of suppliers.signals.colleague_stopped_acting (IncidentsConfig.ready)."""
    eightd_release_owner(supplier_id=supplier_id, user=user, actor=actor, reason=reason)
