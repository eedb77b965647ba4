"""The cache that rate limits count in: shared (Redis) while it answers, this process's memory
while it does not.

A rate limit protects the service; it must not take the service down with the cache. When Redis
is unreachable, every request would otherwise answer 500 before its view runs (the API's throttle
reads the cache first). So the counts fall back to this process's memory: limits hold per process
until Redis is back (a client may then get a few more requests through, spread over the web
processes), and Redis is tried again SW_CACHE_RETRY_SECONDS after each failure rather than on
every request.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable cache raises: redis-py's errors, or a socket error before it wraps one.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, ConnectionError, OSError)


class FallbackCounters:
    """The subset of Django's cache API that counters use (get, set, add, incr, delete)."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self.local = LocMemCache("supplierwatch-counters", {"MAX_ENTRIES": 100_000})
        self._lock = threading.Lock()
        self._shared_unavailable_until = 0.0

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() >= self._shared_unavailable_until:
            try:
                return getattr(caches[self.alias], method)(*args, **kwargs)
            except CACHE_ERRORS as exc:
                with self._lock:
                    self._shared_unavailable_until = (
                        time.monotonic() + settings.SW_CACHE_RETRY_SECONDS
                    )
                logger.warning(
                    "the cache is unavailable (%s): rate limits count in this process for now",
                    type(exc).__name__,
                )
        return getattr(self.local, method)(*args, **kwargs)

    def get(self, key: str, default: Any = None) -> Any:
        return self._call("get", key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        self._call("set", key, value, timeout)

    def add(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return bool(self._call("add", key, value, timeout))

    def incr(self, key: str, delta: int = 1) -> int:
        return int(self._call("incr", key, delta))

    def delete(self, key: str) -> None:
        self._call("delete", key)

    def recovered(self) -> None:
        """Try the shared cache again at the next call (tests; an operator's shell)."""
        self._shared_unavailable_until = 0.0


# The one instance: the API throttles and the sign-in limits count here.
counters = FallbackCounters()
