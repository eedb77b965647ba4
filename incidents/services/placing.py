"""Which incident each complaint of a batch joins: incidents/problems.py adapted to the models.

Buyer reports naming a lot or SKU keep their fingerprint (traced_place); everything else is placed
by what it says and when (problems_place). This module opens the incidents that evidence needs, and
keeps every incident's signature and title up to date with its evidence.

Concurrency: the placing of one supplier's complaints holds a transaction-level advisory lock on
that supplier (PostgreSQL; SQLite serialises writers anyway), so two workers never open two
incidents for one problem at once; the candidates are locked too, so a supplier resolving one
meanwhile waits for this batch (or this batch for it). Locks are taken supplier by supplier in id
order, as processing takes the fingerprints, so workers never wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q

from suppliers.models import Organization, Supplier
from supplierwatch.db import bulk_update_rows

from .. import grouping, problems
from ..models import (
    Category,
    Dispute,
    Incident,
    IncidentEvent,
    Post,
    PostMatch,
    Reply,
    Response,
    Severity,
    SlaTerms,
)
from ..signals import events_announce
from .follows import followers_follow

if TYPE_CHECKING:
    from datetime import datetime

    from .processing import _Evaluated

# The first key of this module's advisory locks (the second is the supplier's id): "SWgr".
_LOCK_SPACE = 0x53576772


@dataclass
class Placed:
    """An incident and the evidence of this batch that goes into it."""

    incident: Incident
    opened: IncidentEvent.Kind | None  # CREATED or REOPENED when this evidence did it
    items: list[_Evaluated]


def rules() -> problems.Rules:
    return problems.Rules(
        quiet_gap=timedelta(hours=settings.SW_GROUPING_QUIET_HOURS),
        reopen_window=timedelta(days=settings.SW_REOPEN_WINDOW_DAYS),
    )


def is_traced(item: _Evaluated) -> bool:
    """A buyer report that names a lot or SKU is grouped by it (traceability across buyers)."""
    post = item.post
    return post.is_buyer_post and bool(
        grouping.normalise_code(post.lot) or grouping.normalise_code(post.sku)
    )


def problem_prefix(supplier_id: int) -> str:
    return f"supplier:{supplier_id}|problem:"


def _features(item: _Evaluated) -> problems.Features:
    # Every supplier's name is taken out: it says whom a complaint is about, not what.
    spans = [(m.start, m.end) for m in item.matches if m.start is not None and m.end is not None]
    return problems.features(item.post.text, remove=spans)


def _shareable(post: Post) -> bool:
    return post.visibility != Post.Visibility.PRIVATE


def _category_key(item: _Evaluated) -> str | None:
    return str(item.category_id) if item.category_id else None


def _category_is_firm(item: _Evaluated) -> bool:
    """Did a person say what it is about: a buyer choosing a report's category, or a correction?"""
    person_said = item.post.is_buyer_post and item.post.category_id is not None
    return person_said or item.classification.version == "label"


def lock_supplier(supplier_id: int) -> None:
    """Hold the placing of this supplier's evidence until the transaction ends (merge and split
    take it too, so no batch places evidence into an incident they are emptying)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, supplier_id])


def _candidates(
    supplier_id: int, items: Sequence[_Evaluated], now: datetime, rules: problems.Rules
) -> list[Incident]:
    """The supplier's incidents this evidence may join: open ones with evidence within the quiet gap
    of it, and resolved ones within the reopen window; at most `max_candidates` of each, so the
    cost stays the same however many incidents the supplier has had."""
    times = [item.post.published_at for item in items]
    prefix = problem_prefix(supplier_id)
    # An incident that took in a problem incident by a merge is a candidate too (whatever its own
    # fingerprint): evidence that would have joined the merged one joins it.
    took_in_a_problem = Exists(
        Incident.objects.filter(merged_into=OuterRef("pk"), fingerprint__startswith=prefix)
    )
    mine = Incident.objects.select_for_update().filter(
        Q(fingerprint__startswith=prefix) | took_in_a_problem,
        supplier_id=supplier_id,
        merged_into__isnull=True,
    )
    open_ones = mine.filter(
        status__in=Incident.OPEN_STATUSES,
        last_seen_at__gte=min(times) - rules.quiet_gap,
        first_seen_at__lte=max(times) + rules.quiet_gap,
    ).order_by("-last_seen_at", "-id")[: rules.max_candidates]
    resolved = mine.filter(
        status=Incident.Status.RESOLVED, resolved_at__gte=now - rules.reopen_window
    ).order_by("-resolved_at", "-id")[: rules.max_candidates]
    return [*open_ones, *resolved]


def traced_place(
    *, supplier_id: int, fingerprint: str, items: list[_Evaluated], now: datetime
) -> tuple[Incident, IncidentEvent.Kind | None]:
    """The incident of a lot's or SKU's evidence (is_traced), locked for this transaction, and
    CREATED or REOPENED when this evidence opens it."""
    mine = Incident.objects.select_for_update().filter(
        supplier_id=supplier_id, fingerprint=fingerprint
    )
    open_incident = mine.filter(status__in=Incident.OPEN_STATUSES).first()
    last_resolved = None
    if open_incident is None:
        latest = mine.order_by("-id").first()
        if latest is not None and latest.merged_into_id is not None:
            # The lot's incident was merged: its evidence joins the merge's target, or reopens it
            # as a regression, as it would its own (a merge keeps `merged_into` on the last target).
            target = Incident.objects.select_for_update().get(pk=latest.merged_into_id)
            open_incident = target if target.is_open else None
            last_resolved = target if target.status == Incident.Status.RESOLVED else None
        else:
            last_resolved = (
                mine.filter(status=Incident.Status.RESOLVED).order_by("-resolved_at").first()
            )
    decision = grouping.decide(
        open_incident_id=open_incident.pk if open_incident else None,
        last_resolved_id=last_resolved.pk if last_resolved else None,
        last_resolved_at=last_resolved.resolved_at if last_resolved else None,
        now=now,
        reopen_window=rules().reopen_window,
    )
    if decision.action is grouping.Action.JOIN:
        assert open_incident is not None  # decided from its id
        return open_incident, None
    if decision.action is grouping.Action.REOPEN and not any(_shareable(i.post) for i in items):
        # Reopening would tell everyone about a private report; it opens an incident of its
        # own instead, which only its organization sees until shareable evidence joins it.
        decision = grouping.Decision(grouping.Action.OPEN)
    try:
        # A savepoint: if another worker opened this fingerprint meanwhile, the unique
        # constraint refuses ours and we join theirs instead.
        with transaction.atomic():
            if decision.action is grouping.Action.REOPEN:
                assert last_resolved is not None  # decided from its id
                last_resolved.reopen(now)
                last_resolved.save()
                return last_resolved, IncidentEvent.Kind.REOPENED
            return incident_open(
                supplier_id=supplier_id, fingerprint=fingerprint, sample=items[0], now=now
            ), IncidentEvent.Kind.CREATED
    except IntegrityError:
        return mine.get(status__in=Incident.OPEN_STATUSES), None


def _owners(incidents: Sequence[Incident]) -> dict[int, int]:
    """The incidents among these whose evidence is all private reports of one organization (none
    shareable: their counters are zero), with that organization: by incident id."""
    unshared = [incident.pk for incident in incidents if not incident.post_count]
    if not unshared:
        return {}
    rows = (
        PostMatch.objects.filter(incident_id__in=unshared)
        .values("incident_id")
        .annotate(
            # Read off the matches' copies of their posts (PostMatch.POST_COPIES): no join.
            organizations=Count("post_organization_id", distinct=True),
            organization=Min("post_organization_id"),
            shared=Count("id", filter=~Q(post_visibility=Post.Visibility.PRIVATE)),
        )
    )
    return {
        row["incident_id"]: row["organization"]
        for row in rows
        if row["organizations"] == 1 and not row["shared"]
    }


def problems_place(*, supplier_id: int, items: list[_Evaluated], now: datetime) -> list[Placed]:
    """Place one supplier's complaints that name no lot or SKU by what they say and when. The
    caller holds the supplier's lock (lock_supplier), taken before any incident row."""
    rules_now = rules()
    incidents = _candidates(supplier_id, items, now, rules_now)
    owners = _owners(incidents)
    candidates = [
        problems.Candidate(
            incident_id=incident.pk,
            category=str(incident.category_id) if incident.category_id else None,
            signature=problems.Signature.from_json(incident.signature),
            first_at=incident.first_seen_at or incident.created_at,
            last_at=incident.last_seen_at or incident.created_at,
            resolved_at=incident.resolved_at
            if incident.status == Incident.Status.RESOLVED
            else None,
            owner=owners.get(incident.pk),
        )
        for incident in incidents
    ]
    by_key: dict[Hashable, _Evaluated] = {item.post.pk: item for item in items}
    evidence = [
        problems.Evidence(
            key=item.post.pk,
            at=item.post.published_at,
            category=_category_key(item),
            features=_features(item),
            shareable=_shareable(item.post),
            firm_category=_category_is_firm(item),
            owner=None if _shareable(item.post) else item.post.organization_id,
        )
        for item in items
    ]
    placements, after = problems.group(evidence, candidates, now=now, rules=rules_now)
    known = {incident.pk: incident for incident in incidents}
    placed: dict[int, Placed] = {}
    # A burst of new problems asks for the supplier's SLA once per severity, not per incident.
    terms: dict[int, SlaTerms] = {}
    # First what each row's own evidence opens, reopens or joins; a row folded into another
    # (Placement.absorbs) opens nothing: its evidence goes where it was folded.
    for placement in placements:
        candidate = after[placement.candidate]
        if placement.candidate in placed or candidate.absorbed_into is not None:
            continue
        if placement.action is problems.Action.OPEN:
            incident = incident_open(
                supplier_id=supplier_id,
                fingerprint=problem_prefix(supplier_id) + uuid.uuid4().hex,
                sample=by_key[placement.key],
                now=now,
                save=False,
                terms=terms,
            )
            opened: IncidentEvent.Kind | None = IncidentEvent.Kind.CREATED
        else:
            assert candidate.incident_id is not None  # only new candidates are opened
            incident = known[candidate.incident_id]
            opened = None
            if placement.action is problems.Action.REOPEN:
                incident.reopen(now)
                incident.save()
                opened = IncidentEvent.Kind.REOPENED
        incident.signature = candidate.signature.to_json()
        placed[placement.candidate] = Placed(incident, opened, [])
    for placement in placements:
        folded_into = after[placement.candidate].absorbed_into
        row = placement.candidate if folded_into is None else folded_into
        placed[row].items.append(by_key[placement.key])
    # A burst of new problems is one INSERT, not one per incident.
    Incident.objects.bulk_create(
        [group.incident for group in placed.values() if group.incident.pk is None]
    )
    folded = [
        (known[candidate.incident_id], placed[candidate.absorbed_into].incident, candidate.owner)
        for candidate in after
        if candidate.absorbed_into is not None and candidate.incident_id is not None
    ]
    # Only the organization whose reports they are sees such an incident: its timeline says
    # where they went (they count in full for it; its pages redirect there for it alone:
    # selectors.merged_incident_target), and nothing is said on the shared one.
    events_announce(
        IncidentEvent.objects.bulk_create(
            IncidentEvent(
                incident=private,
                kind=IncidentEvent.Kind.MERGED_INTO,
                data={
                    "other_id": shared.pk,
                    "by": "pipeline",
                    "shared": False,
                    "posts": len(incident_fold(private, shared, now=now)),
                    "report_organization": owner,
                },
            )
            for private, shared, owner in folded
        )
    )
    return list(placed.values())


def incident_fold(source: Incident, target: Incident, *, now: datetime) -> list[Post]:
    """Move everything of `source` into `target` (of the same supplier, both locked) and leave
    the source behind, closed, as a pointer to it: its evidence (sticky: reprocessing puts it back
    there), disputes, answers, replies and followers. The posts moved. The caller records the events
    and recounts (a merge, or the pipeline folding an incident of private reports into a shared one).
    """
    moved = list(Post.objects.filter(matches__incident=source).order_by("pk"))
    PostMatch.objects.filter(incident=source).update(incident=target)
    Post.objects.filter(pk__in=[post.pk for post in moved]).update(pinned_incident=target)
    Post.objects.filter(pinned_incident=source).update(pinned_incident=target)
    # What was merged into the source points at the target itself: no chains to follow.
    Incident.objects.filter(merged_into=source).update(merged_into=target)
    Dispute.objects.filter(incident=source).update(incident=target)
    # The supplier's answers and the reporting buyers' replies are about the same problem: they
    # are read where its evidence is (their own rules of who reads them go along).
    Response.objects.filter(incident=source).update(incident=target)
    Reply.objects.filter(incident=source).update(incident=target)
    followers_follow(source, target)
    source.merged_into = target
    source.merged_at = now
    if source.status != Incident.Status.CLOSED:
        # Nothing more is due on it: its evidence and its promises are the target's now.
        source.status = Incident.Status.CLOSED
        source.closed_at = now
    source.sla_paused_at = None
    source.last_activity_at = now
    source.save()
    return moved


def signatures_add(placed: Iterable[Placed]) -> None:
    """Add the shareable evidence of fingerprinted incidents to their signatures (problems_place
    has done it for the others)."""
    for group in placed:
        signature = problems.Signature.from_json(group.incident.signature)
        for item in group.items:
            if _shareable(item.post):
                signature.add(_features(item))
        group.incident.signature = signature.to_json()


def signatures_rebuild(incidents: Iterable[Incident]) -> None:
    """Compute these incidents' signatures again from the shareable evidence they hold now (after
    a merge or a split moved some), in one query; the caller stores them (titles_update)."""
    incidents = list(incidents)
    shareable = (
        PostMatch.objects.filter(incident__in=incidents)
        .exclude(post__visibility=Post.Visibility.PRIVATE)
        .select_related("post")
        .prefetch_related(
            Prefetch("post__matches", queryset=PostMatch.objects.only("post_id", "start", "end"))
        )
    )
    signatures = {incident.pk: problems.Signature() for incident in incidents}
    for match in shareable:
        spans = [
            (m.start, m.end)
            for m in match.post.matches.all()
            if m.start is not None and m.end is not None
        ]
        assert match.incident_id is not None  # filtered by it
        signatures[match.incident_id].add(problems.features(match.post.text, remove=spans))
    for incident in incidents:
        incident.signature = signatures[incident.pk].to_json()


def signatures_take_back(
    reprocessed: Iterable[tuple[_Evaluated, int]], placed: Sequence[Placed]
) -> list[Incident]:
    """Evidence processed again (after a correction or an accepted dispute) was added to the
    signature of the incident it was in (`reprocessed`: each with that incident's id) and has just
    been added again where it is placed now: take the first addition back, so its words count once.
    The incidents changed that this batch did not place are given back, locked, for the caller to
    store with the others (titles_update)."""
    taken: dict[int, list[problems.Features]] = {}
    for item, incident_id in reprocessed:
        # What it is now tells what it added then: a report that was private added nothing.
        if _shareable(item.post):
            taken.setdefault(incident_id, []).append(_features(item))
    if not taken:
        return []
    placed_ones: dict[int, Incident] = {}
    for group in placed:
        # The first instance of each incident, as titles_update stores.
        placed_ones.setdefault(group.incident.pk, group.incident)
    others = sorted(set(taken) - set(placed_ones))
    loaded = list(Incident.objects.select_for_update().filter(pk__in=others).order_by("pk"))
    for incident in [*(placed_ones[i] for i in taken if i in placed_ones), *loaded]:
        signature = problems.Signature.from_json(incident.signature)
        for features in taken[incident.pk]:
            signature.remove(features)
        incident.signature = signature.to_json()
    return loaded


def titles_update(incidents: Iterable[Incident], *, also: Sequence[str] = ()) -> None:
    """Store each incident's signature and the title it gives, and the fields named in `also`
    (its counters), in one write for all (a query for each kind of name): the title follows the
    evidence as it grows."""
    one_each: dict[int, Incident] = {}
    for incident in incidents:
        one_each.setdefault(incident.pk, incident)
    incidents = list(one_each.values())
    if not incidents:
        return
    suppliers = dict(
        Supplier.objects.filter(pk__in={i.supplier_id for i in incidents}).values_list("pk", "name")
    )
    categories = dict(
        Category.objects.filter(
            pk__in={i.category_id for i in incidents if i.category_id}
        ).values_list("pk", "name")
    )
    # A report's words may name its own organization: no title repeats one. The names are read
    # each batch (a renamed organization counts at once); their words are worked out once each.
    unsaid = problems.words_of(Organization.objects.values_list("name", flat=True))
    for incident in incidents:
        supplier = suppliers.get(incident.supplier_id, "")
        incident.title = problems.title(
            category=categories.get(incident.category_id) if incident.category_id else None,
            supplier=supplier,
            signature=problems.Signature.from_json(incident.signature),
            lot=incident.lot,
            sku=incident.sku,
            unsaid_words=unsaid | problems.words_of([supplier]),
        )
    bulk_update_rows(Incident, incidents, ["signature", "title", *also])


def incident_open(
    *,
    supplier_id: int,
    fingerprint: str,
    sample: _Evaluated,
    now,
    save: bool = True,
    terms: dict[int, SlaTerms] | None = None,
) -> Incident:
    """A new incident for this evidence, with its SLA running (stored unless `save` is false, for
    the caller to store many at once); the title comes with its signature (titles_update).
    `terms`: the supplier's SLA terms by severity, filled as they are looked up, for a caller
    opening many incidents of one supplier in one transaction."""
    post = sample.post
    lot, sku = "", ""
    if is_traced(sample):
        lot = grouping.normalise_code(post.lot)
        sku = "" if lot else grouping.normalise_code(post.sku)
    severity = Severity.LOW if not post.is_buyer_post else (post.severity or Severity.MEDIUM)
    incident = Incident(
        supplier_id=supplier_id,
        category_id=sample.category_id,
        fingerprint=fingerprint,
        lot=lot,
        sku=sku,
        # Replaced by what its evidence says once placed (titles_update).
        title="Complaint",
        severity=severity,
        first_seen_at=post.published_at,
        last_seen_at=post.published_at,
    )
    if terms is None:
        incident.start_sla(now)
    else:
        if severity not in terms:
            terms[severity] = incident.sla_terms()
        incident.start_sla(now, terms[severity])
    if save:
        incident.save()
    return incident
