"""Every malformed input gets a clear 4xx in the API's one JSON error shape, never a 500; a request
that the schema calls valid but a business rule refuses is a 409 or a 422, never a 400."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from integrations.models import WebhookSubscription
from integrations.services import MAX_SUBSCRIPTIONS_PER_PARTY
from tests.api.conftest import Keys

pytestmark = pytest.mark.django_db

DEEP = "[" * 10_000 + "]" * 10_000


def _client(keys: Keys, persona: str) -> APIClient:
    client = keys.client(persona)
    client.raise_request_exception = False
    return client


def _error(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.mark.parametrize(
    "path, persona",
    [("/api/v1/public-posts/", "acme"), ("/api/v1/posts/", "acme"), ("/api/v1/webhooks/", "acme")],
)
@pytest.mark.parametrize("body", [DEEP, '{"a": ' * 10_000 + "1" + "}" * 10_000])
def test_a_body_nested_ten_thousand_levels_deep_is_a_400(api, world, path, persona, body):
    response = _client(api, persona).generic("POST", path, body, content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


FORGED = base64.b64encode(b"p=notadate").decode()


@pytest.mark.parametrize(
    "path, persona",
    [
        ("/api/v1/posts/", "acme"),
        ("/api/v1/webhooks/", "acme"),
        ("/api/v1/webhook-deliveries/", "acme"),
        ("/api/v1/suppliers/", "acme"),
        ("/api/v1/incidents/", "acme"),
        ("/api/v1/incidents/{incident}/posts/", "initech"),
    ],
)
@pytest.mark.parametrize(
    "cursor", [FORGED, "bm9wZQ", "not base64 at all", base64.b64encode(b"o=-5").decode()]
)
def test_a_forged_cursor_is_refused_naming_the_cursor(api, world, path, persona, cursor):
    url = path.format(incident=world.incidents["initech"].pk)
    response = _client(api, persona).get(url, {"cursor": cursor})
    # Any text is a cursor to the schema: one the API did not give out is a 422, never a 500.
    assert response.status_code == 422
    assert _error(response)["code"] == "invalid"
    assert list(_error(response)["fields"]) == ["cursor"]


def test_the_subscription_limit_is_a_conflict_not_a_bad_request(api, world):
    for n in range(MAX_SUBSCRIPTIONS_PER_PARTY):
        WebhookSubscription.objects.create(
            organization=world.acme, url=f"https://erp.example/{n}", secret="s", events=["x"]
        )
    response = _client(api, "acme").post(
        "/api/v1/webhooks/",
        {"url": "https://erp.example/one-more", "events": ["incident.created"]},
        format="json",
    )
    assert response.status_code == 409
    assert _error(response)["code"] == "limit_reached"


def test_acting_on_an_incident_in_the_wrong_state_is_a_conflict(api, world):
    incident = world.incidents["initech"]
    client = _client(api, "initech")
    assert client.post(
        f"/api/v1/incidents/{incident.pk}/resolve/", {}, format="json"
    ).status_code == (200)
    response = client.post(f"/api/v1/incidents/{incident.pk}/acknowledge/", format="json")
    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"


def test_a_public_post_with_a_link_that_does_not_parse_is_rejected_alone(api, world):
    response = _client(api, "acme").post(
        "/api/v1/public-posts/",
        {
            "source": "forum",
            "posts": [
                {"external_id": "a", "text": "fine", "url": "https://example.com/a"},
                {"external_id": "b", "text": "broken link", "url": "http://[abc"},
            ],
        },
        format="json",
    )
    assert response.status_code == 202
    assert response.json()["rejected"] == [
        {"index": 1, "reason": "url: not a valid http(s) address"}
    ]
