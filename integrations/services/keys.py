"""Issue and revoke API keys. A key's secret part is shown once and only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from suppliers.models import Membership, Organization, Supplier, User
from supplierwatch.errors import ApplicationError

from .. import key_cache
from ..models import ApiKey

KEY_START = "sw_live_"
PREFIX_LENGTH = 8
SECRET_LENGTH = 40  # about 238 bits from 62 symbols
# The service users of keys get addresses in a reserved domain (RFC 2606): nothing is ever sent there.
SERVICE_EMAIL_DOMAIN = "api-keys.supplierwatch.invalid"
LAST_USED_RESOLUTION = timedelta(minutes=1)

_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    # The whole key, to show once: it cannot be recovered from the database.
    key: str


def hash_key(key: str) -> str:
    """SHA-256, unsalted: the key is a long random secret, so a slow password hash adds nothing."""
    return hashlib.sha256(key.encode()).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, else None."""
    if not key.startswith(KEY_START):
        return None
    rest = key[len(KEY_START) :]
    prefix, separator, secret = (
        rest[:PREFIX_LENGTH],
        rest[PREFIX_LENGTH : PREFIX_LENGTH + 1],
        rest[PREFIX_LENGTH + 1 :],
    )
    if separator != "_" or len(prefix) != PREFIX_LENGTH or len(secret) != SECRET_LENGTH:
        return None
    if not secret.isalnum() or not prefix.isalnum():
        return None
    return prefix, secret


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@transaction.atomic
def api_key_party_check(organization: Organization | None, supplier: Supplier | None) -> None:
    """A key belongs to exactly one party: an organization or a supplier."""
    if (organization is None) == (supplier is None):
        raise ApplicationError(
            "Issue a key to an organization or a supplier, not both.", field="party"
        )


def api_key_issue(
    *,
    name: str,
    organization: Organization | None = None,
    supplier: Supplier | None = None,
    can_write: bool = False,
    created_by: User | None = None,
) -> IssuedKey:
    """A new key for one party, with a service user that is a member of that party.

    An organization's key is a plain member (it reports problems, never manages the organization);
    a supplier's write key is a responder (it answers incidents), a read key a viewer.
    """
    api_key_party_check(organization, supplier)
    name = " ".join((name or "").split())[:100] or "API key"
    prefix = _random(_PREFIX_ALPHABET, PREFIX_LENGTH)
    while ApiKey.objects.filter(prefix=prefix).exists():
        prefix = _random(_PREFIX_ALPHABET, PREFIX_LENGTH)
    key = f"{KEY_START}{prefix}_{_random(_SECRET_ALPHABET, SECRET_LENGTH)}"
    user = User.objects.create_user(
        email=f"key-{prefix}@{SERVICE_EMAIL_DOMAIN}",
        password=None,  # unusable: a key's user never logs in
        first_name=name[:150],
        last_name="(API key)",
        is_service_account=True,
    )
    if organization is not None:
        role = Membership.Role.MEMBER
    else:
        role = Membership.Role.RESPONDER if can_write else Membership.Role.VIEWER
    Membership.objects.create(user=user, organization=organization, supplier=supplier, role=role)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        hashed_key=hash_key(key),
        organization=organization,
        supplier=supplier,
        can_write=can_write,
        user=user,
        created_by=created_by,
    )
    return IssuedKey(api_key=api_key, key=key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Stop a key from authenticating, for good. Its reports and answers stay, attributed to it."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        User.objects.filter(pk=api_key.user_id).update(is_active=False)
    # This process stops accepting it now (and again once committed, in case a request read the
    # key meanwhile); the others within SW_API_KEY_CACHE_SECONDS.
    key_cache.forget_key(api_key)
    transaction.on_commit(lambda: key_cache.forget_key(api_key))
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record a use, at most once a minute: a conditional UPDATE, so concurrent requests agree."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(
        last_used_at__gte=now - LAST_USED_RESOLUTION
    ).update(last_used_at=now)
    api_key.last_used_at = now
