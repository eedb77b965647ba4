"""Workers processing evidence of one incident at the same moment count every post exactly once.

Real threads, each with its own PostgreSQL connection, committing for real (transactional tests).
SQLite serialises writers, so only PostgreSQL shows what several workers do at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import cycle

import pytest
from django.db import connection
from django.utils import timezone

from incidents import engines, services
from incidents.models import Incident, IncidentEvent, Post, PostMatch
from incidents.services.complaint_days import complaint_days_drift
from incidents.services.counters import counters_drift
from suppliers.models import SupplierAlias
from tests.factories import (
    BuyerMembershipFactory,
    CategoryFactory,
    OrganizationFactory,
    SupplierAliasFactory,
    SupplierMembershipFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
PER_THREAD = 25
LOT = "L-778"


@pytest.fixture
def defect():
    # A transactional test starts without migration 0003's taxonomy: bring the one we need.
    return CategoryFactory(
        slug="defect", name="Defect / nonconformance", keywords=["cracked", "out of spec"]
    )


@pytest.fixture
def buyers(initech):
    organizations = [OrganizationFactory() for _ in range(10)]
    return [BuyerMembershipFactory(organization=organizations[i % 10]).user for i in range(40)]


def buyer_posts(n: int, *, supplier, category, buyers, lot: str, prefix: str) -> list[Post]:
    """n reports of one problem from many buyers of many organizations, some private or named."""
    visibilities = cycle(
        [Post.Visibility.ANONYMOUS, Post.Visibility.NAMED, Post.Visibility.PRIVATE]
        + [Post.Visibility.ANONYMOUS] * 4
    )
    authors = cycle(buyers)
    posts = []
    for i in range(n):
        author = next(authors)
        posts.append(
            Post(
                source=Post.BUYER_SOURCE,
                external_id=f"{prefix}-{i}",
                text="Housings cracked, out of spec",
                visibility=next(visibilities),
                organization_id=author.party.organization_id,
                author=author,
                supplier=supplier,
                category=category,
                lot=lot,
                severity=2,
                published_at=timezone.now(),
            )
        )
    return Post.objects.bulk_create(posts)


def public_posts(n: int, *, prefix: str) -> list[Post]:
    return Post.objects.bulk_create(
        Post(
            source="twitter",
            external_id=f"{prefix}-{i}",
            text="@initech the housings arrived cracked again, terrible",
            visibility=Post.Visibility.PUBLIC,
            author_handle=f"engineer{i % 30}",
            published_at=timezone.now(),
        )
        for i in range(n)
    )


def run_at_once(batches: Sequence[Sequence[int]]) -> None:
    """Process each batch in its own thread, all starting together; re-raise any error."""
    # Build the matcher and classifier first, so the threads meet in the database, not here.
    engines.get_matcher()
    engines.get_classifier()
    barrier = threading.Barrier(len(batches))
    errors: list[BaseException] = []

    def work(batch: Sequence[int]) -> None:
        try:
            barrier.wait(timeout=30)
            services.posts_process(post_ids=list(batch))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker thread hung"
    assert not errors, errors


def truth(post_ids: Sequence[int]) -> dict[str, int]:
    """The counters recomputed from the posts alone, independently of the pipeline."""
    shared = list(Post.objects.filter(pk__in=post_ids).exclude(visibility=Post.Visibility.PRIVATE))
    buyer = [p for p in shared if p.is_buyer_post]
    public = [p for p in shared if not p.is_buyer_post]
    return {
        "post_count": len(shared),
        "public_post_count": len(public),
        "reporter_count": len({p.author_id for p in buyer})
        + len({p.author_handle for p in public}),
        "organization_count": len({p.organization_id for p in buyer}),
    }


def counters(incident: Incident) -> dict[str, int]:
    return {name: getattr(incident, name) for name in truth([])}


def assert_each_post_processed_once(post_ids: Sequence[int]) -> None:
    posts = Post.objects.filter(pk__in=post_ids)
    assert set(posts.values_list("status", flat=True)) == {Post.Status.PROCESSED}
    assert set(posts.values_list("attempts", flat=True)) == {1}
    assert PostMatch.objects.filter(post_id__in=post_ids).count() == len(post_ids)


def test_workers_adding_one_lots_reports_at_once_count_each_exactly_once(initech, defect, buyers):
    posts = buyer_posts(
        THREADS * PER_THREAD,
        supplier=initech,
        category=defect,
        buyers=buyers,
        lot=LOT,
        prefix="lot",
    )
    ids = [p.pk for p in posts]

    run_at_once([ids[i::THREADS] for i in range(THREADS)])

    assert_each_post_processed_once(ids)
    (incident,) = Incident.objects.all()
    assert incident.is_open
    assert incident.lot == LOT
    assert set(PostMatch.objects.values_list("incident_id", flat=True)) == {incident.pk}
    assert counters(incident) == truth(ids)
    assert incident.organization_count == 10
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.CREATED).count() == 1
    added = IncidentEvent.objects.filter(kind=IncidentEvent.Kind.POST_ADDED)
    assert sum(e.data["posts"] for e in added) == truth(ids)["post_count"]


def test_workers_adding_reports_and_public_posts_at_once_count_each_exactly_once(
    initech, defect, buyers
):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    half = THREADS * PER_THREAD // 2
    # No lot and no SKU: the reports are grouped with the public complaints by what they say.
    posts = buyer_posts(
        half, supplier=initech, category=defect, buyers=buyers, lot="", prefix="mixed"
    )
    posts += public_posts(half, prefix="mixed")
    ids = [p.pk for p in posts]

    run_at_once([ids[i::THREADS] for i in range(THREADS)])

    assert_each_post_processed_once(ids)
    # Whichever thread comes first: a private report placed before any shared evidence of its
    # problem opens an incident of its own, which the shared evidence folds in. All the evidence
    # ends in one incident, counted once.
    (incident,) = Incident.objects.filter(merged_into__isnull=True)
    assert set(PostMatch.objects.values_list("incident_id", flat=True)) == {incident.pk}
    assert counters(incident) == truth(ids)
    assert incident.public_post_count == half


def test_workers_adding_reports_of_many_lots_at_once_neither_deadlock_nor_miscount(
    initech, defect, buyers
):
    lots = [f"L-{n}" for n in range(5)]
    posts = []
    for n, lot in enumerate(lots):
        posts += buyer_posts(
            THREADS * PER_THREAD // len(lots),
            supplier=initech,
            category=defect,
            buyers=buyers[n:],
            lot=lot,
            prefix=lot,
        )
    ids = [p.pk for p in posts]
    # Every batch holds every lot, in a different order: the workers lock incidents in one order.
    batches = [ids[i::THREADS] for i in range(THREADS)]
    batches = [batch if i % 2 else list(reversed(batch)) for i, batch in enumerate(batches)]

    run_at_once(batches)

    assert_each_post_processed_once(ids)
    assert Incident.objects.count() == len(lots)
    for lot in lots:
        incident = Incident.objects.get(lot=lot)
        assert counters(incident) == truth([p.pk for p in posts if p.lot == lot])


def test_workers_adding_lots_and_public_posts_of_one_supplier_at_once_do_not_deadlock(
    initech, defect, buyers
):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    posts = public_posts(THREADS * PER_THREAD // 2, prefix="text")
    for lot in ("L-1", "L-2"):
        posts += buyer_posts(
            THREADS * PER_THREAD // 4,
            supplier=initech,
            category=defect,
            buyers=buyers,
            lot=lot,
            prefix=lot,
        )
    ids = [p.pk for p in posts]
    batches = [ids[i::THREADS] for i in range(THREADS)]
    batches = [batch if i % 2 else list(reversed(batch)) for i, batch in enumerate(batches)]

    run_at_once(batches)

    assert_each_post_processed_once(ids)
    # One incident per lot, and one for the public posts' problem: no worker opened a second.
    assert Incident.objects.count() == 3
    text_ids = [p.pk for p in posts if not p.is_buyer_post]
    (incident,) = Incident.objects.filter(lot="", sku="")
    assert counters(incident) == truth(text_ids)


def test_two_workers_adding_to_the_same_incidents_round_after_round_keep_every_counter_exact(
    initech, defect, buyers
):
    """Every stored counter (named ones, public authors, first and last evidence included) equals
    a recount after two workers added, three times over, reports and public posts whose authors,
    handles and organizations the incidents already count, and each other's."""
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    ids = []
    for round_ in range(3):
        batches = []
        for worker in ("a", "b"):
            prefix = f"{worker}{round_}"
            posts = buyer_posts(
                PER_THREAD, supplier=initech, category=defect, buyers=buyers, lot=LOT, prefix=prefix
            )
            posts += public_posts(PER_THREAD, prefix=prefix)
            batches.append([p.pk for p in posts])
        run_at_once(batches)
        ids += [pk for batch in batches for pk in batch]

    assert_each_post_processed_once(ids)
    incidents = list(Incident.objects.values_list("pk", flat=True))
    assert len(incidents) == 2
    assert counters_drift(incident_ids=incidents) == []
    assert complaint_days_drift() == []
    lot = Incident.objects.get(lot=LOT)
    assert counters(lot) == truth(list(Post.objects.filter(lot=LOT).values_list("pk", flat=True)))


def test_workers_adding_evidence_to_a_resolved_incident_at_once_reopen_it_once(
    initech, defect, buyers, operator
):
    (first,) = buyer_posts(
        1, supplier=initech, category=defect, buyers=buyers, lot=LOT, prefix="before"
    )
    services.posts_process(post_ids=[first.pk])
    resolved = Incident.objects.get()
    services.incident_resolve(incident=resolved, actor=operator)
    posts = buyer_posts(
        THREADS * PER_THREAD,
        supplier=initech,
        category=defect,
        buyers=buyers,
        lot=LOT,
        prefix="after",
    )
    ids = [p.pk for p in posts]

    run_at_once([ids[i::THREADS] for i in range(THREADS)])

    assert_each_post_processed_once(ids)
    (incident,) = Incident.objects.all()
    assert incident.status == Incident.Status.REOPENED
    assert incident.reopened_count == 1
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.REOPENED).count() == 1
    assert counters(incident) == truth([first.pk, *ids])


def test_two_workers_given_the_same_batch_process_each_post_once(initech, defect, buyers):
    posts = buyer_posts(
        PER_THREAD * 4,
        supplier=initech,
        category=defect,
        buyers=buyers,
        lot=LOT,
        prefix="same",
    )
    ids = [p.pk for p in posts]

    run_at_once([ids, list(reversed(ids))])

    assert_each_post_processed_once(ids)
    (incident,) = Incident.objects.all()
    assert counters(incident) == truth(ids)
    assert IncidentEvent.objects.filter(kind=IncidentEvent.Kind.CREATED).count() == 1


def test_workers_opening_incidents_at_once_give_each_round_robin_turn_once(
    initech, defect, buyers, ivy
):
    group = [SupplierMembershipFactory(supplier=initech).user for _ in range(3)]
    rule = services.routing_rule_save(actor=ivy, supplier=initech, name="Turns", assignees=group)
    posts = []
    for n in range(THREADS * 3):  # every post a lot of its own: a new incident each
        posts += buyer_posts(
            1, supplier=initech, category=defect, buyers=buyers, lot=f"RR-{n}", prefix=f"rr{n}"
        )
    posts = [p for p in posts if p.visibility != Post.Visibility.PRIVATE]
    ids = [p.pk for p in posts]

    run_at_once([ids[i::THREADS] for i in range(THREADS)])

    incidents = Incident.objects.filter(lot__startswith="RR-")
    assert incidents.count() == len(ids)
    given = [i.assignee_id for i in incidents]
    rule.refresh_from_db()
    assert rule.turn == len(ids)
    per_person = sorted(given.count(user.pk) for user in group)
    assert per_person[-1] - per_person[0] <= 1, per_person
