"""Signed unsubscribe links: one kind of e-mail, for one person, usable without signing in.

A link is a credential that sits in mailboxes and mail archives, so it lasts a bounded time
(SW_UNSUBSCRIBE_LINK_DAYS, a year by default: far beyond what mail laws ask, so every e-mail a
person still reads has a working link); after that the settings page, behind sign-in, does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"user": user_id, "kind": kind}, salt=SALT, compress=True)


def unsubscribe_path(*, user_id: int, kind: str) -> str:
    return reverse("notification-unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])


@dataclass(frozen=True)
class Expired:
    """A link we made, for a person and kind, that is older than links last."""


EXPIRED = Expired()


def read_unsubscribe_token(token: str) -> tuple[int, str] | Expired | None:
    """The person and kind a link was made for; EXPIRED when it is too old; None when it was not
    made by us or was altered."""
    try:
        data = signing.loads(
            token, salt=SALT, max_age=timedelta(days=settings.SW_UNSUBSCRIBE_LINK_DAYS)
        )
    except signing.SignatureExpired:
        return EXPIRED
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, kind = data.get("user"), data.get("kind")
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind
