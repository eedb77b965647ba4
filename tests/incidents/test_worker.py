"""A real Celery worker process, a real broker (Redis) and PostgreSQL: nothing queued is lost.

The test starts `celery worker` as a subprocess on the test database, sends tasks through Redis
to a queue of its own (so no other worker or run can take them), and kills workers mid-batch:
a pool process killed under a task makes the task come back (acks_late + reject_on_worker_lost);
a whole worker killed loses what it had reserved until the sweep queues those posts again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection

from incidents import services
from incidents.models import Incident, Post, PostMatch
from incidents.tasks import sweep_pending_posts
from suppliers.models import SupplierAlias
from supplierwatch.celery import app as celery_app
from tests.factories import CategoryFactory, SupplierAliasFactory, SupplierFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

COMPLAINT = "@initech housings arrived cracked and out of spec again, terrible"
PRAISE = "thanks @initech, great delivery and lovely crew"


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
            "DEBUG": "1",
            "DB_CONN_MAX_AGE": "0",
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


def pending() -> int:
    return Post.objects.filter(status=Post.Status.PENDING).count()


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


@pytest.fixture
def queue() -> Iterator[str]:
    """Send tasks through the broker, to a queue of this test's own, for the test's duration."""
    name = f"sw-test-{uuid.uuid4().hex[:12]}"
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.task_default_queue)
    conf.task_always_eager = False
    conf.task_default_queue = name
    try:
        yield name
    finally:
        conf.task_always_eager, conf.task_default_queue = saved
        forget_queue(name)


@pytest.fixture
def start_worker(queue, tmp_path) -> Iterator[Callable[[], Worker]]:
    workers: list[Worker] = []

    def start() -> Worker:
        worker = Worker(queue, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()


@pytest.fixture
def initech_online():
    """What the worker's matcher and classifier are built from, committed for it to read."""
    CategoryFactory(slug="defect", name="Defect", keywords=["cracked", "out of spec", "broken"])
    supplier = SupplierFactory(name="Initech Components", slug="initech-components")
    SupplierAliasFactory(supplier=supplier, kind=SupplierAlias.Kind.HANDLE, text="@initech")
    return supplier


def ingest(prefix: str, n: int) -> list[int]:
    rows = [
        {
            "external_id": f"{prefix}-{i}",
            "text": PRAISE if i % 5 == 0 else COMPLAINT,
            "author_handle": f"{prefix}{i % 40}",
        }
        for i in range(n)
    ]
    result = services.posts_ingest(source="twitter", rows=rows)
    assert result.accepted == n
    return result.post_ids


def assert_all_processed_once_and_grouped(supplier, post_ids: list[int]) -> None:
    posts = Post.objects.filter(pk__in=post_ids)
    assert set(posts.values_list("status", flat=True)) == {Post.Status.PROCESSED}
    assert set(posts.values_list("attempts", flat=True)) == {1}
    matches = PostMatch.objects.filter(post_id__in=post_ids)
    assert matches.count() == len(post_ids)
    assert set(matches.values_list("supplier_id", flat=True)) == {supplier.pk}
    complaints = posts.filter(is_complaint=True).count()
    assert complaints == posts.filter(text__contains="cracked").count() > 0
    (incident,) = Incident.objects.filter(supplier=supplier)
    grouped = matches.filter(incident=incident).count()
    assert grouped == complaints
    assert matches.filter(incident__isnull=True).count() == len(post_ids) - complaints


def test_a_real_worker_processes_everything_and_loses_nothing_when_killed(
    queue, start_worker, initech_online, settings
):
    supplier = initech_online
    worker = start_worker()

    # 1. Posts committed by the ingest reach the worker through Redis and are all processed.
    first = ingest("calm", 300)
    wait_until(lambda: pending() == 0, 60, "300 posts to be processed", worker)
    assert_all_processed_once_and_grouped(supplier, first)
    incident = Incident.objects.get(supplier=supplier)
    assert incident.post_count == incident.public_post_count == 240
    assert incident.reporter_count == 32  # handles calm0..calm39 less those posting only praise

    # 2. The pool process running a batch is killed: the task is rejected, requeued, redone.
    seen = worker.received()
    second = ingest("oom", 600)
    wait_until(lambda: worker.received() > seen, 20, "the worker to take a batch", worker)
    worker.kill_pool()
    wait_until(lambda: pending() == 0, 60, "the killed batch to be redelivered", worker)

    # 3. The whole worker is killed mid-batch: what it had reserved waits in Redis's unacked
    # set for the visibility timeout, so the sweep queues those posts again for a new worker.
    seen = worker.received()
    third = ingest("crash", 600)
    wait_until(lambda: worker.received() > seen, 20, "the worker to take a batch", worker)
    worker.kill()
    replacement = start_worker()
    settings.SW_PENDING_SWEEP_MINUTES = 0
    sweep_pending_posts()
    wait_until(lambda: pending() == 0, 60, "the sweep's posts to be processed", replacement)

    every = first + second + third
    assert_all_processed_once_and_grouped(supplier, every)
    incident.refresh_from_db()
    assert (
        incident.post_count
        == incident.public_post_count
        == Post.objects.filter(pk__in=every, is_complaint=True).count()
    )
