"""Scheduled work without Redis: the worker with beat that `make run` starts (Procfile.dev), over
the filesystem broker, runs what the web side queues and the periodic tasks (feeds polled
included), on a SQLite file.

Each side is a process of its own with the product's settings, as under `make run`; the test reads
the database file to see what the worker did. Needs no server, so CI runs it as it is.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integrations.feedserver import fixture
from tests.workers import wait_until

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]

# The web side: a buyer's report and a burst of public complaints about Initech, stored and queued
# by the product's services, as the report page and `ingest_posts` do.
WEB_SIDE = """
import json
from datetime import timedelta
import django
django.setup()
from django.utils import timezone
from incidents import services
from suppliers.models import SupplierAlias
from tests.factories import BuyerMembershipFactory, SupplierAliasFactory, SupplierFactory

initech = SupplierFactory(name="Initech Components", slug="initech-components")
SupplierAliasFactory(supplier=initech, kind=SupplierAlias.Kind.HANDLE, text="@initech")
alice = BuyerMembershipFactory(user__email="alice@acme.test", organization__name="Acme").user
report = services.post_report(
    author=alice, supplier=initech, text="Lot 7 housings arrived cracked, out of spec."
)
now = timezone.now()
burst = services.posts_ingest(
    source="twitter",
    rows=[
        {
            "external_id": f"burst-{i}",
            "text": "@initech housings arrived cracked and out of spec, awful",
            "author_handle": f"burst{i}",
            "published_at": now - timedelta(minutes=5 + 5 * i),
        }
        for i in range(8)
    ],
)
print(json.dumps({"report": report.pk, "burst": burst.post_ids, "supplier": initech.pk}))
"""

# An operator's RSS feed, due now and never polled: only beat's periodic poll of the due feeds
# reaches it (feed_create would queue its first poll at once).
FEED_SIDE = """
import os
import django
django.setup()
from integrations.models import Feed
Feed.objects.create(kind="rss", name="forum", target=os.environ["FEED_URL"])
"""
FEED_POSTS_PROCESSED = (
    "SELECT count(*) FROM incidents_post WHERE source = 'forum' AND status = 'processed'"
)


class ServerlessWorker:
    """The Procfile.dev worker (with its beat), logging to a file; what tests/workers.wait_until
    watches."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                procfile_command("worker"),
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its pool and beat
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def procfile_command(name: str) -> list[str]:
    """The command `make run` starts for `name`, with this interpreter as its python."""
    for line in (ROOT / "Procfile.dev").read_text().splitlines():
        if line.startswith(f"{name}:"):
            command = shlex.split(line.partition(":")[2])
            if command[0] == "exec":  # a shell word: the process replaces honcho's shell
                command = command[1:]
            return [sys.executable if word == "python" else word for word in command]
    raise AssertionError(f"Procfile.dev has no {name} process")


def serverless_env(var_dir: Path) -> dict[str, str]:
    """What `make run` gives its processes, on a folder of this test's own; detection runs every
    2 s rather than every minute, so that the test waits little."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "supplierwatch.settings",
        "DEBUG": "1",
        "VAR_DIR": str(var_dir),
        "BROKER_URL": "filesystem://",
        "SW_SPIKE_CHECK_SECONDS": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def query(database: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as db:
        return db.execute(sql, params).fetchall()


def test_without_redis_the_make_run_worker_runs_queued_and_scheduled_tasks(tmp_path, feed_server):
    env = serverless_env(tmp_path)
    database = tmp_path / "supplierwatch.sqlite3"
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 300}
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    web = subprocess.run([sys.executable, "-c", WEB_SIDE], **run)
    assert web.returncode == 0, web.stderr[-3000:]
    stored = json.loads(web.stdout.strip().splitlines()[-1])
    feed_server.routes["/rss"] = fixture("rss.xml")
    added = subprocess.run(
        [sys.executable, "-c", FEED_SIDE],
        **{**run, "env": {**env, "FEED_URL": feed_server.url("/rss")}},
    )
    assert added.returncode == 0, added.stderr[-3000:]
    post_ids = [stored["report"], *stored["burst"]]
    placeholders = ",".join("?" * len(post_ids))

    def statuses() -> set[str]:
        rows = query(
            database,
            f"SELECT status FROM incidents_post WHERE id IN ({placeholders})",
            *post_ids,
        )
        return {status for (status,) in rows}

    # Queued to the broker, not run where they were queued: the posts wait in files for a worker.
    assert statuses() == {"pending"}
    assert list((tmp_path / "broker" / "messages").glob("*.msg"))

    worker = ServerlessWorker(env, tmp_path / "worker.log")
    try:
        wait_until(lambda: " ready." in worker.output(), 60, "the worker to start", worker)
        wait_until(lambda: statuses() == {"processed"}, 60, "the posts to be processed", worker)
        spikes_sql = (
            "SELECT e.data FROM incidents_incidentevent e "
            "JOIN incidents_incident i ON i.id = e.incident_id "
            "WHERE e.kind = 'spike' AND i.supplier_id = ?"
        )
        wait_until(
            lambda: bool(query(database, spikes_sql, stored["supplier"])),
            60,
            "the burst to be flagged as a spike",
            worker,
        )
        (data,) = query(database, spikes_sql, stored["supplier"])[0]
        # Detection may run while the burst is still being processed: at least the rule's minimum.
        assert json.loads(data)["complaints_last_hour"] >= 5
        # The pipeline looks for spikes after each batch; beat's periodic check runs too.
        wait_until(
            lambda: "Scheduler: Sending due task detect-spikes" in worker.output(),
            60,
            "beat to send its periodic spike check",
            worker,
        )
        # Beat polls the feeds that are due: the feed's posts are stored and processed.
        wait_until(
            lambda: query(database, FEED_POSTS_PROCESSED) == [(3,)],
            90,
            "beat to poll the due feed and its posts to be processed",
            worker,
        )
        assert "Scheduler: Sending due task poll-due-feeds" in worker.output()
        assert feed_server.asked_for("/rss")
        ((last_success,),) = query(database, "SELECT last_success_at FROM integrations_feed")
        assert last_success is not None
    finally:
        worker.stop()
