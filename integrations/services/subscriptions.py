"""Webhook subscriptions: a party's URLs for incident events, and the guard that keeps deliveries
out of our own network."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import string
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from suppliers.models import Organization, Supplier, User
from supplierwatch.errors import ApplicationError
from supplierwatch.inputs import InputError, clean_url

from ..models import WebhookSubscription

Event = WebhookSubscription.Event
SECRET_START = "whsec_"
MAX_SUBSCRIPTIONS_PER_PARTY = 20
URL_MAX = WebhookSubscription._meta.get_field("url").max_length or 500


def webhook_destination_error(url: str) -> str | None:
    """Why deliveries may not go to this URL, or None.

    Refuses addresses inside our own network (loopback, private, link-local such as cloud metadata,
    reserved), so a subscription cannot make our workers call internal services (SSRF), unless
    SW_WEBHOOKS_ALLOW_PRIVATE (development and tests). Checked when subscribing and again before
    every delivery, since a name may resolve elsewhere later.
    """
    try:
        clean_url(url, max_length=URL_MAX)
    except InputError as exc:
        return exc.reason
    parts = urlsplit(url)
    port = parts.port
    if settings.SW_WEBHOOKS_REQUIRE_HTTPS and parts.scheme.lower() != "https":
        return "webhooks are delivered over https only"
    if parts.username or parts.password:
        return "put no credentials in the URL; verify our signature instead"
    if settings.SW_WEBHOOKS_ALLOW_PRIVATE:
        return None
    try:
        infos = socket.getaddrinfo(
            parts.hostname,
            port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except (OSError, UnicodeError):
        return "the host name does not resolve"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            return "the host resolves to a private, loopback or reserved address"
    return None


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
    if (organization is None) == (supplier is None):
        raise ApplicationError("Subscribe an organization or a supplier.", field="party")
    existing = WebhookSubscription.objects.filter(organization=organization, supplier=supplier)
    if existing.count() >= MAX_SUBSCRIPTIONS_PER_PARTY:
        raise ApplicationError(
            f"At most {MAX_SUBSCRIPTIONS_PER_PARTY} webhook subscriptions; delete one first.",
            code="limit_reached",
        )
    secret = _new_secret()
    subscription = WebhookSubscription.objects.create(
        organization=organization,
        supplier=supplier,
        url=_check_url(url),
        events=_clean_events(events),
        description=description.strip()[:200],
        secret=secret,
        created_by=created_by,
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
    if url is not None and url.strip() != subscription.url:
        subscription.url = _check_url(url)
    if events is not None:
        subscription.events = _clean_events(events)
    if description is not None:
        subscription.description = description.strip()[:200]
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
