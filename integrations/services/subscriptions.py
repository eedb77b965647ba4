"""Webhook subscriptions: a party's URLs for incident events, and the guard that keeps deliveries
out of our own network."""

from __future__ import annotations

import secrets
import string
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from suppliers.models import Organization, Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.inputs import InputError, clean_text, clean_url
from supplierwatch.outbound import destination_refusal

from ..models import WebhookSubscription

Event = WebhookSubscription.Event
SECRET_START = "whsec_"
MAX_SUBSCRIPTIONS_PER_PARTY = 20
URL_MAX = WebhookSubscription._meta.get_field("url").max_length or 500
DESCRIPTION_MAX = WebhookSubscription._meta.get_field("description").max_length or 200


def webhook_url_error(url: str) -> str | None:
    """Why this URL may not receive webhooks, whatever its host resolves to, or None."""
    try:
        clean_url(url, max_length=URL_MAX)
    except InputError as exc:
        return exc.reason
    parts = urlsplit(url)
    if settings.SW_WEBHOOKS_REQUIRE_HTTPS and parts.scheme.lower() != "https":
        return "webhooks are delivered over https only"
    if parts.username or parts.password:
        return "put no credentials in the URL; verify our signature instead"
    return None


def webhook_destination_error(url: str) -> str | None:
    """Why deliveries may not go to this URL, or None: its own rules, then where its host resolves
    to now, so that a subscriber hears at once.

    Addresses inside our own network (loopback, private, link-local such as cloud metadata,
    reserved) are refused, so a subscription cannot make our workers call internal services (SSRF),
    unless SW_OUTBOUND_ALLOW_PRIVATE (development and tests). What keeps deliveries out is the
    delivery's client (supplierwatch.outbound), which checks the address of every connection it
    opens and connects to that address, whatever the name resolves to later.
    """
    if error := webhook_url_error(url):
        return error
    parts = urlsplit(url)
    return destination_refusal(
        parts.hostname or "",
        parts.port or (443 if parts.scheme.lower() == "https" else 80),
        allow_private=settings.SW_OUTBOUND_ALLOW_PRIVATE,
    )


def _new_secret() -> str:
    alphabet = string.ascii_letters + string.digits
    return SECRET_START + "".join(secrets.choice(alphabet) for _ in range(32))


def _clean_events(events: list[str] | None) -> list[str]:
    if not events:
        raise ApplicationError("Choose at least one event.", field="events")
    unknown = sorted(set(events) - set(Event.values))
    if unknown:
        raise ApplicationError(f"Unknown event: {unknown[0]}", field="events")
    return sorted(set(events))


def _check_url(url: str) -> str:
    url = (url or "").strip()
    error = webhook_destination_error(url)
    if error:
        raise ApplicationError(f"This URL cannot receive webhooks: {error}.", field="url")
    return url


def _require_room(organization: Organization | None, supplier: Supplier | None) -> None:
    """A subscription belongs to exactly one party, which has fewer than the most it may have."""
    if (organization is None) == (supplier is None):
        raise ApplicationError("Subscribe an organization or a supplier, not both.", field="party")
    existing = WebhookSubscription.objects.filter(organization=organization, supplier=supplier)
    if existing.count() >= MAX_SUBSCRIPTIONS_PER_PARTY:
        raise ApplicationError(
            f"At most {MAX_SUBSCRIPTIONS_PER_PARTY} webhook subscriptions; delete one first.",
            code="limit_reached",
        )


def webhook_subscription_clean(
    *,
    subscription: WebhookSubscription | None = None,
    organization: Organization | None = None,
    supplier: Supplier | None = None,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """The values a new subscription (no `subscription`) or a change to one is written with, by
    the rules every channel applies: the services call it, and so does the admin's form, so that
    a refusal shows beside its field there. ApplicationError naming the field otherwise.

    A new subscription needs one party with room for it, a URL and events; a change leaves what
    is None as it is, and checks the URL only when it is another one.
    """
    values: dict[str, Any] = {}
    if subscription is None:
        _require_room(organization, supplier)
        url, events, description = url or "", events or [], description or ""
    if url is not None and (subscription is None or url.strip() != subscription.url):
        values["url"] = _check_url(url)
    if events is not None:
        values["events"] = _clean_events(events)
    if description is not None:
        values["description"] = clean_text(description, "description", max_length=DESCRIPTION_MAX)
    return values


@transaction.atomic
def webhook_subscription_create(
    *,
    url: str,
    events: list[str],
    organization: Organization | None = None,
    supplier: Supplier | None = None,
    description: str = "",
    created_by: User | None = None,
) -> tuple[WebhookSubscription, str]:
    """(subscription, secret): the secret signs every delivery and is shown only now."""
    values = webhook_subscription_clean(
        organization=organization,
        supplier=supplier,
        url=url,
        events=events,
        description=description,
    )
    secret = _new_secret()
    subscription = WebhookSubscription.objects.create(
        organization=organization,
        supplier=supplier,
        secret=secret,
        created_by=created_by,
        **values,
    )
    return subscription, secret


@transaction.atomic
def webhook_subscription_update(
    *,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change a subscription. Switching it on again also forgets its past failures."""
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    values = webhook_subscription_clean(
        subscription=subscription, url=url, events=events, description=description
    )
    for name, value in values.items():
        setattr(subscription, name, value)
    if is_active is True and not subscription.is_active:
        subscription.is_active = True
        subscription.failure_count = 0
        subscription.disabled_at = None
    elif is_active is False:
        subscription.is_active = False
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new secret, effective for the next delivery; shown only now."""
    secret = _new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        secret=secret, updated_at=timezone.now()
    )
    subscription.secret = secret
    return secret


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()
