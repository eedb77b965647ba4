"""The API documentation (/api/docs/ Swagger UI, /api/redoc/ Redoc) is served from the product's
own static files, under the site's policy plus only what each viewer needs; an inline script or
style runs only with the response's nonce (supplierwatch.api.docs)."""

from __future__ import annotations

import re

import pytest

from supplierwatch.api.docs import REDOC_STYLE_HASHES
from tests.helpers import content_security_policy as policy

pytestmark = pytest.mark.django_db

SIDECAR = "/static/drf_spectacular_sidecar/"


def nonce_of(response) -> str:
    (source,) = [s for s in policy(response)["script-src"] if s.startswith("'nonce-")]
    return source.removeprefix("'nonce-").removesuffix("'")


def added_to_the_sites_policy(client, response) -> dict[str, list[str]]:
    """Sources of a response's policy beyond the site's own (a page's), its nonce left out."""
    site = policy(client.get("/accounts/login/"))
    added = {
        name: [s for s in sources if s not in site.get(name, []) and not s.startswith("'nonce-")]
        for name, sources in policy(response).items()
    }
    return {name: sources for name, sources in added.items() if sources}


def loads_from_elsewhere(html: str) -> list[str]:
    """Addresses of scripts, styles, fonts and images that are not the site's own."""
    return re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html)


def test_swagger_ui_comes_from_the_sites_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert f"{SIDECAR}swagger-ui-dist/{asset}" in html
    assert loads_from_elsewhere(html) == []


def test_swagger_uis_start_up_script_runs_only_with_this_responses_nonce(client):
    first, second = client.get("/api/docs/"), client.get("/api/docs/")
    nonce = nonce_of(first)
    assert nonce != nonce_of(second)
    html = first.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline_scripts == [f' nonce="{nonce}"']
    assert "<style" not in html and "style=" not in html
    # A cached copy would hand the nonce out again.
    assert "no-store" in first["Cache-Control"]
    # Swagger UI's icons are data: URLs; nothing else is added to the site's policy.
    assert added_to_the_sites_policy(client, first) == {"img-src": ["data:"]}


def test_redoc_comes_from_the_sites_own_static_files_and_gets_the_nonce_for_its_styles(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{SIDECAR}redoc/bundles/redoc.standalone.js" in html
    # No web fonts from elsewhere (drf-spectacular's own page loads them from Google).
    assert loads_from_elsewhere(html) == []
    assert "fonts.googleapis" not in html
    nonce = nonce_of(response)
    (starter,) = re.findall(r'<script src="/static/js/api-redoc\.js"([^>]*)>', html)
    assert f'nonce="{nonce}"' in starter
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert f"'nonce-{nonce}'" in policy(response)["style-src"]
    assert added_to_the_sites_policy(client, response) == {
        "img-src": ["data:"],
        "style-src": REDOC_STYLE_HASHES,
        "worker-src": ["blob:"],
    }
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_keeps_the_sites_opener_policy(client, path):
    assert client.get(path)["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_documentation_pages_are_not_part_of_the_api_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/docs/" not in schema and "/api/redoc/" not in schema
