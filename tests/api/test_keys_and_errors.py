"""API keys (issuing, hashing, revoking, authenticating), the error shape, throttling and limits."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.models import ApiKey
from integrations.services import api_key_issue, api_key_revoke
from integrations.services.keys import hash_key
from suppliers.models import Membership

pytestmark = pytest.mark.django_db


def client_with(header: str | None) -> APIClient:
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client


# --- issuing ------------------------------------------------------------------------------------


def test_a_key_is_stored_only_as_its_hash(acme):
    issued = api_key_issue(name="SAP connector", organization=acme, can_write=True)
    row = ApiKey.objects.get(pk=issued.api_key.pk)
    assert issued.key.startswith(f"sw_live_{row.prefix}_")
    assert row.hashed_key == hash_key(issued.key)
    assert issued.key not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert row.scopes == ["read", "write"]


@pytest.mark.parametrize(
    ("party", "can_write", "role"),
    [
        ("organization", True, Membership.Role.MEMBER),
        ("organization", False, Membership.Role.MEMBER),
        ("supplier", True, Membership.Role.RESPONDER),
        ("supplier", False, Membership.Role.VIEWER),
    ],
)
def test_each_key_acts_as_a_service_user_of_its_party(acme, initech, party, can_write, role):
    target = {"organization": acme} if party == "organization" else {"supplier": initech}
    key = api_key_issue(name="k", can_write=can_write, **target).api_key
    user = key.user
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert user.membership.role == role
    assert user.membership.party == (acme if party == "organization" else initech)


def test_a_key_belongs_to_exactly_one_party(acme, initech):
    from supplierwatch.errors import ApplicationError

    with pytest.raises(ApplicationError):
        api_key_issue(name="both", organization=acme, supplier=initech)
    with pytest.raises(ApplicationError):
        api_key_issue(name="neither")


def test_create_api_key_command_prints_the_key_once(acme):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_key",
        "--organization",
        "acme",
        "--scopes",
        "read,write",
        "--name",
        "SAP",
        stdout=out,
        stderr=err,
    )
    key = out.getvalue().strip()
    assert key.startswith("sw_live_")
    assert "shown only now" in err.getvalue()
    api_key = ApiKey.objects.get(hashed_key=hash_key(key))
    assert (api_key.name, api_key.organization, api_key.can_write) == ("SAP", acme, True)
    response = client_with(f"Api-Key {key}").get("/api/v1/me/")
    assert response.json()["party"] == {"kind": "organization", "slug": "acme", "name": "Acme"}


def test_create_api_key_command_for_a_supplier_defaults_to_read(initech):
    out = io.StringIO()
    call_command("create_api_key", "--supplier", initech.slug, stdout=out, stderr=io.StringIO())
    api_key = ApiKey.objects.get(hashed_key=hash_key(out.getvalue().strip()))
    assert api_key.supplier == initech and not api_key.can_write


@pytest.mark.parametrize(
    "args",
    [
        ["--organization", "nope"],
        ["--supplier", "nope"],
        ["--organization", "acme", "--scopes", "read,admin"],
    ],
)
def test_create_api_key_command_refuses_bad_input(acme, args):
    with pytest.raises(CommandError):
        call_command("create_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())


# --- authenticating ---------------------------------------------------------------------------


@pytest.fixture
def key(acme) -> str:
    return api_key_issue(name="ERP", organization=acme, can_write=True).key


@pytest.mark.parametrize("scheme", ["Api-Key", "Bearer", "api-key", "bearer"])
def test_either_scheme_authenticates(key, scheme):
    assert client_with(f"{scheme} {key}").get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Api-Key",
        "Api-Key sw_live_nope",
        "Bearer sw_live_abcdefgh_" + "x" * 40,
        "Api-Key two words",
    ],
)
def test_missing_or_unknown_keys_are_401(key, header):
    response = client_with(header).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json()["error"]["code"] in {"not_authenticated", "authentication_failed"}


def test_a_key_with_a_wrong_secret_is_401(key):
    prefix = key[: len("sw_live_") + 8]
    forged = prefix + "_" + "A" * 40
    assert client_with(f"Api-Key {forged}").get("/api/v1/me/").status_code == 401


def test_a_revoked_key_is_refused(acme, key):
    api_key = ApiKey.objects.get(hashed_key=hash_key(key))
    api_key_revoke(api_key=api_key)
    response = client_with(f"Api-Key {key}").get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."
    api_key.user.refresh_from_db()
    assert not api_key.user.is_active


def test_last_use_is_recorded_at_most_once_a_minute(key, django_assert_num_queries):
    client = client_with(f"Api-Key {key}")
    client.get("/api/v1/me/")
    api_key = ApiKey.objects.get(hashed_key=hash_key(key))
    first = api_key.last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the key's lookup; no write
        client.get("/api/v1/me/")
    api_key.refresh_from_db()
    assert api_key.last_used_at == first
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    client.get("/api/v1/me/")
    api_key.refresh_from_db()
    assert api_key.last_used_at > first


def test_a_person_signed_in_to_the_site_may_read_too(client, alice):
    client.force_login(alice)
    body = client.get("/api/v1/me/").json()
    assert body == {"party": {"kind": "organization", "slug": "acme", "name": "Acme"}, "key": None}


def test_a_signed_in_supplier_viewer_cannot_write(client, initech):
    from tests.factories import SupplierMembershipFactory

    viewer = SupplierMembershipFactory(supplier=initech, role=Membership.Role.VIEWER).user
    client.force_login(viewer)
    assert client.get("/api/v1/incidents/").status_code == 200
    response = client.post("/api/v1/webhooks/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "may only read" in response.json()["error"]["message"]


# --- the error shape and limits -----------------------------------------------------------------


def test_unknown_api_paths_answer_a_json_404(key):
    response = client_with(f"Api-Key {key}").get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "No such API endpoint.", "fields": {}}
    }


def test_malformed_json_is_a_400(key):
    response = client_with(f"Api-Key {key}").generic(
        "POST", "/api/v1/webhooks/", '{"url": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_form_body_is_a_415(key):
    response = client_with(f"Api-Key {key}").post("/api/v1/webhooks/", {"url": "x"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_body_over_the_limit_is_a_413_not_a_500(key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    rows = [{"external_id": str(n), "text": "y" * 100} for n in range(50)]
    response = client_with(f"Api-Key {key}").post(
        "/api/v1/public-posts/", {"source": "forum", "posts": rows}, format="json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_method_the_endpoint_lacks_is_a_405(key):
    response = client_with(f"Api-Key {key}").delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_throttling_is_per_key_with_retry_after(acme, globex, settings):
    settings.SW_API_RATE = "3/min"
    first = api_key_issue(name="a", organization=acme).key
    second = api_key_issue(name="b", organization=globex).key
    client = client_with(f"Api-Key {first}")
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v1/me/")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    assert throttled.json()["error"]["code"] == "throttled"
    assert client_with(f"Api-Key {second}").get("/api/v1/me/").status_code == 200


def test_two_keys_of_one_party_are_throttled_separately(acme, settings):
    settings.SW_API_RATE = "1/min"
    first = api_key_issue(name="a", organization=acme).key
    second = api_key_issue(name="b", organization=acme).key
    assert client_with(f"Api-Key {first}").get("/api/v1/me/").status_code == 200
    assert client_with(f"Api-Key {first}").get("/api/v1/me/").status_code == 429
    assert client_with(f"Api-Key {second}").get("/api/v1/me/").status_code == 200


# --- schema and docs ----------------------------------------------------------------------------


def test_schema_and_docs_are_served_without_a_key(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    document = json.loads(schema.content)
    assert document["openapi"].startswith("3.")
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["ApiKeyAuth"]["description"],
    }
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/redoc/").status_code == 200


def test_every_operation_has_examples_and_documents_its_errors(client):
    document = json.loads(
        client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").content
    )
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            assert operation.get("summary"), label
            responses = operation["responses"]
            assert {"400", "401", "403", "404", "429"} <= set(responses), label
            examples = [
                content.get("examples")
                for response in responses.values()
                for content in response.get("content", {}).values()
            ] + [
                content.get("examples")
                for content in operation.get("requestBody", {}).get("content", {}).values()
            ]
            if method != "delete":
                assert any(examples), f"{label} has no example"
