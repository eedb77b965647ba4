"""Handing work to the broker: which queue a task goes to, and what a broker outage does.

The database is the source of truth (DESIGN.md, 'The pipeline'): a row is committed before its
task is queued, and a periodic sweep queues again whatever is still waiting. So a broker that is
away must never fail the request that stored the row: `send` logs a warning and leaves the row for
its sweep. After one failure this process stops trying for SW_BROKER_RETRY_SECONDS, so that during
an outage each request or batch does not spend the client's connection retries again.

Two queues (settings.py, CELERY_TASK_ROUTES): the bulk processing of posts, whose backlog may
reach millions, goes to SW_BULK_QUEUE; every other task (the sweeps, spikes, SLA alerts,
notifications, digests, webhook deliveries) to the default queue, so that no backlog delays them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerOperationalError

logger = logging.getLogger(__name__)

# What a broker that cannot be reached raises when a task is sent (kombu wraps the transport's
# connection errors; a socket error may escape before it does).
BROKER_ERRORS: tuple[type[Exception], ...] = (BrokerOperationalError, ConnectionError, OSError)

# Tasks that go to the bulk queue: the processing of posts, and the nightly training, which may
# run for an hour and would otherwise hold a worker of the periodic queue.
BULK_TASKS = frozenset({"incidents.tasks.process_posts", "incidents.tasks.retrain_classifier"})

_lock = threading.Lock()
_unavailable_until = 0.0


def route_task(name: str, args: Any, kwargs: Any, options: Any, task: Any = None, **kw: Any) -> Any:
    """CELERY_TASK_ROUTES: the queue of a task, read when it is sent (tests and workers may name
    their own queues in the settings)."""
    if name in BULK_TASKS:
        return {"queue": settings.SW_BULK_QUEUE}
    return None  # the default queue, CELERY_TASK_DEFAULT_QUEUE


def send(enqueue: Callable[[], object], *, what: str) -> bool:
    """Call `enqueue` (a task's delay()); False, with a warning, when the broker is unreachable.

    The caller's rows stay as they are (pending, undelivered) and their sweep queues them once
    the broker is back; nothing is raised into a request or command that has already committed.
    """
    global _unavailable_until
    if time.monotonic() < _unavailable_until:
        logger.warning(
            "%s not queued: the broker was unavailable moments ago; the sweep will", what
        )
        return False
    try:
        enqueue()
    except BROKER_ERRORS as exc:
        with _lock:
            _unavailable_until = time.monotonic() + settings.SW_BROKER_RETRY_SECONDS
        logger.warning(
            "%s not queued: the broker is unavailable (%s); the sweep will queue it later",
            what,
            type(exc).__name__,
        )
        return False
    return True


def broker_recovered() -> None:
    """Forget a failure seen before (tests, and a process that knows the broker is back)."""
    global _unavailable_until
    _unavailable_until = 0.0


def waiting(queue: str) -> int | None:
    """How many messages wait in `queue` for a worker; None when the broker cannot say.

    In-process mode has no queue: nothing ever waits."""
    from .celery import app

    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1)
            # Declaring is harmless (the workers declare the same queue) and, unlike a passive
            # declaration, answers for an empty queue that the broker has not created yet.
            channel: Any = connection.default_channel  # a transport's channel: untyped
            declared = channel.queue_declare(queue=queue, passive=False)
            return int(declared.message_count)
    except Exception:  # any failure: the broker cannot tell, so the caller must not guess
        logger.warning("could not count the messages waiting in queue %s", queue, exc_info=True)
        return None
