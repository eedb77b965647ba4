"""Errors the API did not foresee (a bug, a database outage) answer in its one JSON shape and tell
nothing of their cause; pages keep the site's HTML error page."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from incidents.api.incidents import IncidentViewSet
from incidents.views import buyer as buyer_views
from integrations.authentication import ApiKeyAuthentication

pytestmark = pytest.mark.django_db

SECRET = "postgres://sw:hunter2@db.internal/sw"


def without_raising(client: APIClient | Client) -> APIClient | Client:
    """Answer as the server answers a client, rather than raising the exception into the test."""
    client.raise_request_exception = False
    return client


def assert_error_shape(response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["fields"] == {}
    text = response.content.decode()
    for leak in ("Traceback", "hunter2", "RuntimeError", "OperationalError", 'File "'):
        assert leak not in text


def test_a_bug_in_an_api_view_answers_500_in_the_error_shape(api, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(f"could not connect to {SECRET}")

    monkeypatch.setattr(IncidentViewSet, "list", broken)
    response = without_raising(api.client("acme")).get("/api/v1/incidents/")
    assert_error_shape(response, 500, "server_error")


def test_a_database_outage_answers_503_with_retry_after_in_the_error_shape(api, world, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError(f'connection to server at "{SECRET}" failed: Connection refused')

    # The first thing a request asks the database: who the key belongs to.
    monkeypatch.setattr(ApiKeyAuthentication, "authenticate", unreachable)
    response = without_raising(api.client("acme")).get("/api/v1/incidents/")
    assert_error_shape(response, 503, "unavailable")
    assert int(response["Retry-After"]) > 0


def test_a_bad_host_under_the_api_answers_400_in_the_error_shape(api, world):
    response = api.client("acme").get("/api/v1/incidents/", HTTP_HOST="evil.example")
    assert_error_shape(response, 400, "bad_request")


def test_a_bug_in_a_page_keeps_the_sites_html_error_page(client, alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError(f"could not connect to {SECRET}")

    monkeypatch.setattr(buyer_views.selectors, "incident_list", broken)
    client.force_login(alice)
    response = without_raising(client).get("/buyer/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert "hunter2" not in response.content.decode()


def test_the_schema_documents_the_server_errors(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    responses = schema["paths"]["/api/v1/incidents/"]["get"]["responses"]
    assert {"500", "503"} <= set(responses)
    assert "Retry-After" in responses["503"]["headers"]
