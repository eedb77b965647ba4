"""Signed unsubscribe links: one kind of e-mail, for one person, usable without signing in."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    return signing.dumps({"user": user_id, "kind": kind}, salt=SALT, compress=True)


def unsubscribe_path(*, user_id: int, kind: str) -> str:
    return reverse("notification-unsubscribe", args=[unsubscribe_token(user_id=user_id, kind=kind)])


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """The person and kind a link was made for; None when it was not made by us or was altered."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    user_id, kind = data.get("user"), data.get("kind")
    if not isinstance(user_id, int) or not isinstance(kind, str):
        return None
    return user_id, kind
