"""What every response carries: a content security policy (django-csp, CONTENT_SECURITY_POLICY in
the settings) and the other security headers, on pages, API answers and static files alike; and
`Cache-Control: no-store` on whatever is answered to a person signed in by session or API key
(supplierwatch.middleware), while public static files keep their caching."""

from __future__ import annotations

import pytest

from integrations.services import api_key_issue
from tests.helpers import content_security_policy as policy

pytestmark = pytest.mark.django_db


def never_stored(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


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


def test_an_api_answer_to_a_key_carries_the_policy_and_is_never_stored(client, acme):
    issued = api_key_issue(name="ERP", organization=acme)
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {issued.key}")
    assert response.status_code == 200
    assert policy(response)["default-src"] == ["'self'"]
    assert never_stored(response)


def test_a_signed_in_page_is_never_stored(client, alice):
    client.force_login(alice)
    response = client.get("/buyer/")
    assert response.status_code == 200
    assert never_stored(response)
    assert "script-src" in policy(response)


def test_an_api_answer_to_a_signed_in_person_is_never_stored(client, carol):
    client.force_login(carol)
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert never_stored(response)


def test_a_person_signed_in_is_one_even_where_the_view_authenticates_nobody(client, alice):
    # The schema view authenticates no one (and tells the request so); the session still counts.
    assert not never_stored(client.get("/api/schema/"))
    client.force_login(alice)
    assert never_stored(client.get("/api/schema/"))


def test_signing_in_is_what_makes_a_page_never_stored(client, alice):
    anonymous = client.get("/accounts/password_reset/")
    assert anonymous.status_code == 200
    assert "Content-Security-Policy" in anonymous
    assert not never_stored(anonymous)
    client.force_login(alice)
    assert never_stored(client.get("/accounts/password_reset/"))


def test_static_files_keep_their_caching_for_a_signed_in_person(client, alice):
    client.force_login(alice)
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert policy(response)["object-src"] == ["'none'"]
    response.close()
