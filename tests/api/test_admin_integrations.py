"""Operators issue, list and revoke keys, and manage webhooks, in the Django admin."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from integrations.models import ApiKey, WebhookDelivery, WebhookSubscription
from integrations.services import (
    DESCRIPTION_MAX,
    MAX_SUBSCRIPTIONS_PER_PARTY,
    api_key_issue,
    webhook_subscription_create,
)
from integrations.services.keys import hash_key

pytestmark = pytest.mark.django_db


def test_operator_issues_a_key_and_sees_it_once(op, acme):
    response = op.post(
        reverse("admin:integrations_apikey_add"),
        {"name": "SAP connector", "organization": acme.pk, "can_write": "on"},
    )
    assert response.status_code == 200
    key = re.search(
        r'value="(sw_live_[a-z0-9]{8}_[A-Za-z0-9]{40})"', response.content.decode()
    ).group(1)
    api_key = ApiKey.objects.get(hashed_key=hash_key(key))
    assert (api_key.name, api_key.organization, api_key.can_write) == ("SAP connector", acme, True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert client.get("/api/v1/me/").status_code == 200
    change_page = op.get(reverse("admin:integrations_apikey_change", args=[api_key.pk]))
    assert key not in change_page.content.decode()


def test_a_key_is_for_one_party(op, acme, initech):
    response = op.post(
        reverse("admin:integrations_apikey_add"),
        {"name": "both", "organization": acme.pk, "supplier": initech.pk},
    )
    assert response.status_code == 200
    assert "not both" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_operator_revokes_keys(op, acme):
    issued = api_key_issue(name="old", organization=acme)
    response = op.post(
        reverse("admin:integrations_apikey_changelist"),
        {"action": "revoke", "_selected_action": [issued.api_key.pk]},
    )
    assert response.status_code == 302
    issued.api_key.refresh_from_db()
    assert issued.api_key.revoked_at is not None


def test_operator_subscribes_a_party_and_sees_the_secret_once(op, globex):
    response = op.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {
            "organization": globex.pk,
            "url": "https://erp.example/hooks",
            "events": ["incident.created", "incident.resolved"],
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    secret = re.search(r'value="(whsec_[A-Za-z0-9]+)"', response.content.decode()).group(1)
    subscription = WebhookSubscription.objects.get()
    assert subscription.secret == secret
    assert subscription.events == ["incident.created", "incident.resolved"]
    page = op.get(reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]))
    assert page.status_code == 200
    assert secret not in page.content.decode()


def test_a_private_url_is_refused_on_the_form(op, globex, settings):
    settings.SW_OUTBOUND_ALLOW_PRIVATE = False
    response = op.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {"organization": globex.pk, "url": "http://10.0.0.5/hook", "events": ["incident.created"]},
    )
    assert response.status_code == 200
    assert "private, loopback or reserved" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_past_the_limit_is_refused_on_the_form(op, globex):
    for n in range(MAX_SUBSCRIPTIONS_PER_PARTY):
        webhook_subscription_create(
            organization=globex, url=f"https://erp.example/{n}", events=["incident.created"]
        )
    response = op.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {
            "organization": globex.pk,
            "url": "https://erp.example/one-more",
            "events": ["incident.created"],
        },
    )
    assert response.status_code == 200
    assert (
        f"At most {MAX_SUBSCRIPTIONS_PER_PARTY} webhook subscriptions" in response.content.decode()
    )
    assert WebhookSubscription.objects.count() == MAX_SUBSCRIPTIONS_PER_PARTY


def test_a_refusal_when_saving_is_shown_and_saves_nothing(op, globex, monkeypatch):
    from integrations import services
    from supplierwatch.errors import ApplicationError

    def refuse(**kwargs):
        raise ApplicationError("Someone else took the last place.", code="limit_reached")

    # The form's check passed, and the service refuses a moment later (a concurrent add).
    monkeypatch.setattr(services, "webhook_subscription_create", refuse)
    response = op.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {"organization": globex.pk, "url": "https://erp.example/h", "events": ["incident.created"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Someone else took the last place." in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_description_too_long_is_refused_not_cut(op, globex):
    subscription, _ = webhook_subscription_create(
        organization=globex, url="https://erp.example/h", events=["incident.created"]
    )
    response = op.post(
        reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk]),
        {
            "url": "https://erp.example/h",
            "events": ["incident.created"],
            "description": "d" * (DESCRIPTION_MAX + 1),
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "description" in response.context["adminform"].form.errors
    subscription.refresh_from_db()
    assert subscription.description == ""


def test_deliveries_and_idempotency_records_are_read_only(op, world):
    subscription = WebhookSubscription.objects.create(
        organization=world.acme, url="https://x.example/", secret="s", events=["incident.created"]
    )
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        incident_event=world.incidents["initech"].events.first(),
        event_type="incident.created",
        payload={},
    )
    for name in ("integrations_webhookdelivery", "api_idempotencyrecord"):
        assert op.get(reverse(f"admin:{name}_add")).status_code == 403
        assert op.get(reverse(f"admin:{name}_changelist")).status_code == 200
    assert (
        op.get(reverse("admin:integrations_webhookdelivery_change", args=[delivery.pk])).status_code
        == 200
    )
