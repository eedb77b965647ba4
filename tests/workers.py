"""A real Celery worker process for tests: started on the test database, consuming a queue of
its own through Redis, so that no other worker or run can take a test's tasks.

Fixtures `queue` and `start_worker` (tests/conftest.py) use it; tests that use them are marked
`worker` and `postgres` and run with `django_db(transaction=True)`, so the worker sees their rows.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import override_settings

from supplierwatch.celery import app as celery_app


def database_url() -> str:
    """The test database (pytest-django's), as the worker process must reach it."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


class Worker:
    """One `celery worker` process consuming only `queue`, logging to a file."""

    def __init__(self, queue: str, log: Path) -> None:
        self.queue, self.log = queue, log
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": os.environ["REDIS_URL"],
            # The product's own settings, as a deployed worker runs them.
            "DJANGO_SETTINGS_MODULE": "supplierwatch.settings",
            "DEBUG": "1",
            "DB_CONN_MAX_AGE": "0",
            # What its tasks queue (an e-mail after a notification, the posts a sweep queues)
            # stays in the test's queue, whichever queue the product routes it to.
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "SW_BULK_QUEUE": queue,
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "supplierwatch",
            "worker",
            "-l",
            "info",
            "--concurrency",
            "2",
            "-P",
            "prefork",
            "-Q",
            queue,
            "-n",
            f"{queue}-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=django_settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed with its pool
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        wait_until(lambda: " ready." in self.output(), timeout, "the worker to start", self)

    def received(self) -> int:
        return self.output().count("] received")

    def pool_pids(self) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_pool(self) -> None:
        """SIGKILL the pool processes (as the OOM killer would); the main process lives on."""
        for pid in self.pool_pids():
            os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool: nothing gets a chance to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, worker: Worker | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.process.poll() is not None:
            pytest.fail(f"the worker died while waiting for {what}:\n{worker.output()[-3000:]}")
        time.sleep(0.1)
    log = worker.output()[-3000:] if worker else ""
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}\n{log}")


def forget_queue(queue: str) -> None:
    """Remove the queue and any message still held for it, so nothing is redelivered later."""
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, payload in client.hgetall("unacked").items():
        try:
            message = json.loads(payload)[0]
            routed_here = message["properties"]["delivery_info"]["routing_key"] == queue
        except (ValueError, KeyError, IndexError, TypeError):
            continue
        if routed_here:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@contextmanager
def broker_queue() -> Iterator[str]:
    """Send tasks through the broker, to a queue of this test's own, while in this block: the
    default queue and the bulk one (supplierwatch/queues.py) are both this queue."""
    name = f"sw-test-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager = False
    conf.task_default_queue = name
    try:
        with override_settings(SW_BULK_QUEUE=name):
            yield name
    finally:
        conf.task_always_eager, conf.task_default_queue = saved
        forget_queue(name)


class OwnRedis:
    """A `redis-server` of one test's own, on a free port and without persistence, which the
    test may stop and start again (it comes back empty, as a Redis restarted without its data):
    the shared Redis of REDIS_URL is never stopped."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/4"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        # No snapshot and no log of writes: a restart comes back empty.
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 10, "redis-server to start")

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def use_broker(url: str) -> None:
    """Send this process's tasks to the broker at `url` from now on."""
    from supplierwatch.queues import broker_recovered

    celery_app.conf.broker_url = url
    # The app keeps a connection pool per broker; the next task sent builds one for this one.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    broker_recovered()
