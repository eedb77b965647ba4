"""The pipeline's write side: match, classify and group pending posts into incidents.

Idempotent and safe under concurrency: a batch claims its posts with SELECT ... FOR UPDATE SKIP
LOCKED (only pending ones), locks each incident it touches, and adds its evidence to that
incident's counters inside the same transaction (services/counters.py), so two workers adding
evidence to one incident at once both end up counted exactly once.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from suppliers.models import User
from supplierwatch.db import bulk_insert_rows, bulk_update_rows

from .. import engines, grouping
from ..classify import Classification
from ..matching import Match
from ..models import (
    Dispute,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
)
from ..signals import events_announce
from . import placing
from .complaint_days import Key, complaint_days_add, complaint_key, grouped_evidence
from .counters import COUNTER_FIELDS, counters_add, incidents_recount
from .follows import reporters_follow
from .monitors import monitor_matches_record
from .routing import incidents_route

# Posts per Celery task: large enough that per-batch costs (queue, commit, incident locks) stay
# small, small enough that a retried batch repeats little work.
BATCH_SIZE = 1000


# What processing reads of a post; loading only these keeps big batches cheap.
_PROCESSING_FIELDS = (
    "id",
    "source",
    "text",
    "visibility",
    "published_at",
    "organization_id",
    "author_id",
    # Counted: distinct public authors (services/counters.py).
    "author_handle",
    "supplier_id",
    "category_id",
    "severity",
    "sku",
    "lot",
    "attempts",
    "label_is_complaint",
    "label_category_id",
    "pinned_incident_id",
)


@dataclass
class ProcessResult:
    processed: int = 0
    complaints: int = 0
    incidents_opened: int = 0
    incidents_touched: int = 0


@dataclass
class _Evaluated:
    post: Post
    matches: list[PostMatch]
    classification: Classification
    category_id: int | None
    primary_supplier_id: int | None
    # The keyword monitors it satisfies.
    monitor_ids: set[int] = dataclasses.field(default_factory=set)


def _evaluate(posts: list[Post]) -> list[_Evaluated]:
    """Match and classify, outside any transaction: this is the CPU-bound part."""
    matcher, monitors = engines.get_matchers()
    classifier = engines.get_classifier()
    # One call for the whole batch: a learned model is many times faster on a batch than per text.
    predictions = classifier.classify_many([post.text for post in posts])
    away = disputed_away([post.pk for post in posts])
    evaluated = []
    for post, predicted in zip(posts, predictions, strict=True):
        if post.is_buyer_post:
            # The buyer said whom and what it is about; the text only fills a missing category.
            assert post.supplier_id is not None  # a buyer's report names its supplier
            matches = [
                PostMatch(
                    post=post,
                    supplier_id=post.supplier_id,
                    is_primary=True,
                    confidence=1.0,
                    **PostMatch.copies_of(post),
                )
            ]
            classification = Classification(
                is_complaint=True,
                category_id=post.category_id or predicted.category_id,
                complaint_score=1.0,
                version="buyer-report",
                scores=predicted.scores,
            )
            if post.supplier_id in away.get(post.pk, ()) or post.label_is_complaint is False:
                # Its reporting organization (or an operator) accepted the supplier's dispute.
                classification = Classification(
                    is_complaint=False,
                    category_id=None,
                    complaint_score=0.0,
                    version="label",
                    scores=predicted.scores,
                )
            primary: int | None = post.supplier_id
            # Buyers' reports are evidence for their supplier, never keyword hits for others.
            monitor_ids: set[int] = set()
        else:
            # One pass finds the suppliers the post names and the monitors' terms it contains.
            found, terms = matcher.search(post.text)
            found = _without(found, away.get(post.pk, set()))
            matches = [
                PostMatch(
                    post=post,
                    supplier_id=m.supplier_id,
                    alias_id=m.alias_id,
                    matched_text=post.text[m.start : m.end][:200],
                    start=m.start,
                    end=m.end,
                    confidence=m.confidence,
                    is_primary=m.is_primary,
                    **PostMatch.copies_of(post),
                )
                for m in found
            ]
            classification = _with_label(post, predicted)
            primary = next((m.supplier_id for m in found if m.is_primary), None)
            monitor_ids = monitors.satisfied(terms, [m.supplier_id for m in found])
        evaluated.append(
            _Evaluated(
                post, matches, classification, classification.category_id, primary, monitor_ids
            )
        )
    return evaluated


def disputed_away(post_ids: Sequence[int]) -> dict[int, set[int]]:
    """The suppliers each post is no evidence against: their disputes of it were accepted."""
    away: dict[int, set[int]] = defaultdict(set)
    rows = Dispute.objects.accepted().filter(post_id__in=post_ids)
    for post_id, supplier_id in rows.values_list("post_id", "supplier_id"):
        away[post_id].add(supplier_id)
    return away


def _without(found: list[Match], suppliers: set[int]) -> list[Match]:
    """The matches but those of these suppliers; the first one left is primary when the primary
    one went."""
    if not suppliers:
        return found
    kept = [m for m in found if m.supplier_id not in suppliers]
    if kept and not any(m.is_primary for m in kept):
        kept[0] = dataclasses.replace(kept[0], is_primary=True)
    return kept


def _with_label(post: Post, predicted: Classification) -> Classification:
    """A person's correction beats the classifier's guess."""
    if post.label_is_complaint is None:
        return predicted
    category_id = post.label_category_id or predicted.category_id
    return Classification(
        is_complaint=post.label_is_complaint,
        category_id=category_id if post.label_is_complaint else None,
        complaint_score=1.0 if post.label_is_complaint else 0.0,
        version="label",
        scores=predicted.scores,
    )


def posts_process(*, post_ids: Sequence[int]) -> ProcessResult:
    """Process the pending posts among post_ids; posts already processed are left alone."""
    candidates = list(
        Post.objects.filter(id__in=post_ids, status=Post.Status.PENDING)
        .only(*_PROCESSING_FIELDS)
        .order_by("id")
    )
    if not candidates:
        return ProcessResult()
    evaluated = _evaluate(candidates)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Everything written here is derived from committed posts. Should the server crash
            # before this commit reaches the disk, the posts are simply pending again and the
            # sweep processes them anew, so the commit need not wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        claimed = set(
            Post.objects.select_for_update(skip_locked=True)
            .filter(id__in=[e.post.pk for e in evaluated], status=Post.Status.PENDING)
            .values_list("id", flat=True)
        )
        evaluated = [e for e in evaluated if e.post.pk in claimed]
        result = _store(evaluated)
    # Once the batch's incident locks are released: a spike locks its supplier, then an incident.
    # Here rather than at the top: the spikes service raises severity with this module's help.
    from .spikes import spikes_detect_for

    spikes_detect_for(
        (item.primary_supplier_id, item.post.published_at)
        for item in evaluated
        if item.classification.is_complaint
        and item.primary_supplier_id is not None
        and item.post.visibility != Post.Visibility.PRIVATE
    )
    return result


def _store(evaluated: list[_Evaluated]) -> ProcessResult:
    now = timezone.now()
    result = ProcessResult(processed=len(evaluated))
    post_ids = [e.post.pk for e in evaluated]
    # Re-processing a post (after a correction) first takes back what it contributed before,
    # to its incidents and to the daily counts (written at the end, with what it brings now).
    evidence_before = grouped_evidence(post_ids)
    grouped_before = {(post_id, incident_id) for post_id, incident_id, _ in evidence_before}
    daily: Counter[Key] = Counter()
    daily.subtract(key for _, _, key in evidence_before if key is not None)
    touched: set[int] = {incident_id for _, incident_id in grouped_before}
    PostMatch.objects.filter(post_id__in=post_ids).delete()

    traced: dict[tuple[int, str], list[_Evaluated]] = defaultdict(list)
    by_problem: dict[int, list[_Evaluated]] = defaultdict(list)
    # The suppliers' placing locks before any incident row, in the order a merge or a split takes
    # them (services.merging), so neither can wait on the other in a cycle.
    for supplier_id in sorted(
        {
            item.primary_supplier_id
            for item in evaluated
            if item.classification.is_complaint and item.primary_supplier_id is not None
        }
    ):
        placing.lock_supplier(supplier_id)
    pinned = _pinned_incidents(evaluated)
    by_pin: dict[int, list[_Evaluated]] = defaultdict(list)
    for item in evaluated:
        if item.classification.is_complaint and item.primary_supplier_id is not None:
            result.complaints += 1
            pin = pinned.get(item.post.pk)
            if pin is not None and pin.supplier_id == item.primary_supplier_id:
                # Put there by a merge or a split: grouping does not undo a person's decision.
                by_pin[pin.pk].append(item)
                continue
            if not placing.is_traced(item):
                by_problem[item.primary_supplier_id].append(item)
                continue
            fingerprint = grouping.fingerprint(
                supplier_id=item.primary_supplier_id,
                category_key=str(item.category_id) if item.category_id else None,
                lot=item.post.lot,
                sku=item.post.sku,
            )
            traced[(item.primary_supplier_id, fingerprint)].append(item)

    # A fixed lock order (supplier; its lots and SKUs by fingerprint, then the rest of its
    # evidence) keeps concurrent workers from deadlocking.
    placed: list[placing.Placed] = [
        placing.Placed(incident, None, by_pin[incident.pk])
        for incident in {pin.pk: pin for pin in pinned.values()}.values()
        if by_pin.get(incident.pk)
    ]
    for supplier_id in sorted({s for s, _ in traced} | set(by_problem)):
        fingerprinted = []
        for fingerprint in sorted(f for s, f in traced if s == supplier_id):
            items = traced[(supplier_id, fingerprint)]
            incident, opened = placing.traced_place(
                supplier_id=supplier_id, fingerprint=fingerprint, items=items, now=now
            )
            fingerprinted.append(placing.Placed(incident, opened, items))
        placing.signatures_add(fingerprinted)
        placed.extend(fingerprinted)
        if by_problem.get(supplier_id):
            placed.extend(
                placing.problems_place(
                    supplier_id=supplier_id, items=by_problem[supplier_id], now=now
                )
            )

    events: list[IncidentEvent] = []
    new_evidence: dict[int, list[Post]] = defaultdict(list)
    opened_by: list[tuple[Incident, Post]] = []
    opened_ids: set[int] = set()
    for group in placed:
        incident, opened, items = group.incident, group.opened, group.items
        if opened is IncidentEvent.Kind.CREATED:
            result.incidents_opened += 1
        if opened is not None:
            # A new or reopened incident is routed. Only what the supplier may know of routes:
            # a private report stays unseen by it.
            shared = [i.post for i in items if i.post.visibility != Post.Visibility.PRIVATE]
            opened_by.extend([(incident, shared[0])] if shared else [])
        # The events that this evidence brings are dated as its reports are (to the hour for
        # whoever may not know who reported them): they would date the reports otherwise.
        reporters = reports_brought([item.post for item in items])
        if opened is not None:
            opened_ids.add(incident.pk)
            events.append(
                IncidentEvent(incident=incident, kind=opened, data={"by": "pipeline", **reporters})
            )
        _raise_severity(incident, items, events, reporters)
        touched.add(incident.pk)
        for item in items:
            for match in item.matches:
                if match.is_primary:
                    match.incident = incident
                    post = item.post
                    daily[
                        complaint_key(
                            published_at=post.published_at,
                            supplier_id=match.supplier_id,
                            category_id=item.category_id,
                            visibility=post.visibility,
                            organization_id=post.organization_id,
                        )
                    ] += 1
            new_evidence[incident.pk].append(item.post)

    # Evidence processed again was counted where it was: those incidents are recounted (below),
    # and its words leave their signatures. The others add this batch's evidence to what they hold.
    # (Evidence put back where a merge or a split pinned it added no words again: none are taken.)
    was_in = {incident_id for _, incident_id in grouped_before}
    by_post = {item.post.pk: item for item in evaluated}
    repinned = {item.post.pk for items in by_pin.values() for item in items}
    unplaced = placing.signatures_take_back(
        (
            (by_post[post_id], incident_id)
            for post_id, incident_id in grouped_before
            if post_id not in repinned
        ),
        placed,
    )
    placed_incidents = [group.incident for group in placed]
    counters_add(
        incidents=[i for i in placed_incidents if i.pk not in was_in],
        evidence=new_evidence,
        now=now,
    )
    placing.titles_update([*placed_incidents, *unplaced], also=COUNTER_FIELDS)

    bulk_insert_rows(PostMatch, [m for item in evaluated for m in item.matches])
    monitor_matches_record((item.post, item.monitor_ids) for item in evaluated)
    for item in evaluated:
        post, classification = item.post, item.classification
        post.status = Post.Status.PROCESSED
        post.status_changed_at = now
        post.attempts += 1
        post.error = ""
        post.is_complaint = classification.is_complaint
        # Kept for every post (the classifier's view of what it is about); only complaints
        # are grouped by it.
        post.predicted_category_id = item.category_id
        post.complaint_score = classification.complaint_score
        post.scores = classification.scores
        post.classifier_version = classification.version
    bulk_update_rows(
        Post,
        [item.post for item in evaluated],
        [
            "status",
            "status_changed_at",
            "attempts",
            "error",
            "is_complaint",
            "predicted_category",
            "complaint_score",
            "scores",
            "classifier_version",
        ],
    )
    active: set[int] = set()
    for incident_id, posts in new_evidence.items():
        shared = [p for p in posts if p.visibility != Post.Visibility.PRIVATE]
        if shared:
            active.add(incident_id)
            events.append(
                IncidentEvent(
                    incident_id=incident_id,
                    kind=IncidentEvent.Kind.POST_ADDED,
                    data={
                        "posts": len(shared),
                        "public_posts": sum(1 for p in shared if not p.is_buyer_post),
                        "post_ids": [p.pk for p in shared],
                        **reports_brought(shared),
                        # The evidence that opened (or reopened) the incident: no news beside that.
                        **({"opening": True} if incident_id in opened_ids else {}),
                    },
                )
            )
    events_announce(IncidentEvent.objects.bulk_create(events))
    # After its "created" (or "reopened") event: the incident goes to whom its supplier's rules name.
    incidents_route(opened=opened_by)
    # Reporters follow; a report reprocessed into the same incident is no new report.
    reporters_follow(
        reports=(
            (post.author_id, incident_id)
            for incident_id, posts in new_evidence.items()
            for post in posts
            if post.author_id is not None and (post.pk, incident_id) not in grouped_before
        )
    )
    incidents_recount(incident_ids=was_in, now=now, active_ids=active & was_in)
    # Last, after every incident lock this batch takes (services.complaint_days).
    complaint_days_add(daily)
    result.incidents_touched = len(touched)
    return result


def _pinned_incidents(evaluated: Sequence[_Evaluated]) -> dict[int, Incident]:
    """The incident each pinned post of the batch was put in by a merge or a split (the one it
    was merged into, when it was), locked for this transaction; by post id."""
    pins = {e.post.pk: e.post.pinned_incident_id for e in evaluated if e.post.pinned_incident_id}
    if not pins:
        return {}
    incidents = Incident.objects.select_for_update().in_bulk(set(pins.values()))
    targets = {i.merged_into_id for i in incidents.values() if i.merged_into_id is not None}
    if targets:
        incidents |= Incident.objects.select_for_update().in_bulk(targets)
    found: dict[int, Incident] = {}
    for post_id, incident_id in pins.items():
        incident = incidents.get(incident_id)
        if incident is not None and incident.merged_into_id is not None:
            incident = incidents.get(incident.merged_into_id)
        if incident is not None:
            found[post_id] = incident
    return found


def reports_brought(posts: Iterable[Post]) -> dict[str, int | None]:
    """What an event about these posts records of their reports, for IncidentEvent.hides_time_from
    (never shown: presenters.event_data reads only its own fields): how many buyer reports, how
    many of them not named, and the one organization they all come from (None if several)."""
    reports = [post for post in posts if post.is_buyer_post]
    organizations = {post.organization_id for post in reports}
    return {
        "buyer_reports": len(reports),
        "unnamed_reports": sum(1 for post in reports if post.visibility != Post.Visibility.NAMED),
        "report_organization": organizations.pop() if len(organizations) == 1 else None,
    }


def _raise_severity(
    incident: Incident, items: list[_Evaluated], events: list, reporters: dict[str, int | None]
) -> None:
    """A buyer who reports a worse problem raises the incident's severity, never lowers it."""
    # A private report stays private: it must not change what others see of the incident.
    reported = [
        i.post.severity
        for i in items
        if i.post.is_buyer_post and i.post.severity and i.post.visibility != Post.Visibility.PRIVATE
    ]
    if reported and max(reported) > incident.severity:
        event = incident_change_severity(incident, max(reported), by="report")
        event.data.update(reporters)
        events.append(event)


def incident_change_severity(
    incident: Incident, severity: int, *, actor: User | None = None, by: str = ""
) -> IncidentEvent:
    """Store a new severity, with the due times it brings forward (Incident.apply_severity), and
    give back the event that says so (unsaved: a batch writes its events at once). `by` names
    what changed it when no person did ("report", "spike")."""
    previous = incident.severity
    changed = incident.apply_severity(severity)
    Incident.objects.filter(pk=incident.pk).update(**{f: getattr(incident, f) for f in changed})
    data: dict[str, object] = {"from": previous, "to": severity}
    if by:
        data["by"] = by
    return IncidentEvent(
        incident=incident, kind=IncidentEvent.Kind.SEVERITY_CHANGED, actor=actor, data=data
    )


def posts_mark_failed(*, post_id: int, error: str) -> None:
    """A post the pipeline cannot process is set aside with the reason, so the batch goes on."""
    Post.objects.filter(pk=post_id, status=Post.Status.PENDING).update(
        status=Post.Status.FAILED, error=error[:2000], status_changed_at=timezone.now()
    )
