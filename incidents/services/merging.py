"""Merge and split: a supplier's responders (and operators) say that two incidents are one problem,
or that some evidence of one incident is another problem.

Merging moves every piece of evidence of the source (with its disputes, answers and replies) into
the target and leaves the source behind
as a pointer (`Incident.merged_into`): its pages redirect, and evidence that would have joined it
joins the target (processing follows the merge for lots and SKUs, placing for the rest). Splitting
moves the chosen evidence into a new incident, titled from it as the pipeline titles any incident.

Both are sticky: the evidence they move is pinned to where it was put (`Post.pinned_incident`), and
reprocessing it (a correction, a dispute decided) places it there again. Both hold the supplier's
placing lock and the incidents' rows, so no batch of the pipeline places evidence meanwhile, and
both leave events on the timelines of both incidents (the outbox of notifications and webhooks).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import viewer_of

from ..classify import Classification
from ..models import (
    Dispute,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
)
from ..signals import events_announce
from . import placing
from .counters import incidents_recount
from .follows import followers_follow
from .lifecycle import require_actor
from .processing import _Evaluated, reports_brought
from .routing import incidents_route

Kind = IncidentEvent.Kind
SAME_SUPPLIER = "Choose another incident of the same supplier (its number)."


def may_merge(who: object, incident: Incident) -> bool:
    """The supplier's responders and admins, and operators, merge and split its incidents: those
    who act on them (Viewer.may_act_for)."""
    return viewer_of(who).may_act_for(incident.supplier_id)


def _locked(supplier_id: int, *incident_ids: int) -> dict[int, Incident]:
    # The supplier's placing lock first, then the rows in id order: the pipeline's order.
    placing.lock_supplier(supplier_id)
    rows = Incident.objects.select_for_update().filter(pk__in=incident_ids).order_by("pk")
    return {incident.pk: incident for incident in rows}


def _shareable(posts: Sequence[Post]) -> list[Post]:
    return [post for post in posts if post.visibility != Post.Visibility.PRIVATE]


def _moved_data(posts: Sequence[Post]) -> dict[str, object]:
    """What an event records of the evidence it moved: how much everyone may count, and (never
    shown: presenters.event_data reads only its own fields) what dates its reports to the hour."""
    shared = _shareable(posts)
    return {
        "posts": len(shared),
        "public_posts": sum(1 for post in shared if not post.is_buyer_post),
        **reports_brought(shared),
    }


def _record(incident: Incident, kind: str, actor: User, **data: object) -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, kind=kind, actor=actor, data=data)


@transaction.atomic
def incident_merge(*, source: Incident, target_id: int, actor: User) -> Incident:
    """Merge `source` into the incident `target_id` (of the same supplier); the target, counted
    again.

    Refused, naming the field: merging an incident into itself, into another supplier's incident
    (or one that does not exist: the same words, so ids cannot be probed), merging an incident
    merged already, or into one that was."""
    require_actor(actor, source)
    if target_id == source.pk:
        raise ApplicationError("An incident cannot be merged into itself.", field="target")
    target = Incident.objects.filter(pk=target_id, supplier_id=source.supplier_id).first()
    if target is None:
        raise ApplicationError(SAME_SUPPLIER, field="target")
    rows = _locked(source.supplier_id, source.pk, target.pk)
    source, target = rows[source.pk], rows[target.pk]
    if source.is_merged:
        raise ApplicationError(
            f"This incident was merged into #{source.merged_into_id} already.",
            field="incident",
            code="conflict",
        )
    if target.is_merged:
        raise ApplicationError(
            f"#{target.pk} was merged into #{target.merged_into_id}: merge into that one.",
            field="target",
        )
    now = timezone.now()
    shared_before = source.post_count > 0
    moved = placing.incident_fold(source, target, now=now)

    placing.signatures_rebuild([target])
    placing.titles_update([target])
    incidents_recount(incident_ids=[source.pk, target.pk], now=now, active_ids=[target.pk])
    data = _moved_data(moved)
    events = [
        _record(target, Kind.MERGED, actor, other_id=source.pk, **data),
        _record(source, Kind.MERGED_INTO, actor, other_id=target.pk, shared=shared_before, **data),
    ]
    events_announce(events)
    target.refresh_from_db()
    return target


def _sample(post: Post, category_id: int | None, supplier_id: int) -> _Evaluated:
    """The evidence that opens the split's incident, as placing.incident_open reads it."""
    classification = Classification(
        is_complaint=True, category_id=category_id, complaint_score=1.0, version="split"
    )
    return _Evaluated(post, [], classification, category_id, supplier_id)


def _category_of(posts: Sequence[Post]) -> int | None:
    """The category most of the evidence is shown in (Post.shown_category)."""
    counted = Counter(
        post.category_id or post.label_category_id or post.predicted_category_id for post in posts
    )
    counted.pop(None, None)
    return counted.most_common(1)[0][0] if counted else None


@transaction.atomic
def incident_split(*, incident: Incident, posts: Sequence[Post], actor: User) -> Incident:
    """Move these posts of the incident into a new incident of its supplier; the new incident.

    Refused, naming the field `evidence`: no evidence chosen, evidence not in the incident, or all
    the evidence the actor may read (that is no split: nothing would stay)."""
    require_actor(actor, incident)
    chosen = {post.pk for post in posts}
    if not chosen:
        raise ApplicationError("Choose the evidence to split out.", field="evidence")
    incident = _locked(incident.supplier_id, incident.pk)[incident.pk]
    if incident.is_merged:
        raise ApplicationError(
            f"This incident was merged into #{incident.merged_into_id}.",
            field="incident",
            code="conflict",
        )
    readable = set(
        Post.objects.visible_to(actor)
        .filter(matches__incident=incident)
        .values_list("pk", flat=True)
    )
    if not chosen <= readable:
        raise ApplicationError("This evidence is not part of the incident.", field="evidence")
    if chosen == readable:
        raise ApplicationError(
            "Leave some evidence in this incident: a split moves part of it.", field="evidence"
        )
    now = timezone.now()
    moved = list(Post.objects.filter(pk__in=chosen).order_by("published_at", "pk"))
    shared = _shareable(moved)
    category_id = _category_of(shared or moved)
    sample = next(iter(shared or moved))
    new = placing.incident_open(
        supplier_id=incident.supplier_id,
        fingerprint=placing.problem_prefix(incident.supplier_id) + uuid.uuid4().hex,
        sample=_sample(sample, category_id, incident.supplier_id),
        now=now,
    )
    PostMatch.objects.filter(incident=incident, post_id__in=chosen).update(incident=new)
    Post.objects.filter(pk__in=chosen).update(pinned_incident=new)
    Dispute.objects.filter(incident=incident, post_id__in=chosen).update(incident=new)
    followers_follow(incident, new)

    placing.signatures_rebuild([incident, new])
    placing.titles_update([incident, new])
    incidents_recount(incident_ids=[incident.pk, new.pk], now=now)
    data = _moved_data(moved)
    events = [
        _record(incident, Kind.SPLIT, actor, other_id=new.pk, **data),
        _record(new, Kind.SPLIT_FROM, actor, other_id=incident.pk, **data),
    ]
    events_announce(events)
    # A new incident goes to whom its supplier's rules name, after its own first event.
    new.refresh_from_db()
    incidents_route(opened=[(new, shared[0])] if shared else [])
    return new
