"""Guessing passwords and flooding inboxes: how logins and password resets are throttled.

Logins, on the site and in the admin, are counted by django-axes (settings `AXES_*`, its
backend and middleware). After SW_LOGIN_FAILURE_LIMIT wrong passwords for one address from one
client, that pair is locked out for SW_LOGIN_COOLOFF_MINUTES after its last failure, and the right
password is refused meanwhile. The pair, because either half alone hurts the people it protects:
locked per account, anyone could lock every colleague out from one machine by typing each address
with a wrong password; locked per client address, one colleague's typos would lock out a whole
office behind one NAT. The price: an attacker guesses SW_LOGIN_FAILURE_LIMIT passwords per account
per cool-off from each client address it holds, so passwords must still be good ones (the
validators) and a botnet is the load balancer's or WAF's to stop.

The address is counted as typed, whether or not an account has it, so the lockout comes after the
same number of failures and reads the same for a known and an unknown address. Operators see and
clear lockouts in the admin (Axes > Access attempts: delete the row).

Password resets: at most SW_PASSWORD_RESETS_PER_ADDRESS requests per address typed and
SW_PASSWORD_RESETS_PER_CLIENT per client in each SW_PASSWORD_RESET_WINDOW_MINUTES, counted whether
or not the address has an account, beyond which the same "too many" page answers (429). Counted in
the cache: Redis when REDIS_URL is set, shared by every process; the process's memory otherwise,
and while Redis is unreachable (supplierwatch/counters.py). Login lockouts are kept in the database.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .counters import counters

TOO_MANY = 429


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind SW_TRUSTED_PROXY_COUNT proxies, the X-Forwarded-For entry that
    the outermost of them appended (entries left of it are whatever the client sent); without
    proxies, the connection's own address."""
    remote = str(request.META.get("REMOTE_ADDR") or "")
    hops = settings.SW_TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")
        if entry.strip()
    ]
    # Fewer entries than proxies: the request did not come through them all; trust none.
    return forwarded[-hops] if len(forwarded) >= hops else remote


def typed_address(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """The address a login attempt counts against: as the account is looked up (without case or
    surrounding spaces), so that "ALICE@acme.test " adds to the failures of alice@acme.test."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username")
    return str(typed or "").strip().lower()


def too_many(request: HttpRequest, *, what: str, minutes: int) -> HttpResponse:
    """The page of a throttled login or password reset, in the product's look, with 429."""
    response = render(
        request,
        "registration/too_many.html",
        {"what": what, "minutes": minutes},
        status=TOO_MANY,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a locked-out login, whoever's address was typed."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return too_many(request, what="login", minutes=minutes)


def _spend(bucket: str, ident: str, *, limit: int, window_seconds: int) -> bool:
    """Count one request against `ident` in a fixed window; False once past the limit. add() and
    incr() are atomic in Redis and in the local-memory cache, so parallel requests cannot both
    take the last one."""
    key = f"throttle:{bucket}:{hashlib.sha256(ident.encode()).hexdigest()}"
    counters.add(key, 0, timeout=window_seconds)
    try:
        count = counters.incr(key)
    except ValueError:  # the window ended between add() and incr()
        counters.add(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, answered 429 beyond the limits per address and per client."""

    def form_valid(self, form: Any) -> HttpResponse:
        window_minutes = settings.SW_PASSWORD_RESET_WINDOW_MINUTES
        window = window_minutes * 60
        address = str(form.cleaned_data["email"]).strip().lower()
        # Both are counted on every request, so neither can be spent without the other.
        per_address = _spend(
            "reset-address",
            address,
            limit=settings.SW_PASSWORD_RESETS_PER_ADDRESS,
            window_seconds=window,
        )
        per_client = _spend(
            "reset-client",
            client_ip(self.request),
            limit=settings.SW_PASSWORD_RESETS_PER_CLIENT,
            window_seconds=window,
        )
        if not (per_address and per_client):
            return too_many(self.request, what="password_reset", minutes=window_minutes)
        return super().form_valid(form)
