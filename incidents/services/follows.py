"""Buyers following incidents: follow, unfollow, and marking what they have seen."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError

from ..models import Follow, Incident


@transaction.atomic
def incident_follow(*, user: User, incident: Incident) -> Follow:
    """Follow an incident the user may see; following twice changes nothing."""
    if not Incident.objects.visible_to(user).filter(pk=incident.pk).exists():
        # The same words as for a missing incident: ids cannot be probed through this.
        raise ApplicationError("No such incident.", field="incident", code="not_found")
    follow, _ = Follow.objects.get_or_create(user=user, incident=incident)
    return follow


@transaction.atomic
def incident_unfollow(*, user: User, incident: Incident) -> None:
    """Stop following; unfollowing an incident not followed changes nothing."""
    Follow.objects.filter(user=user, incident=incident).delete()


def follow_mark_seen(*, user: User, incident: Incident) -> bool:
    """Everything on the incident up to now has been seen, if the person follows it (one UPDATE);
    whether they do."""
    return bool(Follow.objects.filter(user=user, incident=incident).update(seen_at=timezone.now()))
