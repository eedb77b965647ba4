"""A party's admins manage their API keys in the product: issued (shown once), listed, revoked."""

from __future__ import annotations

import re

import pytest

from integrations.models import ApiKey
from integrations.services import api_key_issue
from suppliers.models import Membership

pytestmark = pytest.mark.django_db

URL = "/settings/api-keys/"


@pytest.fixture
def acme_admin(alice):
    Membership.objects.filter(user=alice).update(role=Membership.Role.ADMIN)
    alice.refresh_from_db()
    return alice


def test_an_organization_admin_issues_a_key_shown_once(client, acme_admin, acme):
    client.force_login(acme_admin)
    response = client.post(URL, {"name": "SAP connector", "can_write": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"].split(", ")
    key = re.search(r'value="(sw_live_[^"]+)"', response.content.decode()).group(1)
    api_key = ApiKey.objects.get(organization=acme)
    assert api_key.name == "SAP connector" and api_key.can_write
    assert api_key.created_by == acme_admin
    # Shown once: the list page never shows it again, and it works against the API.
    assert key not in client.get(URL).content.decode()
    me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert me.status_code == 200


def test_the_admin_sees_only_the_keys_of_their_party_and_revokes_one(
    client, acme_admin, acme, globex
):
    ours = api_key_issue(name="Ours", organization=acme).api_key
    api_key_issue(name="Theirs", organization=globex)
    client.force_login(acme_admin)
    page = client.get(URL).content.decode()
    assert "Ours" in page and "Theirs" not in page

    response = client.post(f"{URL}{ours.pk}/revoke/")
    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.revoked_at is not None


def test_another_partys_key_cannot_be_revoked(client, acme_admin, globex):
    theirs = api_key_issue(name="Theirs", organization=globex).api_key
    client.force_login(acme_admin)
    assert client.post(f"{URL}{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_a_key_needs_a_name(client, acme_admin):
    client.force_login(acme_admin)
    response = client.post(URL, {"name": ""})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_members_who_are_not_admins_cannot_manage_keys(client, bob, carol):
    for person in (bob, carol):
        client.force_login(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"name": "x"}).status_code == 403


def test_a_supplier_admin_issues_a_read_key(client, carol, initech):
    Membership.objects.filter(user=carol).update(role=Membership.Role.ADMIN)
    client.force_login(carol)
    assert client.post(URL, {"name": "BI"}).status_code == 200
    api_key = ApiKey.objects.get(supplier=initech)
    assert not api_key.can_write
    assert api_key.user.membership.role == Membership.Role.VIEWER
