"""On PostgreSQL the incident search is full-text search through its indexes (migration 0016):
the query's expressions are the indexes' own, so the planner uses them on a table big enough for
an index to pay, and words are matched by their stem and ranked."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Incident, Post, PostMatch
from incidents.selectors import incident_search
from tests.factories import IncidentFactory, PostMatchFactory, PublicPostFactory, SupplierFactory

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
        PostMatch(post=post, supplier=supplier, incident=incident)
        for post, incident in zip(posts, incidents, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_post, incidents_incident, incidents_postmatch")


@pytest.mark.slow
def test_the_search_uses_the_full_text_indexes_on_a_big_table(bob):
    _fill(30_000)
    found = incident_search(viewer=bob.viewer, search="zeppelin")
    plan = found.explain()
    assert "post_text_search" in plan, plan
    assert "incident_title_search" in plan, plan


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
