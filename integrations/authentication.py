"""`Authorization: Api-Key <key>` (or `Bearer <key>`): the request acts as the key's service user."""

from __future__ import annotations

import hmac

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from . import key_cache
from .models import ApiKey
from .services.keys import api_key_touch, hash_key, split_key

SCHEMES = ("api-key", "bearer")


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode("latin-1").lower() not in SCHEMES:
            return None  # another scheme, or none: the next authenticator may know it
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the key as `Authorization: Api-Key <key>`, with no space in the key."
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid API key.") from None
        return self.authenticate_key(key)

    def authenticate_key(self, key: str) -> tuple:
        parsed = split_key(key)
        if parsed is None:
            raise exceptions.AuthenticationFailed("Invalid API key.")
        hashed = hash_key(key)
        api_key = key_cache.cached_key(hashed)
        if api_key is None:
            api_key = (
                ApiKey.objects.select_related(
                    "user__membership__organization", "user__membership__supplier"
                )
                .filter(prefix=parsed[0])
                .first()
            )
            if api_key is None or not hmac.compare_digest(api_key.hashed_key, hashed):
                raise exceptions.AuthenticationFailed("Invalid API key.")
            if api_key.revoked_at is not None or not api_key.user.is_active:
                raise exceptions.AuthenticationFailed("This API key has been revoked.")
            key_cache.remember_key(api_key)
        used = api_key.last_used_at
        api_key_touch(api_key=api_key)
        if api_key.last_used_at != used:
            key_cache.note_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to requests without valid credentials.
        return 'Api-Key realm="api"'
