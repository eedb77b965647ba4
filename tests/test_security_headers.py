"""What every response carries: a content security policy (django-csp, CONTENT_SECURITY_POLICY in
the settings) and the other security headers, on pages, API answers and static files alike."""

from __future__ import annotations

import pytest

from integrations.services import api_key_issue
from tests.helpers import content_security_policy as policy

pytestmark = pytest.mark.django_db


def test_a_page_runs_only_the_sites_own_scripts_and_styles_and_cannot_be_framed(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    # No inline script or style, no eval; a page that needs an inline one gets a nonce.
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/api/v1/me/", "/api/v1/nothing-here/", "/healthz"]
)
def test_every_answer_carries_the_policy_and_the_other_security_headers(client, path):
    response = client.get(path)
    assert policy(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    features = {part.strip() for part in response["Permissions-Policy"].split(",")}
    assert {"camera=()", "microphone=()", "geolocation=()", "payment=()"} <= features


def test_an_api_answer_to_a_key_carries_the_policy(client, acme):
    issued = api_key_issue(name="ERP", organization=acme)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {issued.key}")
    assert response.status_code == 200
    assert policy(response)["default-src"] == ["'self'"]


def test_static_files_carry_the_policy_too(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert policy(response)["object-src"] == ["'none'"]
    response.close()
