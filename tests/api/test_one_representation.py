"""One representation of an incident: the API, the webhooks and the CSV export agree."""

from __future__ import annotations

import csv
import io

import pytest

from integrations.models import WebhookDelivery
from integrations.services import webhook_events_dispatch, webhook_subscription_create
from tests.api.conftest import Keys
from tests.factories import CategoryFactory, IncidentEventFactory

pytestmark = pytest.mark.django_db


def test_the_api_the_webhooks_and_the_export_describe_the_incident_alike(
    world, keys: Keys, django_capture_on_commit_callbacks
):
    incident = world.incidents["initech"]
    webhook_subscription_create(
        url="http://127.0.0.1:9/hook", events=["incident.updated"], supplier=world.initech
    )
    IncidentEventFactory(incident=incident, kind="severity_changed", data={"from": 2, "to": 3})
    with django_capture_on_commit_callbacks(execute=False):
        webhook_events_dispatch()
    summary = WebhookDelivery.objects.latest("incident_event_id").payload["data"]["incident"]
    client = keys.client("initech")
    api = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    for key in ("id", "title", "status", "severity", "category", "supplier", "sku", "lot"):
        assert summary[key] == api[key], key
    assert summary["counters"] == api["counters"]
    assert summary["api_url"].endswith(f"/api/v1/incidents/{incident.pk}/")
    del summary["api_url"]
    assert summary == {key: api[key] for key in summary}
    export = client.get("/api/v1/incidents/export/")
    header, *rows = csv.reader(io.StringIO(b"".join(export.streaming_content).decode()))
    exported = next(
        dict(zip(header, row, strict=True)) for row in rows if row[0] == str(incident.pk)
    )
    assert exported["severity"] == api["severity"]
    assert exported["posts"] == str(api["counters"]["posts"])


def test_api_evidence_and_reports_agree_on_a_reports_category(keys: Keys, world):
    report = world.posts["anonymous_report"]
    report.category = None
    report.predicted_category = CategoryFactory(slug="test-predicted", name="Predicted")
    report.label_category = CategoryFactory(slug="test-labelled", name="Labelled")
    report.save()
    acme = keys.client("acme")
    incident = world.incidents["initech"]
    evidence = acme.get(f"/api/v1/incidents/{incident.pk}/posts/").json()["results"]
    listed = {row["id"]: row["category"] for row in acme.get("/api/v1/posts/").json()["results"]}
    shown = {row["id"]: row["category"] for row in evidence if row["id"] in listed}
    # Without the buyer's own category, a person's correction comes before the classifier.
    assert shown[report.pk] == listed[report.pk] == "test-labelled"
    report.label_category = None
    report.save()
    evidence = acme.get(f"/api/v1/incidents/{incident.pk}/posts/").json()["results"]
    listed = {row["id"]: row["category"] for row in acme.get("/api/v1/posts/").json()["results"]}
    shown = {row["id"]: row["category"] for row in evidence if row["id"] in listed}
    assert shown[report.pk] == listed[report.pk] == "test-predicted"
