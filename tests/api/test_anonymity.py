"""No answer to a supplier's key names an anonymous (or private) reporter: every response is scanned,
recursively, for Acme's name, slug, its reporter's name and address, and the PO number that would
tell the supplier which customer it is. Globex, another buyer, gets none of it either."""

from __future__ import annotations

import pytest

from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.services import webhook_events_dispatch
from tests.api.conftest import ACME_IDENTITY, leaked

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/me/",
    "/api/v1/suppliers/",
    "/api/v1/suppliers/initech-components/",
    "/api/v1/suppliers/initech-components/aliases/",
    "/api/v1/suppliers/initech-components/scorecard/",
    "/api/v1/incidents/",
    "/api/v1/incidents/{initech}/",
    "/api/v1/incidents/{initech}/posts/",
    "/api/v1/incidents/{initech}/responses/",
    "/api/v1/webhooks/",
    "/api/v1/webhook-deliveries/",
]


@pytest.fixture
def deliveries(world):
    """Every event of the world dispatched to a subscription of each party, payloads included."""
    events = [choice for choice, _ in WebhookSubscription.Event.choices]
    for party in ({"supplier": world.initech}, {"organization": world.globex}):
        WebhookSubscription.objects.create(
            url="https://hooks.example/in", secret="s", events=events, **party
        )
    webhook_events_dispatch()
    for party in ("supplier", "organization"):
        assert WebhookDelivery.objects.filter(**{f"subscription__{party}__isnull": False}).exists()


def _documents(client, ids) -> list[tuple[str, object]]:
    documents = []
    for path in READS:
        response = client.get(path.format(**ids))
        assert response.status_code == 200, (path, response.content[:300])
        documents.append((path, response.json()))
    export = client.get("/api/v1/incidents/export/")
    documents.append(("export", b"".join(export.streaming_content).decode()))
    return documents


@pytest.mark.parametrize("persona", ["initech", "initech_read", "globex"])
def test_no_response_names_the_anonymous_reporter(api, world, deliveries, persona):
    ids = {name: incident.pk for name, incident in world.incidents.items()}
    client = api.client(persona)
    for path, document in _documents(client, ids):
        assert leaked(document, ACME_IDENTITY) == [], path


def test_the_scan_would_see_the_reporter_if_it_leaked(api, world, deliveries):
    """Acme's own key reads its identity in the same responses: the scan looks where it matters."""
    ids = {name: incident.pk for name, incident in world.incidents.items()}
    found = [
        path
        for path, document in _documents(api.client("acme"), ids)
        if leaked(document, ACME_IDENTITY)
    ]
    assert "/api/v1/incidents/{initech}/posts/" in found
    assert "/api/v1/me/" in found


def test_supplier_actions_answer_without_the_reporter(api, world):
    incident = world.incidents["initech"]
    client = api.client("initech")
    answers = [
        client.post(f"/api/v1/incidents/{incident.pk}/acknowledge/"),
        client.post(
            f"/api/v1/incidents/{incident.pk}/actions/",
            {"discipline": "d3", "text": "Held."},
            format="json",
        ),
        client.post(
            f"/api/v1/incidents/{incident.pk}/responses/", {"body": "On it."}, format="json"
        ),
        client.post(f"/api/v1/incidents/{incident.pk}/resolve/", {"note": "Fixed."}, format="json"),
    ]
    for response in answers:
        assert response.status_code in (200, 201), response.content
        assert leaked(response.json(), ACME_IDENTITY) == []


def test_supplier_sees_a_named_reporter_but_not_an_anonymous_one(api, world):
    incident = world.incidents["initech"]
    body = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/posts/").json()
    reports = {
        item["visibility"]: item for item in body["results"] if item["kind"] != "public_post"
    }
    assert reports["anonymous"]["reporter"] is None
    # Nor its id: ids are given in sequence, and Acme's anonymous report came just before.
    assert reports["anonymous"]["id"] is None
    named = reports["named"]
    assert named["id"] == world.posts["named_report"].pk
    assert named["reporter"]["organization"]["slug"] == "globex"
    assert named["reporter"]["po_number"] == "PO-GLOBEX-1"


def test_another_buyer_gets_no_id_of_a_report_of_another_organization(api, world):
    incident = world.incidents["initech"]
    body = api.client("globex").get(f"/api/v1/incidents/{incident.pk}/posts/").json()
    ids = {item["visibility"]: item["id"] for item in body["results"]}
    assert ids["anonymous"] is None  # Acme's
    assert ids["named"] == world.posts["named_report"].pk  # Globex's own
    assert ids["public"] == world.posts["public_post"].pk


def test_a_private_answer_to_one_organization_is_not_shown_to_another(api, world):
    incident = world.incidents["initech"]
    body = api.client("acme").get(f"/api/v1/incidents/{incident.pk}/").json()
    assert "globex" not in str(body["responses"]).lower()
    assert all(entry["data"].get("visibility") != "organization" for entry in body["timeline"])


def test_timeline_hides_post_ids_and_assignees_from_buyers(api, world, carol):
    incident = world.incidents["initech"]
    timeline = api.client("globex").get(f"/api/v1/incidents/{incident.pk}/").json()["timeline"]
    by_kind = {entry["kind"]: entry["data"] for entry in timeline}
    assert by_kind["post_added"] == {"posts": 3, "public_posts": 1}
    # A spike counts only what everyone may count (never a private report), as the pages show it.
    assert by_kind["spike"] == {"complaints_last_hour": 9, "expected": 0.5, "history": False}
    assert by_kind["assigned"] == {}
    supplier_timeline = api.client("initech").get(f"/api/v1/incidents/{incident.pk}/").json()
    assigned = {e["kind"]: e["data"] for e in supplier_timeline["timeline"]}["assigned"]
    assert assigned == {"assignee": carol.display_name}
