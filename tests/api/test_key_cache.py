"""A process goes on accepting a key it authenticated for SW_API_KEY_CACHE_SECONDS without reading
it again; revoking it in the process stops it at once, and elsewhere within the window."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from integrations import key_cache
from integrations.models import ApiKey
from integrations.services import api_key_issue, api_key_revoke
from integrations.services.keys import hash_key

pytestmark = pytest.mark.django_db

WINDOW = 5


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.SW_API_KEY_CACHE_SECONDS = WINDOW
    key_cache.forget_all()
    yield
    key_cache.forget_all()


@pytest.fixture
def acme_key(acme) -> str:
    return api_key_issue(name="Acme ERP", organization=acme, can_write=True).key


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_a_key_used_again_within_the_window_is_not_read_again(acme_key, django_assert_num_queries):
    client = client_with(acme_key)
    assert client.get("/api/v1/me/").status_code == 200
    with django_assert_num_queries(0):
        response = client.get("/api/v1/me/")
    assert response.json()["party"] == {"kind": "organization", "slug": "acme", "name": "Acme"}


def test_a_key_revoked_in_this_process_is_refused_at_once(acme_key):
    client = client_with(acme_key)
    assert client.get("/api/v1/me/").status_code == 200
    api_key_revoke(api_key=ApiKey.objects.get(hashed_key=hash_key(acme_key)))

    response = client.get("/api/v1/me/")

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key has been revoked."


def test_a_key_revoked_elsewhere_is_refused_once_the_window_has_passed(acme_key, monkeypatch):
    client = client_with(acme_key)
    assert client.get("/api/v1/me/").status_code == 200
    # Another process revokes it: this one does not hear of it.
    ApiKey.objects.filter(hashed_key=hash_key(acme_key)).update(revoked_at=timezone.now())
    assert client.get("/api/v1/me/").status_code == 200  # within the window

    later = key_cache.time.monotonic() + WINDOW
    monkeypatch.setattr(key_cache.time, "monotonic", lambda: later)

    assert client.get("/api/v1/me/").status_code == 401


def test_a_wrong_secret_is_refused_though_its_prefix_was_just_accepted(acme_key):
    assert client_with(acme_key).get("/api/v1/me/").status_code == 200
    forged = acme_key[: len("sw_live_") + 9] + "A" * (len(acme_key) - len("sw_live_") - 9)
    assert forged != acme_key

    assert client_with(forged).get("/api/v1/me/").status_code == 401


def test_a_use_recorded_is_not_recorded_again_within_the_minute(
    acme_key, django_assert_num_queries
):
    client = client_with(acme_key)
    client.get("/api/v1/me/")
    key_cache.forget_all()
    client.get("/api/v1/me/")  # read again, its last use a moment ago: nothing to record
    with django_assert_num_queries(0):
        client.get("/api/v1/me/")
