"""Disputes: a supplier's staff say a piece of evidence in their incident is not a complaint or
not about them; an operator (and, for a buyer report, a member of the reporting organization)
accepts or rejects it.

While open, and when rejected, the evidence stays where it is, counted and visible, marked as
disputed. Only an accepted dispute takes it out: a public post that is not a complaint is
relabelled through posts_relabel (as an operator's correction, so it teaches the next model); any
other accepted dispute sends the post through the pipeline again, which leaves the disputing
supplier out of it for good (processing.disputed_away). Every step is an event on the timeline.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.errors import ApplicationError
from supplierwatch.viewers import Viewer, viewer_of

from ..inputs import clean_dispute, clean_note
from ..models import Dispute, Incident, IncidentEvent, Post, PostMatch
from .lifecycle import incident_event
from .queueing import posts_queue
from .training import posts_relabel

Kind = IncidentEvent.Kind
NOT_A_DECIDER = (
    "Only operators, and for a buyer report the organization that reported it, decide disputes."
)


def may_dispute(who: Viewer | User | None, incident: Incident) -> bool:
    """Supplier staff who act (responders and admins) dispute evidence in their own incidents."""
    viewer = viewer_of(who)
    return viewer.is_supplier_staff and viewer.may_act_for(incident.supplier_id)


def may_decide(who: Viewer | User | None, dispute: Dispute) -> bool:
    """Operators decide every dispute; a buyer's members decide those about its own reports."""
    return Dispute.objects.decidable_by(who).filter(pk=dispute.pk).exists()


def _event_data(dispute: Dispute, post: Post) -> dict[str, object]:
    # The reporting organization's id only decides what its members are told (the sentence says
    # "your organization's report"); presenters.event_data never lets it out.
    return {
        "dispute_id": dispute.pk,
        "reason": dispute.reason,
        "evidence": "buyer_report" if post.is_buyer_post else "public_post",
        "report_of": post.organization_id if post.is_buyer_post else None,
    }


@transaction.atomic
def dispute_open(
    *, post: Post, incident: Incident, actor: User, reason: str, note: str = ""
) -> Dispute:
    """The supplier disputes this evidence of its incident. Nothing is removed: the evidence is
    marked disputed until someone who may decide accepts. Disputing it again returns the dispute
    already made (a retried request succeeds)."""
    if not may_dispute(actor, incident):
        raise ApplicationError(
            "Only the supplier's responders and admins dispute its evidence.", code="forbidden"
        )
    reason, note = clean_dispute(reason, note)
    if not PostMatch.objects.filter(post=post, incident=incident).exists():
        raise ApplicationError("This evidence is not part of the incident.", field="evidence")
    if post.is_buyer_post and post.visibility == Post.Visibility.PRIVATE:
        # The supplier never sees a private report; it cannot dispute one.
        raise ApplicationError("This evidence is not part of the incident.", field="evidence")
    existing = Dispute.objects.filter(post=post, supplier_id=incident.supplier_id).first()
    if existing is not None:
        if existing.reason == reason and existing.incident_id == incident.pk:
            return existing
        raise ApplicationError(
            f"This evidence was disputed already ({existing.get_status_display().lower()}).",
            field="evidence",
            code="conflict",
        )
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                post=post,
                incident=incident,
                supplier_id=incident.supplier_id,
                reason=reason,
                note=note,
                opened_by=actor,
            )
    except IntegrityError:
        raise ApplicationError(
            "This evidence was disputed already.", field="evidence", code="conflict"
        ) from None
    incident_event(incident, Kind.DISPUTE_OPENED, actor, **_event_data(dispute, post))
    return dispute


def dispute_accept(*, dispute: Dispute, actor: User, note: str = "") -> Dispute:
    """Accept: the evidence leaves the supplier's incident (see the module docstring)."""
    return _decide(dispute=dispute, actor=actor, accepted=True, note=note)


def dispute_reject(*, dispute: Dispute, actor: User, note: str = "") -> Dispute:
    """Reject: the evidence stays, marked as a rejected dispute."""
    return _decide(dispute=dispute, actor=actor, accepted=False, note=note)


@transaction.atomic
def _decide(*, dispute: Dispute, actor: User, accepted: bool, note: str) -> Dispute:
    note = clean_note(note)
    locked = Dispute.objects.select_for_update().select_related("post").get(pk=dispute.pk)
    if not may_decide(actor, locked):
        raise ApplicationError(NOT_A_DECIDER, code="forbidden")
    status = Dispute.Status.ACCEPTED if accepted else Dispute.Status.REJECTED
    if locked.status == status:
        return locked  # decided so already: a retried request changes nothing
    if not locked.is_open:
        raise ApplicationError(
            f"This dispute was {locked.get_status_display().lower()} already.",
            field="status",
            code="conflict",
        )
    now = timezone.now()
    locked.status = status
    locked.decided_by = actor
    locked.decided_at = now
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    viewer = viewer_of(actor)
    post = locked.post
    incident_event(
        locked.incident,
        Kind.DISPUTE_ACCEPTED if accepted else Kind.DISPUTE_REJECTED,
        actor,
        **_event_data(locked, post),
        decided_by="operator" if viewer.is_operator else "reporter",
    )
    if accepted:
        _take_out(locked, post, actor, now)
    return locked


def _take_out(dispute: Dispute, post: Post, actor: User, now: datetime) -> None:
    """The accepted dispute's evidence leaves the supplier's incident once this commits."""
    if not post.is_buyer_post and dispute.reason == Dispute.Reason.NOT_A_COMPLAINT:
        # An operator's correction, as if made directly: the post is a training example.
        posts_relabel(posts=[post], actor=actor, is_complaint=False)
        return
    changes: dict[str, object] = {"status": Post.Status.PENDING, "status_changed_at": now}
    if post.is_buyer_post and dispute.reason == Dispute.Reason.NOT_A_COMPLAINT:
        # The reporting organization agrees it is no complaint: the next model learns so too.
        changes.update(label_is_complaint=False, labelled_by=actor, labelled_at=now)
    Post.objects.filter(pk=post.pk).update(**changes)
    posts_queue([post.pk])
