"""The API keys this process authenticated in the last few seconds (SW_API_KEY_CACHE_SECONDS).

Every API request authenticates its key: a query over the key, its service user and the user's
party, some milliseconds of a request that may take twenty. A key used again within the window is
taken from here instead. The window is what a change to a key takes to reach every process: a key
revoked (or its user deactivated, or its scopes or party changed) elsewhere still acts as before
for at most that many seconds in a process that saw it just before. Revoking it in this process
forgets it at once (services.keys.api_key_revoke). Entries are found by the SHA-256 of the whole key, as the
database finds the row, so a wrong key is never answered from here; only keys that authenticated
are kept.
"""

from __future__ import annotations

import copy
import threading
import time

from django.conf import settings

from .models import ApiKey

# Far more keys than any process serves within a window; past it the cache starts afresh.
MAX_KEYS = 1000

_lock = threading.Lock()
_keys: dict[str, tuple[float, ApiKey]] = {}


def cached_key(hashed_key: str) -> ApiKey | None:
    """A copy of the key (with its user and the user's party) that authenticated within the
    window, else None. A copy: a request may change its own, and threads may serve requests."""
    entry = _keys.get(hashed_key)
    if entry is None:
        return None
    if time.monotonic() >= entry[0]:
        _keys.pop(hashed_key, None)
        return None
    return _copy(entry[1])


def remember_key(api_key: ApiKey) -> None:
    seconds = settings.SW_API_KEY_CACHE_SECONDS
    if seconds <= 0:
        return
    with _lock:
        if len(_keys) >= MAX_KEYS:
            _keys.clear()
        _keys[api_key.hashed_key] = (time.monotonic() + seconds, _copy(api_key))


def _copy(api_key: ApiKey) -> ApiKey:
    """The key, its user and the user's membership copied (their party shared: nothing changes
    it in a request); a deep copy would cost a good part of what the cache saves."""
    key, user = copy.copy(api_key), copy.copy(api_key.user)
    key.user = user
    membership = getattr(user, "membership", None)
    if membership is not None:
        user.membership = copy.copy(membership)
    return key


def forget_key(api_key: ApiKey) -> None:
    with _lock:
        _keys.pop(api_key.hashed_key, None)


def forget_all() -> None:
    with _lock:
        _keys.clear()


def note_use(api_key: ApiKey) -> None:
    """Keep the use just recorded (services.keys.api_key_touch), so that the next requests within
    the window do not record it again."""
    entry = _keys.get(api_key.hashed_key)
    if entry is not None:
        entry[1].last_used_at = api_key.last_used_at
