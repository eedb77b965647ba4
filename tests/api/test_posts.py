"""Buyers' reports (with Idempotency-Key) and the bulk ingest of public posts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Post
from supplierwatch.api.idempotency import idempotency_records_purge
from supplierwatch.api.models import IdempotencyRecord

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
}


def report(client, body=REPORT, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post("/api/v1/posts/", body, format="json", **headers)


def buyer_reports():
    return Post.objects.filter(source=Post.BUYER_SOURCE)


# --- creating reports -----------------------------------------------------------------------


def test_buyer_key_reports_a_problem_by_vendor_code(api, world):
    before = buyer_reports().count()
    response = report(api.client("acme"))
    assert response.status_code == 201
    body = response.json()
    assert body["supplier"]["slug"] == "initech-components"
    assert body["severity"] == "high"
    assert body["visibility"] == "named"
    assert body["status"] == "pending"
    assert body["author"]["name"] == "Acme ERP (API key)"
    post = Post.objects.get(pk=body["id"])
    assert post.organization == world.acme
    assert post.author.api_key.organization == world.acme
    assert buyer_reports().count() == before + 1


def test_report_is_processed_into_an_incident_once_committed(
    api, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = report(api.client("acme"), key="ncr-1")
    assert response.status_code == 201
    listed = api.client("acme").get(f"/api/v1/posts/{response.json()['id']}/").json()
    assert listed["status"] == "processed"
    assert listed["incident"] is not None


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        # Values the schema allows, refused by a rule it cannot express: 422.
        ({"vendor_code": "G-1"}, "vendor_code", 422),  # Globex's code, not Acme's
        ({"vendor_code": None, "supplier": "no-such-supplier"}, "supplier", 422),
        ({"supplier": "initech-components"}, "supplier", 422),  # both given
        ({"category": "no-such-category"}, "category", 422),
        ({"published_at": "2301-01-01T00:00:00Z"}, "published_at", 422),
        # Values outside the schema: 400.
        ({"visibility": "public"}, "visibility", 400),
        ({"severity": "urgent"}, "severity", 400),
        ({"text": "   "}, "text", 400),
        ({"text": "nul \x00 byte"}, "text", 400),
        ({"quantity_affected": -1}, "quantity_affected", 400),
        ({"published_at": "yesterday"}, "published_at", 400),
    ],
)
def test_an_invalid_report_names_the_field(api, world, change, field, status):
    body = {key: value for key, value in {**REPORT, **change}.items() if value is not None}
    response = report(api.client("acme"), body)
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert error["message"].startswith(field)


# --- idempotency ------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_creates_nothing_and_gets_the_same_answer(api, world):
    client = api.client("acme")
    first = report(client, key="ncr-2026-0042")
    before = buyer_reports().count()
    second = report(client, key="ncr-2026-0042")
    assert second.status_code == first.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert buyer_reports().count() == before


def test_the_same_key_with_another_body_is_refused(api, world):
    client = api.client("acme")
    report(client, key="ncr-7")
    before = buyer_reports().count()
    other = report(client, {**REPORT, "lot": "L10"}, key="ncr-7")
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    error = other.json()["error"]
    assert set(error["fields"]) == {"Idempotency-Key"}
    assert error["message"] == f"Idempotency-Key: {error['fields']['Idempotency-Key'][0]}"
    assert buyer_reports().count() == before


def test_the_same_body_in_another_key_order_is_the_same_request(api, world):
    client = api.client("acme")
    first = report(client, key="k")
    reordered = dict(reversed(list(REPORT.items())))
    assert report(client, reordered, key="k").json() == first.json()


def test_keys_are_per_api_key(api, world):
    first = report(api.client("acme"), {**REPORT, "vendor_code": "A-100"}, key="shared")
    other = report(api.client("globex"), {**REPORT, "vendor_code": "G-1"}, key="shared")
    assert first.status_code == other.status_code == 201
    assert first.json()["id"] != other.json()["id"]


def test_a_refused_request_can_be_retried_with_its_key(api, world):
    client = api.client("acme")
    refused = report(client, {**REPORT, "vendor_code": "NEW-1"}, key="ncr-8")
    assert refused.status_code == 422
    world.acme.vendor_codes.create(supplier=world.initech, code="NEW-1")
    accepted = report(client, {**REPORT, "vendor_code": "NEW-1"}, key="ncr-8")
    assert accepted.status_code == 201


def test_different_keys_create_different_reports(api, world):
    client = api.client("acme")
    assert report(client, key="a").json()["id"] != report(client, key="b").json()["id"]


def test_without_a_key_every_request_creates_a_report(api, world):
    client = api.client("acme")
    assert report(client).json()["id"] != report(client).json()["id"]


def test_an_expired_key_starts_afresh(api, world, settings):
    client = api.client("acme")
    first = report(client, key="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    second = report(client, key="old")
    assert second.status_code == 201
    assert second.json()["id"] != first.json()["id"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_records_purge() == 1


@pytest.mark.parametrize("key", ["x" * 256, " "])
def test_an_unusable_idempotency_key_is_a_400(api, world, key):
    response = report(api.client("acme"), key=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["fields"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_report(acme, globex, initech, umbrella):
    """Two requests with one key at the same moment: the second waits for the first and replays it."""
    from rest_framework.test import APIClient

    from integrations.services import api_key_issue
    from suppliers.models import VendorCode
    from tests.factories import defect_category

    VendorCode.objects.create(organization=acme, supplier=initech, code="A-100")
    defect_category()  # a transactional test before this one flushed the seeded categories
    key = api_key_issue(name="ERP", organization=acme, can_write=True).key
    barrier = threading.Barrier(4)
    answers = []

    def send():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
        barrier.wait()
        try:
            answers.append(report(client, key="race-1"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) == [201] * 4
    assert len({r.json()["id"] for r in answers}) == 1
    assert Post.objects.filter(source=Post.BUYER_SOURCE).count() == 1


# --- reading reports --------------------------------------------------------------------------


def test_own_report_reads_in_full(api, world, alice):
    post = world.posts["anonymous_report"]
    body = api.client("acme").get(f"/api/v1/posts/{post.pk}/").json()
    assert body["po_number"] == "PO-ACME-77"
    assert body["author"] == {"name": alice.display_name, "email": alice.email}
    assert body["incident"] == world.incidents["initech"].pk


def test_reports_filter_by_visibility(api, world):
    body = api.client("acme").get("/api/v1/posts/?visibility=private").json()
    assert {item["id"] for item in body["results"]} == {
        world.posts["private_report"].pk,
        world.posts["private_report_alone"].pk,
    }


# --- bulk ingest of public posts --------------------------------------------------------------


def ingest(client, posts, source="forum"):
    return client.post("/api/v1/public-posts/", {"source": source, "posts": posts}, format="json")


def test_bulk_ingest_counts_accepted_duplicates_and_rejections(api, world):
    Post.objects.create(
        source="forum",
        external_id="known",
        text="Seen before",
        visibility=Post.Visibility.PUBLIC,
        published_at=timezone.now(),
    )
    rows = [
        {"external_id": "a", "text": "Initech brackets snapped again", "author_handle": "@plant"},
        {
            "external_id": "b",
            "text": "Umbrella cartons crushed",
            "published_at": "2026-11-20T08:00:00Z",
        },
        {"external_id": "a", "text": "the same post, sent twice in one request"},
        {"external_id": "known", "text": "already ingested"},
        {"external_id": "c"},  # no text
        "not an object",
        {"external_id": 5, "text": "an id that is not a string"},
        {"external_id": "d", "text": "bad date", "published_at": "next tuesday"},
        {"external_id": "e", "text": "nul \x00 byte"},
        {"external_id": "f", "text": "a link", "url": "javascript:alert(1)"},
        {"external_id": "g", "text": "far future", "published_at": "9999-12-31T23:59:59-14:00"},
        {"external_id": "h", "text": "Fine again"},
        {"external_id": "i", "text": "odd offset", "published_at": "2026-01-02T03:04:05+20:11"},
    ]
    response = ingest(api.client("acme"), rows)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 4
    assert body["duplicates"] == 2
    assert [item["index"] for item in body["rejected"]] == [4, 5, 6, 7, 8, 9, 10]
    reasons = {item["index"]: item["reason"] for item in body["rejected"]}
    assert reasons[4] == "text: required"
    assert reasons[5] == "expected an object"
    assert reasons[6] == "external_id: expected a string"
    assert reasons[7].startswith("published_at")
    stored = Post.objects.filter(source="forum").exclude(external_id="known")
    assert set(stored.values_list("external_id", flat=True)) == {"a", "b", "h", "i"}
    odd = stored.get(external_id="i").published_at
    assert odd.isoformat() == "2026-01-01T06:53:05+00:00"
    assert set(stored.values_list("status", flat=True)) == {Post.Status.PENDING}
    assert set(stored.values_list("visibility", flat=True)) == {Post.Visibility.PUBLIC}


def test_ingesting_the_same_batch_twice_accepts_nothing_new(api, world):
    rows = [{"external_id": str(n), "text": f"Initech post {n}"} for n in range(5)]
    assert ingest(api.client("acme"), rows).json()["accepted"] == 5
    again = ingest(api.client("globex"), rows).json()
    assert again == {"accepted": 0, "duplicates": 5, "rejected": []}


def test_ingested_posts_are_matched_and_grouped(api, world, django_capture_on_commit_callbacks):
    from suppliers.models import SupplierAlias

    SupplierAlias.objects.create(supplier=world.umbrella, kind="name", text="Umbrella Packaging")
    rows = [
        {
            "external_id": "z1",
            "text": "Umbrella Packaging cartons arrived crushed and damaged, terrible",
        }
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest(api.client("acme"), rows).json()["accepted"] == 1
    post = Post.objects.get(source="forum", external_id="z1")
    assert post.status == Post.Status.PROCESSED
    assert post.matches.filter(supplier=world.umbrella).exists()


def test_at_most_a_thousand_posts_per_request(api, world):
    rows = [{"external_id": str(n), "text": "x"} for n in range(1001)]
    response = ingest(api.client("acme"), rows)
    assert response.status_code == 400
    assert "posts" in response.json()["error"]["fields"]
    assert ingest(api.client("acme"), rows[:1000]).json()["accepted"] == 1000


@pytest.mark.parametrize(
    ("source", "status"),
    [("", 400), ("Has Spaces", 400), ("x" * 51, 400), ("buyer", 422)],  # the shape, then the rule
)
def test_the_source_must_be_a_feed_name(api, world, source, status):
    response = ingest(api.client("acme"), [{"external_id": "1", "text": "x"}], source=source)
    assert response.status_code == status
    assert "source" in response.json()["error"]["fields"]


def test_posts_sent_from_outside_may_not_pose_as_a_feeds_posts(api, world):
    from integrations.models import Feed

    feed = Feed.objects.create(kind="rss", target="https://news.example/feed.xml", name="news")
    rows = [{"external_id": "https://news.example/1", "text": "Umbrella recalls its cartons"}]

    response = ingest(api.client("acme"), rows, source=feed.source)

    assert response.status_code == 422
    assert "source" in response.json()["error"]["fields"]
    assert not Post.objects.filter(source=feed.source).exists()
    # The feed itself stores its items under its source.
    assert services.posts_ingest(source=feed.source, rows=rows).accepted == 1
