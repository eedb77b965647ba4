"""Redis away (the broker and the rate limits' cache): every API request answers as usual, what
arrives is stored pending, and the sweep processes it once the broker is back."""

from __future__ import annotations

import logging

import pytest

from incidents.models import Post
from incidents.tasks import sweep_pending_posts
from integrations.models import WebhookDelivery, WebhookSubscription
from tests.outage import redis_unreachable

pytestmark = pytest.mark.django_db

REPORT = {
    "vendor_code": "A-100",
    "text": "Incoming inspection rejected 40 units of HX-200 (lot L9).",
    "severity": "high",
    "visibility": "named",
}
PUBLIC = [
    {"external_id": "f-1", "text": "Initech housings arrived cracked again"},
    {"external_id": "f-2", "text": "Initech shipped the wrong part numbers"},
]


def test_incident_lists_answer_while_redis_is_away(api, world, redis_down):
    for persona in ("acme", "initech"):
        response = api.client(persona).get("/api/v1/incidents/")
        assert response.status_code == 200, persona
        assert response.json()["results"]


def test_rate_limits_hold_in_the_process_while_redis_is_away(api, world, redis_down, settings):
    settings.SW_API_RATE = "2/min"
    client = api.client("acme")
    statuses = [client.get("/api/v1/me/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_reports_and_public_posts_are_stored_pending_and_processed_once_redis_is_back(
    api, world, settings, caplog
):
    with redis_unreachable(), caplog.at_level(logging.WARNING, logger="supplierwatch.queues"):
        report = api.client("acme").post("/api/v1/posts/", REPORT, format="json")
        ingest = api.client("acme").post(
            "/api/v1/public-posts/", {"source": "forum", "posts": PUBLIC}, format="json"
        )

        assert report.status_code == 201
        assert report.json()["status"] == "pending"
        assert ingest.status_code == 202, ingest.content
        assert ingest.json()["accepted"] == 2
    stored = Post.objects.filter(pk=report.json()["id"]) | Post.objects.filter(source="forum")
    assert stored.count() == 3
    assert set(stored.values_list("status", "queued_at")) == {(Post.Status.PENDING, None)}
    assert "not queued: the broker is unavailable" in caplog.text

    # The broker is back (tasks run in-process again): the next sweep takes them all.
    settings.SW_PENDING_SWEEP_MINUTES = 0
    assert sweep_pending_posts() >= 3
    assert set(stored.values_list("status", flat=True)) == {Post.Status.PROCESSED}


@pytest.mark.django_db(transaction=True)
def test_a_redelivery_asked_while_the_broker_is_away_is_accepted_and_left_pending(api, world):
    subscription = WebhookSubscription.objects.create(
        organization=world.acme,
        url="https://acme.example/hook",
        secret="s",
        events=["incident.created"],
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        incident_event=world.incidents["initech"].events.first(),
        event_type="incident.created",
        payload={"type": "incident.created"},
        status=WebhookDelivery.Status.FAILED,
    )
    with redis_unreachable():
        response = api.client("acme").post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 202
    delivery.refresh_from_db()
    # The requeue sweep sends it once the broker is back.
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 0)
