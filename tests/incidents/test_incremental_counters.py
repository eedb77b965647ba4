"""Counters kept by adding each batch: always what a recount of the evidence gives, at a cost that
does not grow with the incident; drift is found and repaired by `manage.py recount_incidents`.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import count, cycle

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import problems, services
from incidents.models import Incident, Post, PostMatch
from incidents.services.counters import counters_drift
from suppliers.models import SupplierAlias
from tests.factories import (
    BuyerMembershipFactory,
    OrganizationFactory,
    SupplierAliasFactory,
    defect_category,
)

pytestmark = pytest.mark.django_db

CRACKED = "Housings cracked, out of spec"
TWEET = "@initech the housings arrived cracked again, terrible"
_ids = count()


@pytest.fixture
def defect():
    category = defect_category()
    category.keywords = ["cracked", "out of spec"]
    category.save()
    return category


@pytest.fixture
def buyers(initech):
    organizations = [OrganizationFactory() for _ in range(3)]
    return [BuyerMembershipFactory(organization=organizations[i % 3]).user for i in range(6)]


@pytest.fixture
def handle(initech):
    SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")


def reports(n, *, supplier, category, buyers, lot="L-9", start=0, at=None) -> list[Post]:
    """n reports of one lot: authors, organizations and visibilities repeating across batches."""
    visibilities = cycle(
        [Post.Visibility.ANONYMOUS, Post.Visibility.NAMED, Post.Visibility.PRIVATE]
    )
    authors = cycle(buyers[start % len(buyers) :] + buyers[: start % len(buyers)])
    posts = []
    for i in range(n):
        author = next(authors)
        posts.append(
            Post(
                source=Post.BUYER_SOURCE,
                external_id=f"r-{next(_ids)}",
                text=CRACKED,
                visibility=next(visibilities),
                organization_id=author.party.organization_id,
                author=author,
                supplier=supplier,
                category=category,
                lot=lot,
                severity=2,
                published_at=(at or timezone.now()) - timedelta(minutes=i),
            )
        )
    return Post.objects.bulk_create(posts)


def tweets(n, *, handles=5, at=None) -> list[Post]:
    return Post.objects.bulk_create(
        Post(
            source="twitter",
            external_id=f"t-{next(_ids)}",
            text=TWEET,
            visibility=Post.Visibility.PUBLIC,
            author_handle=f"engineer{i % handles}",
            published_at=(at or timezone.now()) + timedelta(minutes=i),
        )
        for i in range(n)
    )


def process(posts) -> None:
    services.posts_process(post_ids=[post.pk for post in posts])


def incident_of(post: Post) -> Incident:
    return PostMatch.objects.get(post=post, is_primary=True).incident


def test_counters_added_batch_by_batch_equal_a_recount(initech, defect, buyers, handle):
    earlier = timezone.now() - timedelta(hours=3)
    # The first batch has only a private report: its time is nobody else's first evidence.
    first = reports(3, supplier=initech, category=defect, buyers=buyers, at=earlier)
    process([first[2]])
    process(first[:2])
    for round_ in range(3):
        process(reports(4, supplier=initech, category=defect, buyers=buyers, start=round_))
        process(tweets(4))
    lot = incident_of(first[0])
    public = Incident.objects.exclude(pk=lot.pk).get()

    assert counters_drift(incident_ids=[lot.pk, public.pk]) == []
    lot.refresh_from_db()
    public.refresh_from_db()
    # Repeated authors, organizations and handles are counted once.
    assert lot.post_count == 11  # 15 reports, 4 of them private
    assert lot.organization_count == 3
    assert lot.reporter_count == 6
    # The earliest shared report, not the private one that opened it.
    assert lot.first_seen_at == first[1].published_at
    assert (public.post_count, public.public_author_count, public.reporter_count) == (12, 4, 4)


def test_evidence_processed_again_is_counted_once(initech, defect, buyers, handle):
    posts = [*reports(3, supplier=initech, category=defect, buyers=buyers), *tweets(3)]
    process(posts)
    Post.objects.filter(pk__in=[p.pk for p in posts]).update(status=Post.Status.PENDING)
    process(posts)

    incidents = Incident.objects.values_list("pk", flat=True)
    assert counters_drift(incident_ids=incidents) == []
    assert sorted(Incident.objects.values_list("post_count", flat=True)) == [2, 3]


def test_reprocessing_a_post_adds_its_words_to_the_signature_once(initech, handle):
    posts = tweets(2)
    process(posts)
    incident = incident_of(posts[0])
    before = incident.signature
    assert before["posts"] == 2 and before["terms"]["housings"] == 2

    Post.objects.filter(pk=posts[0].pk).update(status=Post.Status.PENDING)
    process([posts[0]])

    incident.refresh_from_db()
    assert incident_of(posts[0]) == incident
    assert incident.signature == before


def test_a_reprocessed_report_leaves_its_words_once_in_a_lot_signature(initech, defect, buyers):
    posts = reports(2, supplier=initech, category=defect, buyers=buyers)
    process(posts)
    before = incident_of(posts[0]).signature
    Post.objects.filter(pk=posts[0].pk).update(status=Post.Status.PENDING)
    process([posts[0]])
    assert incident_of(posts[0]).signature == before


def test_signature_remove_takes_back_what_add_added():
    signature = problems.Signature()
    one = problems.features("crushed cartons on flight 1234")
    two = problems.features("crushed pallets again")
    signature.add(one)
    signature.add(two)
    signature.remove(one)
    alone = problems.Signature()
    alone.add(two)
    assert signature == alone


def _queries_for_a_batch(initech, defect, buyers, *, existing: int) -> int:
    for start in range(0, existing, 50):
        process(
            reports(min(50, existing - start), supplier=initech, category=defect, buyers=buyers)
        )
        process(tweets(min(50, existing - start), handles=40))
    batch = [*reports(6, supplier=initech, category=defect, buyers=buyers), *tweets(6)]
    with CaptureQueriesContext(connection) as queries:
        process(batch)
    assert Incident.objects.count() == 2, "the batch joined the incidents of the earlier ones"
    return len(queries.captured_queries)


def test_a_batch_costs_the_same_queries_whatever_its_incidents_hold(
    initech, defect, buyers, handle
):
    small = _queries_for_a_batch(initech, defect, buyers, existing=6)
    Post.objects.all().delete()
    Incident.objects.all().delete()
    large = _queries_for_a_batch(initech, defect, buyers, existing=300)
    assert small == large
    # With the spike check after the batch commits (three queries) and the one upsert of the
    # complaints counted per day. PostgreSQL adds its locks and the statements of COPY.
    assert large <= (38 if connection.vendor == "postgresql" else 31)


@pytest.fixture
def drifted(initech, defect, buyers) -> Incident:
    posts = reports(6, supplier=initech, category=defect, buyers=buyers)
    process(posts)
    incident = incident_of(posts[0])
    Incident.objects.filter(pk=incident.pk).update(post_count=99, named_organization_count=0)
    return incident


def test_recount_incidents_check_reports_drift_and_changes_nothing(drifted, capsys):
    with pytest.raises(CommandError, match="1 with drifted counters"):
        call_command("recount_incidents", "--check")
    out = capsys.readouterr().out
    assert f"incident #{drifted.pk}: post_count stored 99, counted 4" in out
    assert f"incident #{drifted.pk}: named_organization_count stored 0, counted 1" in out
    drifted.refresh_from_db()
    assert drifted.post_count == 99


def test_recount_incidents_repairs_drift(drifted, capsys):
    call_command("recount_incidents")
    assert "1 with drifted counters, 1 recounted" in capsys.readouterr().out
    drifted.refresh_from_db()
    assert (drifted.post_count, drifted.named_organization_count) == (4, 1)
    call_command("recount_incidents", "--check")
    assert "0 with drifted counters" in capsys.readouterr().out
