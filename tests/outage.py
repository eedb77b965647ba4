"""Redis away: the cache and the broker pointed at a port where nothing listens.

The fixture `redis_down` (tests/conftest.py) uses it: tasks are sent, not run in-process, to a
broker that refuses the connection, and the cache that the rate limits count in refuses it too.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import override_settings

from supplierwatch.celery import app as celery_app
from supplierwatch.counters import counters
from supplierwatch.queues import broker_recovered


def closed_port() -> int:
    """A local port where nothing listens (taken from the system, then given back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _forget_connections() -> None:
    # The app keeps a connection pool per broker URL; the next task sent builds one anew.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    broker_recovered()
    counters.recovered()


@contextmanager
def redis_unreachable() -> Iterator[str]:
    url = f"redis://127.0.0.1:{closed_port()}/4"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with override_settings(CACHES=caches, REDIS_URL=url):
        conf.task_always_eager = False
        conf.broker_url = url
        _forget_connections()
        try:
            yield url
        finally:
            conf.task_always_eager, conf.broker_url = saved
            _forget_connections()
