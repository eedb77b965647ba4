"""What the load run's requests cost in queries, and that answering without a second read
changes nothing of the answer."""

from __future__ import annotations

import pytest

from incidents.models import Post

pytestmark = pytest.mark.django_db

REPORT = {
    "vendor_code": "A-100",
    "text": "Incoming inspection rejected 40 units of HX-200 (lot L9).",
    "category": "defect",
    "severity": "high",
    "visibility": "named",
    "po_number": "PO-4500123",
    "sku": "HX-200",
    "lot": "L9",
    "quantity_affected": 40,
    "published_at": "2026-03-04T05:06:07.123456+02:00",
}


def test_a_created_report_is_answered_as_it_is_read_back(api, world):
    client = api.client("acme")
    created = client.post("/api/v1/posts/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="ncr-1")
    assert created.status_code == 201
    read = client.get(created["Location"])
    assert read.status_code == 200
    assert created.json() == read.json()
    assert created.json()["incident"] is None  # grouped once committed


def test_a_report_with_a_new_key_costs_no_purge_and_no_second_read(
    api, world, django_assert_max_num_queries
):
    client = api.client("acme")
    client.get("/api/v1/me/")  # the key's last use is stamped at most once a while
    # The key, the claim (savepoint, insert, release), the supplier by vendor code, the
    # category, the report (savepoint, insert, release), the answer kept with the claim, and the
    # request's transaction (a savepoint and its release inside the test's transaction).
    with django_assert_max_num_queries(12):
        response = client.post(
            "/api/v1/posts/", REPORT, format="json", HTTP_IDEMPOTENCY_KEY="ncr-2"
        )
    assert response.status_code == 201


def test_new_posts_are_stored_with_their_queue_stamp(api, world):
    """One write per post: stamping it after its commit rewrote every index of the table."""
    client = api.client("acme")
    rows = [{"external_id": f"t-{n}", "text": f"Initech lost lot L{n} again"} for n in range(3)]
    response = client.post(
        "/api/v1/public-posts/", {"source": "twitter", "posts": rows}, format="json"
    )
    assert response.status_code == 202
    report = client.post("/api/v1/posts/", REPORT, format="json")
    assert report.status_code == 201
    # The test's transaction has not committed: nothing was sent, yet every post is stamped.
    stored = Post.objects.filter(external_id__startswith="t-") | Post.objects.filter(
        pk=report.json()["id"]
    )
    assert stored.count() == 4
    assert not stored.filter(queued_at__isnull=True).exists()
