"""GET /healthz: is this process able to serve? Database and broker, each with its status."""

import os
import tempfile
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; the class name says which
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "ms": _ms(started)}


def _check_broker() -> dict:
    if not settings.REDIS_URL:
        if settings.BROKER_URL:
            return _check_broker_folder()
        return {
            "ok": True,
            "mode": "eager",
            "detail": "no REDIS_URL or BROKER_URL: tasks run in-process",
        }
    import redis

    started = time.monotonic()
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
        )
        client.ping()
    except Exception as exc:  # any failure means unhealthy; the class name says which
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    return {"ok": True, "mode": "redis", "ms": _ms(started)}


def _check_broker_folder() -> dict:
    """The filesystem broker works while this process can write a file where messages go (the
    probe's name is no queue's, so no worker takes it). The messages no worker has taken yet are
    counted: a worker that is not running shows as a growing number."""
    started = time.monotonic()
    messages = settings.BROKER_DIR / "messages"
    try:
        with tempfile.TemporaryFile(dir=messages, prefix="healthz-"):
            pass
        waiting = sum(1 for entry in os.scandir(messages) if entry.name.endswith(".msg"))
    except OSError as exc:
        return {"ok": False, "mode": "filesystem", "error": type(exc).__name__}
    return {"ok": True, "mode": "filesystem", "waiting": waiting, "ms": _ms(started)}


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
