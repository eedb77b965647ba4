"""Rate limits per API key (per person for the site's sessions, per address for the anonymous)."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from supplierwatch.counters import counters


class ApiKeyRateThrottle(SimpleRateThrottle):
    """SW_API_RATE requests per key (e.g. "600/min"); DRF answers 429 with Retry-After beyond it.

    The counts live in the cache: shared by every process with Redis, per process without it or
    while it is unreachable (supplierwatch/counters.py), so a Redis outage never fails a request.
    """

    scope = "api"
    cache = counters  # type: ignore[assignment]

    def get_rate(self) -> str | None:
        # Read per request rather than at import, so the rate can be changed by settings in tests.
        return settings.SW_API_RATE or None

    def get_cache_key(self, request: Request, view) -> str:
        # request.auth is the API key that authenticated the request, if one did.
        key_id = getattr(request.auth, "pk", None)
        if key_id is not None:
            ident = f"key:{key_id}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
