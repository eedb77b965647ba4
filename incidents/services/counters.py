"""An incident's stored counters: added to by each batch's evidence, recounted where evidence leaves.

The pipeline adds a batch's new evidence to the counters of the incidents it joins
(`counters_add`): what the batch itself brings, plus a look at the incident's other evidence for
only the authors, handles and organizations the batch names, so its cost follows the batch, never
the incident's size. Evidence that leaves an incident (a correction, a deletion, an accepted
dispute: the post is processed again) is taken out by a full recount of that incident
(`incidents_recount`), which is also the check and the repair of the added counts
(`counters_drift`, `manage.py recount_incidents`).

Both write under the incident's row lock, so two workers adding to one incident never lose a count:
the second waits for the first to commit, then reads its counts and its evidence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from supplierwatch.db import bulk_update_rows

from ..models import Incident, Post, PostMatch

# The stored counters (last_activity_at is no count: it says when shareable evidence last came).
COUNTED_FIELDS = (
    "post_count",
    "public_post_count",
    "reporter_count",
    "organization_count",
    "named_post_count",
    "named_organization_count",
    "public_author_count",
    "first_seen_at",
    "last_seen_at",
)
COUNTER_FIELDS = (*COUNTED_FIELDS, "last_activity_at")


def _counts(post: Post) -> bool:
    """Only shareable evidence is counted: a private report stays out of everyone's figures."""
    return post.visibility != Post.Visibility.PRIVATE


def _handle(post: Post) -> str:
    return post.author_handle if not post.is_buyer_post else ""


@dataclass
class _Tally:
    """What one batch brings to one incident, in the terms of the recount."""

    posts: int = 0
    public_posts: int = 0
    named_posts: int = 0
    authors: set[int] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    organizations: set[int] = field(default_factory=set)
    named_organizations: set[int] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None

    def add(self, post: Post) -> None:
        named = post.visibility == Post.Visibility.NAMED
        self.posts += 1
        self.public_posts += not post.is_buyer_post
        self.named_posts += named
        if post.author_id is not None:
            self.authors.add(post.author_id)
        if _handle(post):
            self.handles.add(_handle(post))
        if post.organization_id is not None:
            self.organizations.add(post.organization_id)
            if named:
                self.named_organizations.add(post.organization_id)
        at = post.published_at
        self.first = at if self.first is None else min(self.first, at)
        self.last = at if self.last is None else max(self.last, at)


def counters_add(
    *, incidents: Iterable[Incident], evidence: Mapping[int, Sequence[Post]], now: datetime
) -> None:
    """Add each incident's new evidence of this batch (`evidence`: by incident id) to its counters,
    on the instances, for the caller to store (COUNTER_FIELDS).

    The caller holds each incident locked since before it loaded it (or opened it in this
    transaction), so the instance carries every count committed before; and it calls this before
    it stores the batch's matches (those of reprocessed posts already deleted), so the evidence
    read here is all the incident's other evidence. At most three queries, whatever the
    incidents' size: which of the batch's authors, handles and organizations each incident
    already counts.
    """
    tallies: dict[int, tuple[Incident, _Tally]] = {}
    for incident in incidents:
        counted = [post for post in evidence.get(incident.pk, ()) if _counts(post)]
        if not counted or incident.pk in tallies:
            continue
        tally = _Tally()
        for post in counted:
            tally.add(post)
        tallies[incident.pk] = (incident, tally)
    if not tallies:
        return
    known = _already_counted(
        incident_ids=list(tallies),
        authors={a for _, t in tallies.values() for a in t.authors},
        handles={h for _, t in tallies.values() for h in t.handles},
        organizations={o for _, t in tallies.values() for o in t.organizations},
    )
    for incident, tally in tallies.values():
        seen = known.get(incident.pk, _Known())
        authors = len(tally.authors - seen.authors)
        handles = len(tally.handles - seen.handles)
        if incident.post_count == 0:
            # Nothing shareable was counted: its first and last times were an unshared report's.
            incident.first_seen_at, incident.last_seen_at = tally.first, tally.last
        else:
            incident.first_seen_at = _earliest(incident.first_seen_at, tally.first)
            incident.last_seen_at = _latest(incident.last_seen_at, tally.last)
        incident.post_count += tally.posts
        incident.public_post_count += tally.public_posts
        incident.named_post_count += tally.named_posts
        incident.reporter_count += authors + handles
        incident.public_author_count += handles
        incident.organization_count += len(tally.organizations - seen.organizations)
        incident.named_organization_count += len(
            tally.named_organizations - seen.named_organizations
        )
        incident.last_activity_at = now


@dataclass
class _Known:
    authors: set[int] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    organizations: set[int] = field(default_factory=set)
    named_organizations: set[int] = field(default_factory=set)


def _already_counted(
    *,
    incident_ids: Sequence[int],
    authors: Collection[int],
    handles: Collection[str],
    organizations: Collection[int],
) -> dict[int, _Known]:
    """Which of these authors, handles and organizations each incident's other shareable evidence
    already has. Each question starts from the batch's own names (indexed on the post), so its
    cost follows how often they report, not how much evidence the incidents hold."""
    known: dict[int, _Known] = defaultdict(_Known)
    others = PostMatch.objects.filter(incident_id__in=incident_ids).exclude(
        post__visibility=Post.Visibility.PRIVATE
    )
    if authors:
        by_author = others.filter(post__author_id__in=authors).values_list(
            "incident_id", "post__author_id"
        )
        for incident_id, author_id in by_author.distinct():
            known[incident_id].authors.add(author_id)
    if handles:
        by_handle = (
            others.filter(post__author_handle__in=handles)
            .exclude(post__source=Post.BUYER_SOURCE)
            .values_list("incident_id", "post__author_handle")
        )
        for incident_id, handle in by_handle.distinct():
            known[incident_id].handles.add(handle)
    if organizations:
        by_organization = others.filter(post__organization_id__in=organizations).values_list(
            "incident_id", "post__organization_id", "post__visibility"
        )
        for incident_id, organization_id, visibility in by_organization.distinct():
            known[incident_id].organizations.add(organization_id)
            if visibility == Post.Visibility.NAMED:
                known[incident_id].named_organizations.add(organization_id)
    return known


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


def _recounted(incident_ids: Collection[int]) -> dict[int, Mapping[str, Any]]:
    """The counters of these incidents counted anew from all their shareable evidence (one
    query), by incident id; an incident without shareable evidence is absent."""
    public = ~Q(post__source=Post.BUYER_SOURCE)
    named = Q(post__visibility=Post.Visibility.NAMED)
    rows = (
        PostMatch.objects.filter(incident_id__in=incident_ids)
        .exclude(post__visibility=Post.Visibility.PRIVATE)
        .values("incident_id")
        .annotate(
            posts=Count("id"),
            public_posts=Count("id", filter=public),
            buyers=Count("post__author", distinct=True),
            handles=Count(
                "post__author_handle", distinct=True, filter=public & ~Q(post__author_handle="")
            ),
            organizations=Count("post__organization", distinct=True),
            named_posts=Count("id", filter=named),
            named_organizations=Count("post__organization", distinct=True, filter=named),
            first=Min("post__published_at"),
            last=Max("post__published_at"),
        )
        .order_by()
    )
    return {row["incident_id"]: row for row in rows}


def _apply_recount(incident: Incident, row: Mapping[str, Any]) -> None:
    incident.post_count = row.get("posts", 0)
    incident.public_post_count = row.get("public_posts", 0)
    incident.reporter_count = row.get("buyers", 0) + row.get("handles", 0)
    incident.organization_count = row.get("organizations", 0)
    incident.named_post_count = row.get("named_posts", 0)
    incident.named_organization_count = row.get("named_organizations", 0)
    incident.public_author_count = row.get("handles", 0)
    # Without shareable evidence, the times stay those of whatever opened it.
    incident.first_seen_at = row.get("first") or incident.first_seen_at
    incident.last_seen_at = row.get("last") or incident.last_seen_at


def incidents_recount(
    *, incident_ids: Iterable[int], now=None, active_ids: Iterable[int] | None = None
) -> None:
    """Recount the counters of these incidents from all their shareable evidence, under their
    row locks (taken in id order): where evidence leaves an incident, and the repair of drift.

    `active_ids` (default: all of them) get `last_activity_at = now`: an incident that only took
    in a private report must not look active to the parties who may not see that report.
    """
    incident_ids = sorted(set(incident_ids))
    if not incident_ids:
        return
    active = set(incident_ids if active_ids is None else active_ids)
    now = now or timezone.now()
    # Its own transaction where the caller has none: the locks must hold until the write.
    with transaction.atomic():
        incidents = list(
            Incident.objects.select_for_update().filter(id__in=incident_ids).order_by("id")
        )
        counted = _recounted(incident_ids)
        for incident in incidents:
            _apply_recount(incident, counted.get(incident.pk, {}))
            if incident.pk in active:
                incident.last_activity_at = now
        bulk_update_rows(Incident, incidents, COUNTER_FIELDS)


@dataclass(frozen=True)
class Drift:
    """A stored counter that differs from its recount."""

    incident_id: int
    field: str
    stored: object
    counted: object


def counters_drift(*, incident_ids: Iterable[int]) -> list[Drift]:
    """Every stored counter of these incidents that a recount would change (a read: nothing is
    written, nothing locked), in incident id order."""
    ids = sorted(set(incident_ids))
    counted = _recounted(ids)
    drift: list[Drift] = []
    fields = ("id", *COUNTED_FIELDS)
    for stored in Incident.objects.filter(id__in=ids).order_by("id").only(*fields):
        recounted = Incident(first_seen_at=stored.first_seen_at, last_seen_at=stored.last_seen_at)
        _apply_recount(recounted, counted.get(stored.pk, {}))
        drift.extend(
            Drift(stored.pk, name, getattr(stored, name), getattr(recounted, name))
            for name in COUNTED_FIELDS
            if getattr(stored, name) != getattr(recounted, name)
        )
    return drift


@dataclass
class CountersCheck:
    incidents: int = 0
    drift: list[Drift] = field(default_factory=list)
    repaired: int = 0


def incidents_counters_check(*, repair: bool, chunk: int = 500) -> CountersCheck:
    """Compare every incident's stored counters with a recount, a chunk of incidents at a time;
    with `repair`, recount those that drifted. A difference is confirmed under the incidents'
    locks before it is reported, so a batch committing meanwhile is not taken for drift."""
    result = CountersCheck()
    after = 0
    while True:
        ids = list(
            Incident.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return result
        after = ids[-1]
        result.incidents += len(ids)
        suspects = {d.incident_id for d in counters_drift(incident_ids=ids)}
        if not suspects:
            continue
        with transaction.atomic():
            locked = Incident.objects.select_for_update().filter(pk__in=suspects).order_by("pk")
            list(locked.values_list("pk", flat=True))
            confirmed = counters_drift(incident_ids=suspects)
            drifted = {d.incident_id for d in confirmed}
            if repair and drifted:
                incidents_recount(incident_ids=drifted, active_ids=())
                result.repaired += len(drifted)
        result.drift.extend(confirmed)
