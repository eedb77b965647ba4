"""A real Celery worker process, a real broker (Redis) and PostgreSQL: nothing queued is lost.

The test starts `celery worker` as a subprocess on the test database, sends tasks through Redis
to a queue of its own (so no other worker or run can take them), and kills workers mid-batch:
a pool process killed under a task makes the task come back (acks_late + reject_on_worker_lost);
a whole worker killed loses what it had reserved until the sweep queues those posts again.
"""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Incident, Post, PostMatch
from incidents.services.complaint_days import complaint_days_drift
from incidents.tasks import sweep_pending_posts
from suppliers.models import SupplierAlias
from supplierwatch import queues
from tests.factories import CategoryFactory, SupplierAliasFactory, SupplierFactory
from tests.workers import wait_until

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

COMPLAINT = "@initech housings arrived cracked and out of spec again, terrible"
PRAISE = "thanks @initech, great delivery and lovely crew"


def pending() -> int:
    return Post.objects.filter(status=Post.Status.PENDING).count()


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
    assert complaint_days_drift() == []
    incident.refresh_from_db()
    assert (
        incident.post_count
        == incident.public_post_count
        == Post.objects.filter(pk__in=every, is_complaint=True).count()
    )


def test_posts_stored_while_the_broker_is_down_are_processed_once_it_is_back(
    own_redis, queue, start_worker, initech_online, monkeypatch
):
    """The broker (a redis-server of the test's own) stops and comes back empty."""
    supplier = initech_online
    monkeypatch.setenv("SW_PENDING_SWEEP_MINUTES", "0")  # the worker's sweep takes every post
    worker = start_worker()
    before = ingest("before", 100)
    wait_until(lambda: pending() == 0, 60, "the posts sent before the outage", worker)

    # The broker goes while the worker holds a batch, as it does under load.
    seen = worker.received()
    before += ingest("busy", 1500)
    wait_until(lambda: worker.received() > seen, 20, "the worker to take a batch", worker)
    own_redis.stop()
    during = ingest("during", 300)  # stored, though the broker refuses their task
    assert set(Post.objects.filter(pk__in=during).values_list("status", "queued_at")) == {
        (Post.Status.PENDING, None)
    }

    own_redis.start()
    queues.broker_recovered()
    wait_until(
        lambda: worker.output().count("] Connected to ") >= 2,
        90,
        "the worker to reconnect",
        worker,
    )
    sweep_pending_posts.delay()  # what beat sends every 30 seconds
    wait_until(lambda: pending() == 0, 90, "the posts of the outage to be processed", worker)

    assert "re-queued" in worker.output()
    assert_all_processed_once_and_grouped(supplier, before + during)
