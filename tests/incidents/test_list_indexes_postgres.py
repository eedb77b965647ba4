"""On PostgreSQL the portal home's short lists and a long incident's evidence in the API are read
in their order from indexes (migrations 0037 and 0040), not sorted from every open incident or
every piece of evidence: the plans of the queries the selectors run name them. (The buyer
dashboard's count per supplier, migration 0039, has indexes of the same rows to choose from on a
small table; bench_scale times it at a million posts.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import selectors
from incidents.charts import RANGES
from incidents.models import Incident, Post, PostMatch

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _plans(run) -> str:
    """The plans of every query `run` makes, with the table scans the planner would guess
    cheaper on a small table ruled out (bench_scale times the same queries at a million posts)."""
    with CaptureQueriesContext(connection) as queries:
        run()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        for query in queries.captured_queries:
            if query["sql"].startswith("SELECT"):
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return "\n".join(plans)


@pytest.fixture
def open_incidents(initech):
    now = timezone.now()
    incidents = Incident.objects.bulk_create(
        Incident(
            supplier=initech,
            fingerprint=f"open-{n}",
            title=f"Problem {n}",
            severity=1 + n % 4,
            post_count=1,
            first_seen_at=now,
            last_seen_at=now,
            last_activity_at=now - timedelta(hours=n),
            resolve_due_at=now - timedelta(hours=n % 7),
            # As many closed as open: the open ones' indexes are the smaller.
            status=Incident.Status.NEW if n < 300 else Incident.Status.CLOSED,
        )
        for n in range(600)
    )
    posts = Post.objects.bulk_create(
        Post(
            source="twitter",
            external_id=f"open-{n}",
            text="late again",
            visibility=Post.Visibility.PUBLIC,
            published_at=now - timedelta(hours=n),
        )
        for n in range(300)
    )
    PostMatch.objects.bulk_create(
        PostMatch(post=post, supplier=initech, incident=incidents[0], **PostMatch.copies_of(post))
        for post in posts
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident, incidents_postmatch")
    return incidents


def test_the_portal_home_reads_its_lists_from_their_indexes(carol, open_incidents):
    plans = _plans(lambda: selectors.portal_overview(viewer=carol.viewer, time_range=RANGES["30d"]))
    assert "incident_supplier_open_severe" in plans, plans
    assert "incident_supplier_open_due" in plans, plans


def test_a_long_incident_s_evidence_is_paged_from_the_index_of_its_hours(
    client, carol, open_incidents
):
    from integrations.services import api_key_issue

    key = api_key_issue(name="erp", supplier=carol.membership.supplier).key
    url = f"/api/v1/incidents/{open_incidents[0].pk}/posts/?page_size=5"
    plans = _plans(lambda: client.get(url, HTTP_AUTHORIZATION=f"Api-Key {key}"))
    assert "match_incident_shown" in plans, plans
