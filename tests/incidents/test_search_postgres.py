"""On PostgreSQL the incident search is full-text search through its indexes (migrations 0026 and
0032): the query's expressions are the indexes' own, so the planner uses them on a table big enough
for an index to pay, and words are matched by their stem and ranked by the stored title words. A
list page reads a search through selectors.paged: the same incidents, in the same order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident, Post, PostMatch
from incidents.presenters import own_reports
from incidents.selectors import incident_search, paged
from tests.factories import (
    BuyerPostFactory,
    IncidentFactory,
    PostMatchFactory,
    PublicPostFactory,
    SupplierFactory,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

WORDS = ["pallet", "crack", "late", "torn", "rust", "label", "seal", "wet", "dent", "scratch"]


def _fill(size: int) -> None:
    supplier = SupplierFactory()
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            supplier=supplier,
            fingerprint=f"bulk-{n}",
            title=f"{WORDS[n % 10]} problem {n}",
            post_count=1,
            first_seen_at=now,
            last_seen_at=now,
        )
        for n in range(size)
    )
    posts = Post.objects.bulk_create(
        Post(
            source="twitter",
            external_id=f"bulk-{n}",
            text=f"{WORDS[n % 10]} {WORDS[(n * 7) % 10]} again, order {n}",
            visibility=Post.Visibility.PUBLIC,
            published_at=now,
        )
        for n in range(size)
    )
    PostMatch.objects.bulk_create(
        PostMatch(post=post, supplier=supplier, incident=incident, **PostMatch.copies_of(post))
        for post, incident in zip(posts, incidents, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_post, incidents_incident, incidents_postmatch")


@pytest.mark.slow
def test_the_search_uses_the_full_text_indexes_on_a_big_table(bob):
    _fill(30_000)
    found = incident_search(viewer=bob.viewer, search="zeppelin")
    with connection.cursor() as cursor:
        # Whether the planner reads an index or the table is its guess from the tables' size,
        # which the suite's earlier tests leave bloated differently run by run: this test asks
        # that the indexes serve the search (bench_search times it at 100,000 incidents).
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = found.explain()
    assert "post_text_search" in plan, plan
    assert "incident_title_search" in plan, plan
    # Lots and SKUs are found by any part through their trigram indexes, not by reading every row.
    assert "incident_lot_trgm" in plan, plan
    assert "incident_sku_trgm" in plan, plan
    # Ranking reads the stored title words: no title is parsed again.
    ranked = incident_search(viewer=bob.viewer, search="torn").explain()
    assert "ts_rank(incidents_incident.title_vector" in ranked, ranked


def test_words_are_found_by_their_stem_and_title_matches_rank_first(bob, initech):
    mentioned = IncidentFactory(supplier=initech, title="Pallets", post_count=1)
    PostMatchFactory(
        post=PublicPostFactory(text="The pallets were crushed"),
        supplier=initech,
        incident=mentioned,
    )
    titled = IncidentFactory(supplier=initech, title="Crushing of pallets", post_count=1)
    PostMatchFactory(
        post=PublicPostFactory(text="Crushed again, and crushed once more"),
        supplier=initech,
        incident=titled,
    )
    IncidentFactory(supplier=initech, title="Late delivery", post_count=1)
    found = list(incident_search(viewer=bob.viewer, search="crush"))
    assert [incident.pk for incident in found] == [titled.pk, mentioned.pk]
    assert found[0].search_rank > 0 == found[1].search_rank


def test_a_websearch_query_takes_quotes_and_exclusions(bob, initech):
    wanted = IncidentFactory(supplier=initech, title="Torn wrapping", post_count=1)
    unwanted = IncidentFactory(supplier=initech, title="Torn labels", post_count=1)
    found = {i.pk for i in incident_search(viewer=bob.viewer, search='"torn wrapping" -labels')}
    assert found == {wanted.pk}
    assert unwanted.pk not in found


def test_the_stored_title_words_follow_the_title(bob, initech):
    incident = IncidentFactory(supplier=initech, title="Late delivery", post_count=1)
    assert [i.pk for i in incident_search(viewer=bob.viewer, search="late")] == [incident.pk]
    incident.title = "Cracked housings"
    incident.save(update_fields=["title"])
    assert list(incident_search(viewer=bob.viewer, search="late")) == []
    assert [i.pk for i in incident_search(viewer=bob.viewer, search="crack")] == [incident.pk]


def test_a_page_of_a_search_is_the_searchs_own_rows_in_its_order(
    bob, alice, acme, initech, django_assert_num_queries
):
    """selectors.paged orders the matches once by id and reads a page's rows by id: the same
    count, the same rows in the same order, with what the list shows of them, and nothing of
    another organization's private report."""
    for n in range(30):
        incident = IncidentFactory(
            supplier=initech, title=f"Torn wrap {n}" if n % 3 else f"Pallet {n}", post_count=1
        )
        PostMatchFactory(
            post=PublicPostFactory(text=f"torn again {n}"), supplier=initech, incident=incident
        )
    secret = IncidentFactory(supplier=initech, title="Acme only", post_count=0)
    PostMatchFactory(
        post=BuyerPostFactory(
            organization=acme,
            author=alice,
            supplier=initech,
            text="torn secretly",
            visibility=Post.Visibility.PRIVATE,
        ),
        supplier=initech,
        incident=secret,
    )
    found = incident_search(viewer=bob.viewer, search="torn")
    expected = list(found)
    assert secret.pk not in {i.pk for i in expected}
    results = paged(found, viewer=bob.viewer)
    # the ordered ids, a page's rows, their 8D, and the organization's own reports in them
    with django_assert_num_queries(4):
        assert len(results) == len(expected) == 30
        page = results[10:20]
    assert [i.pk for i in page] == [i.pk for i in expected[10:20]]
    assert [own_reports(i) for i in page] == [own_reports(i) for i in expected[10:20]]
    assert results[0].pk == expected[0].pk
    # Alice's organization finds its own private report.
    assert secret.pk in {
        i.pk
        for i in paged(incident_search(viewer=alice.viewer, search="torn"), viewer=alice.viewer)[
            0:40
        ]
    }


def test_a_list_without_a_search_pages_its_queryset(bob):
    listed = incident_search(viewer=bob.viewer)
    assert paged(listed, viewer=bob.viewer) is listed
