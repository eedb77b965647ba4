"""Buyers following incidents: follow, unfollow, and marking what they have seen.

A reporter follows the incident their report is grouped into (reporters_follow), as a help desk
subscribes whoever writes in. Unfollowing is respected: nothing but a new report of theirs into the
same incident makes them follow it again (someone who writes again wants to hear the answer);
other people's reports, a reprocessed report, a status change do not.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def reporters_follow(*, reports: Iterable[tuple[int, int]]) -> None:
    """The authors of newly grouped reports follow their incidents: (author id, incident id)
    pairs, one query whatever their number. An API key's service user follows nothing; a
    follow that exists stays as it is (with what was seen)."""
    pairs = set(reports)
    people = set(
        User.objects.filter(
            pk__in={author for author, _ in pairs}, is_active=True, is_service_account=False
        ).values_list("pk", flat=True)
    )
    Follow.objects.bulk_create(
        [
            Follow(user_id=author, incident_id=incident)
            for author, incident in pairs
            if author in people
        ],
        ignore_conflicts=True,
    )


def followers_follow(source: Incident, target: Incident) -> None:
    """Whoever follows the source follows the target too (a merge, a split): it is where its
    news will be."""
    Follow.objects.bulk_create(
        [
            Follow(user_id=user_id, incident=target)
            for user_id in Follow.objects.filter(incident=source).values_list("user_id", flat=True)
        ],
        ignore_conflicts=True,
    )
