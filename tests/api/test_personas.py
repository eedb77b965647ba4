"""Every endpoint against every persona: another party's objects are 404, lists never hold them.

The world and the personas are described in tests/api/conftest.py. A read-only key is refused
(403) on every write; a key of the wrong kind of party is refused (403) on endpoints that belong
to the other kind; a missing or revoked key is 401.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.db import transaction

from integrations.models import Feed, WebhookDelivery, WebhookSubscription
from tests.api.conftest import PERSONAS

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict | None = None


ALL_KEYS = (200, 200, 200, 200, 200, 200, 401, 401)
# fmt: off
MATRIX: dict[str, tuple[Call, tuple[int, ...]]] = {
    #                                                                acme globex initech umbrella acme_read initech_read revoked nokey
    "me": (Call("GET", "/api/v1/me/"), ALL_KEYS),
    "categories": (Call("GET", "/api/v1/categories/"), ALL_KEYS),
    "supplier_list": (Call("GET", "/api/v1/suppliers/"), ALL_KEYS),
    "supplier_initech": (Call("GET", "/api/v1/suppliers/initech-components/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "supplier_umbrella": (Call("GET", "/api/v1/suppliers/umbrella-packaging/"),
                                                                     (200, 200, 404, 200, 200, 404, 401, 401)),
    "aliases_initech": (Call("GET", "/api/v1/suppliers/initech-components/aliases/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "alias_add_initech": (Call("POST", "/api/v1/suppliers/initech-components/aliases/",
                               {"kind": "handle", "text": "@InitechCare"}),
                                                                     (201, 201, 201, 404, 403, 403, 401, 401)),
    # Globex has no vendor code for Umbrella, so it may not name it.
    "alias_add_umbrella": (Call("POST", "/api/v1/suppliers/umbrella-packaging/aliases/",
                                {"kind": "alias", "text": "Umbrella Pack"}),
                                                                     (201, 403, 404, 201, 403, 403, 401, 401)),
    "vendor_codes": (Call("POST", "/api/v1/suppliers/vendor-codes/",
                          {"suppliers": [{"vendor_code": "X-1", "name": "Initech Components"}]}),
                                                                     (200, 200, 403, 403, 403, 403, 401, 401)),
    "scorecard_initech": (Call("GET", "/api/v1/suppliers/initech-components/scorecard/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "scorecard_umbrella": (Call("GET", "/api/v1/suppliers/umbrella-packaging/scorecard/"),
                                                                     (200, 200, 404, 200, 200, 404, 401, 401)),
    "incident_list": (Call("GET", "/api/v1/incidents/"), ALL_KEYS),
    "incident_initech": (Call("GET", "/api/v1/incidents/{initech}/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "incident_private_only": (Call("GET", "/api/v1/incidents/{private_only}/"),
                                                                     (200, 404, 404, 404, 200, 404, 401, 401)),
    "incident_umbrella": (Call("GET", "/api/v1/incidents/{umbrella}/"),
                                                                     (200, 200, 404, 200, 200, 404, 401, 401)),
    "evidence_initech": (Call("GET", "/api/v1/incidents/{initech}/posts/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "evidence_private_only": (Call("GET", "/api/v1/incidents/{private_only}/posts/"),
                                                                     (200, 404, 404, 404, 200, 404, 401, 401)),
    "responses_initech": (Call("GET", "/api/v1/incidents/{initech}/responses/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "responses_umbrella": (Call("GET", "/api/v1/incidents/{umbrella}/responses/"),
                                                                     (200, 200, 404, 200, 200, 404, 401, 401)),
    "export": (Call("GET", "/api/v1/incidents/export/"), ALL_KEYS),
    "acknowledge_initech": (Call("POST", "/api/v1/incidents/{initech}/acknowledge/"),
                                                                     (403, 403, 200, 404, 403, 403, 401, 401)),
    "acknowledge_private_only": (Call("POST", "/api/v1/incidents/{private_only}/acknowledge/"),
                                                                     (403, 403, 404, 404, 403, 403, 401, 401)),
    "acknowledge_umbrella": (Call("POST", "/api/v1/incidents/{umbrella}/acknowledge/"),
                                                                     (403, 403, 404, 200, 403, 403, 401, 401)),
    "investigate_initech": (Call("POST", "/api/v1/incidents/{initech}/investigate/"),
                                                                     (403, 403, 200, 404, 403, 403, 401, 401)),
    "assign_initech": (Call("POST", "/api/v1/incidents/{initech}/assign/", {"assignee": None}),
                                                                     (403, 403, 200, 404, 403, 403, 401, 401)),
    "resolve_initech": (Call("POST", "/api/v1/incidents/{initech}/resolve/", {"note": "Replaced."}),
                                                                     (403, 403, 200, 404, 403, 403, 401, 401)),
    "actions_initech": (Call("POST", "/api/v1/incidents/{initech}/actions/",
                             {"discipline": "d3", "text": "Lot quarantined."}),
                                                                     (403, 403, 200, 404, 403, 403, 401, 401)),
    "respond_initech": (Call("POST", "/api/v1/incidents/{initech}/responses/",
                             {"body": "We are on it."}),
                                                                     (403, 403, 201, 404, 403, 403, 401, 401)),
    "respond_umbrella": (Call("POST", "/api/v1/incidents/{umbrella}/responses/",
                              {"body": "We are on it."}),
                                                                     (403, 403, 404, 201, 403, 403, 401, 401)),
    "replies_initech": (Call("GET", "/api/v1/incidents/{initech}/replies/"),
                                                                     (200, 200, 200, 404, 200, 200, 401, 401)),
    "replies_umbrella": (Call("GET", "/api/v1/incidents/{umbrella}/replies/"),
                                                                     (200, 200, 404, 200, 200, 404, 401, 401)),
    # Acme reported Initech's incident anonymously and Globex by name; nobody reported Umbrella's,
    # and Acme's report in the private-only incident is private (the supplier does not know it).
    "reply_initech": (Call("POST", "/api/v1/incidents/{initech}/replies/", {"body": "Still cracked."}),
                                                                     (201, 201, 403, 403, 403, 403, 401, 401)),
    "reply_umbrella": (Call("POST", "/api/v1/incidents/{umbrella}/replies/", {"body": "Me too."}),
                                                                     (403, 403, 403, 403, 403, 403, 401, 401)),
    "reply_private_only": (Call("POST", "/api/v1/incidents/{private_only}/replies/", {"body": "x"}),
                                                                     (403, 404, 403, 403, 403, 403, 401, 401)),
    # Initech's incident is not resolved: a reporting organization is told so (409).
    "accept_initech": (Call("POST", "/api/v1/incidents/{initech}/accept/"),
                                                                     (409, 409, 403, 403, 403, 403, 401, 401)),
    "reject_initech": (Call("POST", "/api/v1/incidents/{initech}/reject/", {"reason": "Not solved."}),
                                                                     (409, 409, 403, 403, 403, 403, 401, 401)),
    "reject_umbrella": (Call("POST", "/api/v1/incidents/{umbrella}/reject/", {"reason": "No."}),
                                                                     (403, 403, 403, 403, 403, 403, 401, 401)),
    # A supplier's key disputes evidence of its own incident ("x" names none: 422).
    "dispute_initech": (Call("POST", "/api/v1/incidents/{initech}/disputes/",
                             {"evidence": "x", "reason": "not_complaint"}),
                                                                     (403, 403, 422, 404, 403, 403, 401, 401)),
    # A supplier's key merges and splits its own incidents (no incident 999999, no evidence "x":
    # 422 naming the field).
    "merge_initech": (Call("POST", "/api/v1/incidents/{initech}/merge/", {"target": 999999}),
                                                                     (403, 403, 422, 404, 403, 403, 401, 401)),
    "split_initech": (Call("POST", "/api/v1/incidents/{initech}/split/", {"evidence": ["x"]}),
                                                                     (403, 403, 422, 404, 403, 403, 401, 401)),
    # A reporting organization's key decides its disputes (there is none here: 404).
    "dispute_decide_initech": (Call("POST", "/api/v1/incidents/{initech}/disputes/999999/reject/",
                                    {"note": ""}),
                                                                     (404, 404, 403, 403, 403, 403, 401, 401)),
    "report_list": (Call("GET", "/api/v1/posts/"),                   (200, 200, 403, 403, 200, 403, 401, 401)),
    "report_acme": (Call("GET", "/api/v1/posts/{anonymous_report}/"),
                                                                     (200, 404, 403, 403, 200, 403, 401, 401)),
    "report_acme_private": (Call("GET", "/api/v1/posts/{private_report}/"),
                                                                     (200, 404, 403, 403, 200, 403, 401, 401)),
    "report_globex": (Call("GET", "/api/v1/posts/{named_report}/"),
                                                                     (404, 200, 403, 403, 404, 403, 401, 401)),
    "report_public_post": (Call("GET", "/api/v1/posts/{public_post}/"),
                                                                     (404, 404, 403, 403, 404, 403, 401, 401)),
    "report_create": (Call("POST", "/api/v1/posts/",
                           {"supplier": "initech-components", "text": "Cracked housings"}),
                                                                     (201, 201, 403, 403, 403, 403, 401, 401)),
    "ingest": (Call("POST", "/api/v1/public-posts/",
                    {"source": "forum", "posts": [{"external_id": "1", "text": "Initech parts"}]}),
                                                                     (202, 202, 403, 403, 403, 403, 401, 401)),
    "webhook_list": (Call("GET", "/api/v1/webhooks/"), ALL_KEYS),
    "webhook_create": (Call("POST", "/api/v1/webhooks/",
                            {"url": "https://hooks.example/in", "events": ["incident.created"]}),
                                                                     (201, 201, 201, 201, 403, 403, 401, 401)),
    "webhook_acme": (Call("GET", "/api/v1/webhooks/{acme_webhook}/"),
                                                                     (200, 404, 404, 404, 200, 404, 401, 401)),
    "webhook_acme_change": (Call("PATCH", "/api/v1/webhooks/{acme_webhook}/", {"description": "x"}),
                                                                     (200, 404, 404, 404, 403, 403, 401, 401)),
    "webhook_acme_rotate": (Call("POST", "/api/v1/webhooks/{acme_webhook}/rotate-secret/"),
                                                                     (200, 404, 404, 404, 403, 403, 401, 401)),
    "webhook_acme_delete": (Call("DELETE", "/api/v1/webhooks/{acme_webhook}/"),
                                                                     (204, 404, 404, 404, 403, 403, 401, 401)),
    "webhook_initech": (Call("GET", "/api/v1/webhooks/{initech_webhook}/"),
                                                                     (404, 404, 200, 404, 404, 200, 401, 401)),
    "delivery_list": (Call("GET", "/api/v1/webhook-deliveries/"), ALL_KEYS),
    "delivery_acme": (Call("GET", "/api/v1/webhook-deliveries/{acme_delivery}/"),
                                                                     (200, 404, 404, 404, 200, 404, 401, 401)),
    "delivery_acme_redeliver": (Call("POST", "/api/v1/webhook-deliveries/{acme_delivery}/redeliver/"),
                                                                     (202, 404, 404, 404, 403, 403, 401, 401)),
    # An inbound feed takes no key: its own signature (tests/integrations/test_feed_inbound.py).
    "feed_inbound": (Call("POST", "/api/v1/feeds/inbound/{inbound_token}/",
                          {"posts": [{"external_id": "1", "text": "Initech parts"}]}),
                                                                     (401, 401, 401, 401, 401, 401, 401, 401)),
}
# fmt: on


@pytest.fixture
def ids(world) -> dict[str, int]:
    """The placeholders of MATRIX's paths: the world's objects, and a webhook for two parties."""
    acme_webhook = WebhookSubscription.objects.create(
        organization=world.acme,
        url="https://acme.example/hook",
        secret="s",
        events=["incident.created"],
    )
    initech_webhook = WebhookSubscription.objects.create(
        supplier=world.initech,
        url="https://initech.example/hook",
        secret="s",
        events=["incident.created"],
    )
    delivery = WebhookDelivery.objects.create(
        subscription=acme_webhook,
        incident_event=world.incidents["initech"].events.first(),
        event_type="incident.created",
        payload={"type": "incident.created"},
        status=WebhookDelivery.Status.DELIVERED,
    )
    return {
        **{name: incident.pk for name, incident in world.incidents.items()},
        **{name: post.pk for name, post in world.posts.items()},
        "acme_webhook": acme_webhook.pk,
        "initech_webhook": initech_webhook.pk,
        "acme_delivery": delivery.pk,
        "inbound_token": Feed.objects.create(
            kind="webhook", name="scraper", inbound_token="t0ken", secret="s"
        ).inbound_token,
    }


@pytest.mark.parametrize("name", MATRIX)
def test_endpoint_answers_each_persona(api, ids, name):
    """One row of the matrix; each persona's call is rolled back, so all start from one world."""
    call, statuses = MATRIX[name]
    expected = dict(zip(PERSONAS, statuses, strict=True))
    answered = {}
    for persona in PERSONAS:
        with transaction.atomic():
            response = api.client(persona).generic(
                call.method,
                call.path.format(**ids),
                data=None if call.body is None else json.dumps(call.body),
                content_type="application/json",
            )
            answered[persona] = response.status_code
            if response.status_code >= 400:
                assert set(response.json()["error"]) == {"code", "message", "fields"}
            if response.status_code == 401:
                assert response["WWW-Authenticate"].startswith(
                    ("Api-Key", "Supplierwatch-Signature")
                )
            transaction.set_rollback(True)
    assert answered == expected


def test_every_endpoint_of_the_schema_is_in_the_matrix():
    from drf_spectacular.generators import SchemaGenerator

    def matches(template: str, path: str) -> bool:
        wanted, actual = template.strip("/").split("/"), path.strip("/").split("/")
        return len(wanted) == len(actual) and all(
            w.startswith("{") or w == a for w, a in zip(wanted, actual, strict=True)
        )

    schema = SchemaGenerator().get_schema(request=None, public=True)
    calls = [call for call, _ in MATRIX.values()]
    for template, operations in schema["paths"].items():
        for method in operations:
            assert any(
                call.method == method.upper() and matches(template, call.path) for call in calls
            ), f"{method.upper()} {template} has no row in the persona matrix"


# --- lists never hold another party's objects --------------------------------------------------

INCIDENTS_LISTED = {
    "acme": {"initech", "private_only", "umbrella"},
    "globex": {"initech", "umbrella"},
    "initech": {"initech"},
    "umbrella": {"umbrella"},
    "acme_read": {"initech", "private_only", "umbrella"},
    "initech_read": {"initech"},
}


@pytest.mark.parametrize(("persona", "expected"), INCIDENTS_LISTED.items())
def test_incident_list_holds_exactly_what_the_persona_may_see(api, world, persona, expected):
    client = api.client(persona)
    listed = {item["id"] for item in client.get("/api/v1/incidents/").json()["results"]}
    assert listed == {world.incidents[name].pk for name in expected}
    exported = client.get("/api/v1/incidents/export/")
    rows = b"".join(exported.streaming_content).decode().splitlines()[1:]
    assert {int(row.split(",")[0]) for row in rows} == listed


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("acme", {"anonymous_report", "private_report", "private_report_alone"}),
        ("acme_read", {"anonymous_report", "private_report", "private_report_alone"}),
        ("globex", {"named_report"}),
    ],
)
def test_report_list_holds_only_the_organizations_own_reports(api, world, persona, expected):
    listed = {item["id"] for item in api.client(persona).get("/api/v1/posts/").json()["results"]}
    assert listed == {world.posts[name].pk for name in expected}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("acme", {"initech-components", "umbrella-packaging"}),
        ("globex", {"initech-components", "umbrella-packaging"}),
        ("initech", {"initech-components"}),
        ("umbrella", {"umbrella-packaging"}),
        ("initech_read", {"initech-components"}),
    ],
)
def test_supplier_keys_see_only_their_own_supplier(api, world, persona, expected):
    listed = api.client(persona).get("/api/v1/suppliers/").json()["results"]
    assert {item["slug"] for item in listed} == expected


def test_vendor_codes_in_the_directory_are_the_callers_own(api, world):
    def codes(persona):
        listed = api.client(persona).get("/api/v1/suppliers/").json()["results"]
        return {item["slug"]: item["vendor_codes"] for item in listed}

    assert codes("acme") == {"initech-components": ["A-100"], "umbrella-packaging": ["A-200"]}
    assert codes("globex") == {"initech-components": ["G-1"], "umbrella-packaging": []}
    assert codes("initech") == {"initech-components": []}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("acme", {"public"}),
        ("globex", {"public", "to_globex"}),
        ("initech", {"public", "to_globex"}),
        ("initech_read", {"public", "to_globex"}),
    ],
)
def test_answers_listed_are_the_ones_the_persona_may_read(api, world, persona, expected):
    incident = world.incidents["initech"]
    client = api.client(persona)
    listed = {
        item["id"] for item in client.get(f"/api/v1/incidents/{incident.pk}/responses/").json()
    }
    assert listed == {world.responses[name].pk for name in expected}
    detail = client.get(f"/api/v1/incidents/{incident.pk}/").json()
    assert {item["id"] for item in detail["responses"]} == listed
    answered = {
        entry["data"]["response_id"] for entry in detail["timeline"] if entry["kind"] == "response"
    }
    assert answered == listed


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("acme", {"anonymous_report", "private_report", "named_report", "public_post"}),
        ("globex", {"anonymous_report", "named_report", "public_post"}),
        ("initech", {"anonymous_report", "named_report", "public_post"}),
    ],
)
def test_evidence_listed_is_what_the_persona_may_read(api, world, persona, expected):
    incident = world.incidents["initech"]
    body = api.client(persona).get(f"/api/v1/incidents/{incident.pk}/posts/").json()
    # By their words: a report whose reporter the persona may not know has no id.
    assert {item["text"] for item in body["results"]} == {world.posts[n].text for n in expected}


def test_webhooks_and_deliveries_listed_are_the_partys_own(api, ids):
    def listed(persona, path):
        return {item["id"] for item in api.client(persona).get(path).json()["results"]}

    assert listed("acme", "/api/v1/webhooks/") == {ids["acme_webhook"]}
    assert listed("acme_read", "/api/v1/webhooks/") == {ids["acme_webhook"]}
    assert listed("initech", "/api/v1/webhooks/") == {ids["initech_webhook"]}
    assert listed("globex", "/api/v1/webhooks/") == set()
    assert listed("acme", "/api/v1/webhook-deliveries/") == {ids["acme_delivery"]}
    assert listed("initech", "/api/v1/webhook-deliveries/") == set()
