"""A broker outage or a killed worker delays work but loses none (DESIGN.md, 'The pipeline').

Posts are queued only after their transaction commits; a periodic sweep queues again whatever is
still pending after a while; the processing task is acked late, rejected (requeued) when its
worker dies, and retried on transient database errors.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import timedelta

import pytest
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError

from incidents import services, tasks
from incidents.models import Post
from incidents.tasks import process_posts, sweep_pending_posts
from supplierwatch import queues
from supplierwatch.celery import app as celery_app
from tests.factories import BuyerPostFactory, PublicPostFactory


class Boom(Exception):
    pass


@pytest.fixture
def queued(monkeypatch) -> list[list[int]]:
    """Record what is sent to process_posts instead of running it."""
    calls: list[list[int]] = []
    monkeypatch.setattr(process_posts, "delay", lambda ids: calls.append(list(ids)))
    # In-process (eager) mode queues through apply(), so that retries never reach the request.
    monkeypatch.setattr(process_posts, "apply", lambda args, **_: calls.append(list(args[0])))
    return calls


def pending_since(minutes: float, **extra) -> Post:
    post = BuyerPostFactory(**extra)
    Post.objects.filter(pk=post.pk).update(
        status_changed_at=timezone.now() - timedelta(minutes=minutes)
    )
    return post


# --- the sweep --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_queues_posts_pending_longer_than_the_sweep_delay(queued, settings):
    settings.SW_PENDING_SWEEP_MINUTES = 5
    stuck = [pending_since(10), pending_since(6)]
    young = pending_since(1)
    done = pending_since(30)
    failed = pending_since(30)
    Post.objects.filter(pk=done.pk).update(status=Post.Status.PROCESSED)
    Post.objects.filter(pk=failed.pk).update(status=Post.Status.FAILED)

    assert sweep_pending_posts() == 2

    assert queued == [sorted(p.pk for p in stuck)]
    assert young.pk not in queued[0]


@pytest.mark.django_db
def test_the_sweep_queues_nothing_when_nothing_is_stuck(queued):
    pending_since(0)
    assert sweep_pending_posts() == 0
    assert queued == []


@pytest.mark.django_db
def test_the_sweep_queues_in_batches(queued, monkeypatch):
    monkeypatch.setattr(services.processing, "BATCH_SIZE", 2)
    stuck = sorted(pending_since(60).pk for _ in range(5))

    assert sweep_pending_posts() == 5
    assert queued == [stuck[0:2], stuck[2:4], stuck[4:5]]


@pytest.mark.django_db
def test_posts_the_sweep_queues_end_processed(settings):
    settings.SW_PENDING_SWEEP_MINUTES = 5
    stuck = [pending_since(10) for _ in range(3)]

    sweep_pending_posts.delay()

    assert set(
        Post.objects.filter(pk__in=[p.pk for p in stuck]).values_list("status", flat=True)
    ) == {Post.Status.PROCESSED}
    assert sweep_pending_posts() == 0


def handed_to_the_broker(post: Post, *, minutes_ago: float) -> None:
    Post.objects.filter(pk=post.pk).update(
        queued_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


@pytest.fixture
def bulk_queue(monkeypatch) -> dict[str, int | None]:
    """What the broker says waits in the bulk queue: `bulk_queue["waiting"] = n`."""
    state: dict[str, int | None] = {"waiting": 0}
    monkeypatch.setattr(queues, "waiting", lambda name: state["waiting"])
    return state


@pytest.mark.django_db
def test_the_sweep_never_queues_again_a_post_handed_to_the_broker_recently(
    queued, settings, bulk_queue
):
    settings.SW_PENDING_SWEEP_MINUTES = 2
    on_its_way = pending_since(30)
    handed_to_the_broker(on_its_way, minutes_ago=1)

    assert sweep_pending_posts() == 0
    assert queued == []


@pytest.mark.django_db
def test_the_sweep_queues_again_a_post_handed_to_the_broker_long_ago_when_no_batch_waits(
    queued, settings, bulk_queue
):
    """Its message was lost: a broker restarted without its data, or a killed worker held it."""
    settings.SW_PENDING_SWEEP_MINUTES = 2
    lost = pending_since(30)
    handed_to_the_broker(lost, minutes_ago=3)

    assert sweep_pending_posts() == 1
    assert queued == [[lost.pk]]


@pytest.mark.parametrize("waiting", [5_000, None], ids=["backlog", "broker cannot say"])
@pytest.mark.django_db
def test_in_a_backlog_the_sweep_queues_only_the_posts_the_broker_never_took(
    queued, settings, bulk_queue, waiting
):
    settings.SW_PENDING_SWEEP_MINUTES = 2
    bulk_queue["waiting"] = waiting
    still_in_the_queue = pending_since(30)
    handed_to_the_broker(still_in_the_queue, minutes_ago=20)
    never_sent = pending_since(30)

    assert sweep_pending_posts() == 1
    assert queued == [[never_sent.pk]]


@pytest.mark.django_db
def test_the_sweep_stamps_what_it_queues_so_that_the_next_sweep_passes_it_by(
    queued, settings, bulk_queue
):
    settings.SW_PENDING_SWEEP_MINUTES = 2
    stuck = pending_since(30)

    assert sweep_pending_posts() == 1
    assert sweep_pending_posts() == 0
    assert queued == [[stuck.pk]]
    stuck.refresh_from_db()
    assert stuck.queued_at is not None


@pytest.mark.django_db
def test_posts_the_broker_refuses_stay_pending_unstamped_and_the_broker_is_not_retried_at_once(
    monkeypatch, caplog
):
    attempts: list[list[int]] = []

    def refused(ids):
        attempts.append(list(ids))
        raise BrokerOperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(process_posts, "delay", refused)
    monkeypatch.setitem(process_posts.app.conf, "task_always_eager", False)
    first, second = PublicPostFactory(), PublicPostFactory()

    with caplog.at_level(logging.WARNING, logger="supplierwatch.queues"):
        assert services.posts_send([first.pk]) == 0
        assert services.posts_send([second.pk]) == 0

    assert attempts == [[first.pk]]  # the second waits for the sweep without trying
    assert set(
        Post.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "queued_at")
    ) == {(Post.Status.PENDING, None)}
    assert "the broker is unavailable" in caplog.text


@pytest.mark.django_db
def test_posts_the_sweep_cannot_send_are_taken_again_by_its_next_run(
    monkeypatch, settings, bulk_queue
):
    settings.SW_PENDING_SWEEP_MINUTES = 2
    monkeypatch.setattr(services.processing, "BATCH_SIZE", 2)
    monkeypatch.setitem(process_posts.app.conf, "task_always_eager", False)
    sent: list[list[int]] = []

    def refused(ids):
        raise BrokerOperationalError("Connection refused.")

    monkeypatch.setattr(process_posts, "delay", refused)
    lost = [pending_since(30) for _ in range(3)]
    for post in lost:
        handed_to_the_broker(post, minutes_ago=10)
    sweep_pending_posts()
    assert set(Post.objects.values_list("queued_at", flat=True)) == {None}

    queues.broker_recovered()
    monkeypatch.setattr(process_posts, "delay", lambda ids: sent.append(list(ids)))
    assert sweep_pending_posts() == 3
    assert sent == [sorted(p.pk for p in lost)[:2], sorted(p.pk for p in lost)[2:]]


@pytest.mark.django_db
def test_posts_the_broker_takes_are_stamped(monkeypatch):
    monkeypatch.setattr(process_posts, "delay", lambda ids: None)
    monkeypatch.setitem(process_posts.app.conf, "task_always_eager", False)
    post = PublicPostFactory()
    before = timezone.now()

    assert services.posts_send([post.pk]) == 1
    post.refresh_from_db()
    assert post.queued_at is not None and post.queued_at >= before


# --- queued only after commit -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_is_queued_only_when_its_transaction_commits(
    alice, initech, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        post = services.post_report(author=alice, supplier=initech, text="Cracked housings")
        assert queued == []

    assert queued == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert queued == [[post.pk]]


@pytest.mark.django_db
def test_a_report_rolled_back_is_never_queued(
    alice, initech, queued, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        suppress(Boom),
        transaction.atomic(),
    ):
        services.post_report(author=alice, supplier=initech, text="Cracked housings")
        raise Boom

    assert callbacks == []
    assert queued == []
    assert not Post.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_ingested_posts_are_queued_after_the_commit_and_not_at_all_after_a_rollback(monkeypatch):
    seen: list[tuple[list[int], bool, int]] = []

    def delay(ids):
        # What a worker would find the moment the task is sent.
        seen.append(
            (list(ids), connection.in_atomic_block, Post.objects.filter(pk__in=ids).count())
        )

    monkeypatch.setattr(process_posts, "delay", delay)
    # As with a broker: tasks are sent, not run in-process.
    monkeypatch.setitem(process_posts.app.conf, "task_always_eager", False)
    rows = [{"external_id": f"x{i}", "text": f"post {i}"} for i in range(3)]

    with suppress(Boom), transaction.atomic():
        services.posts_ingest(source="forum", rows=rows)
        raise Boom
    assert seen == []
    assert not Post.objects.exists()

    result = services.posts_ingest(source="forum", rows=rows)

    assert seen == [(result.post_ids, False, 3)]


# --- the task's delivery guarantees -----------------------------------------------------------


def test_process_posts_is_acked_late_and_requeued_when_its_worker_dies():
    assert process_posts.acks_late is True
    assert process_posts.reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    # Redis redelivers an unacked task after the visibility timeout: it must outlast any task.
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > celery_app.conf.task_time_limit


def test_process_posts_retries_transient_database_errors_with_backoff():
    assert OperationalError in process_posts.autoretry_for
    assert InterfaceError in process_posts.autoretry_for
    assert process_posts.max_retries >= 3
    assert process_posts.retry_backoff
    assert process_posts.retry_jitter


def test_the_periodic_tasks_are_safe_to_redeliver():
    assert sweep_pending_posts.acks_late is True
    assert tasks.detect_spikes.acks_late is True
    assert OperationalError in tasks.detect_spikes.autoretry_for


def test_the_sweep_and_spike_detection_are_scheduled():
    schedule = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert {"incidents.tasks.sweep_pending_posts", "incidents.tasks.detect_spikes"} <= schedule


@pytest.fixture
def like_a_worker():
    """Run retries in place as a worker would run them, instead of raising celery's Retry.

    Celery applies an eager retry only when the first apply was not told to propagate errors;
    tests (and the single-process mode) propagate, so these tests switch that off.
    """
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = propagates


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_transient_database_error_is_retried(monkeypatch, like_a_worker, error):
    post = PublicPostFactory(text="nothing to see")
    real = services.posts_process
    calls = []

    def flaky(*, post_ids):
        calls.append(list(post_ids))
        if len(calls) == 1:
            raise error("server closed the connection unexpectedly")
        return real(post_ids=post_ids)

    monkeypatch.setattr(services, "posts_process", flaky)

    result = process_posts.apply(args=[[post.pk]])

    assert result.successful()
    assert result.get() == {"processed": 1, "failed": 0}
    assert calls == [[post.pk], [post.pk]]
    post.refresh_from_db()
    assert post.status == Post.Status.PROCESSED
    assert post.attempts == 1


@pytest.mark.django_db
def test_a_database_that_stays_down_leaves_the_posts_pending_for_the_sweep(
    monkeypatch, like_a_worker
):
    post = PublicPostFactory(text="nothing to see")
    calls = []

    def down(*, post_ids):
        calls.append(post_ids)
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "posts_process", down)

    result = process_posts.apply(args=[[post.pk]])

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == process_posts.max_retries + 1
    post.refresh_from_db()
    # Not failed: a database outage is no fault of the post; the sweep will queue it again.
    assert post.status == Post.Status.PENDING


@pytest.mark.django_db
def test_a_post_that_cannot_be_processed_is_set_aside_as_failed(monkeypatch):
    post = PublicPostFactory(text="nothing to see")
    monkeypatch.setattr(
        services, "posts_process", lambda *, post_ids: (_ for _ in ()).throw(KeyError("bad"))
    )

    result = process_posts.apply(args=[[post.pk]])

    assert result.get() == {"processed": 0, "failed": 1}
    post.refresh_from_db()
    assert post.status == Post.Status.FAILED
    assert post.error


@pytest.mark.django_db
def test_the_task_returns_quietly_when_its_posts_are_gone():
    assert process_posts.apply(args=[[987654321]]).get() == {"processed": 0, "failed": 0}


@pytest.mark.django_db
def test_running_the_task_twice_processes_each_post_once():
    posts = [PublicPostFactory(text=f"post {i}") for i in range(3)]
    ids = [p.pk for p in posts]

    assert process_posts.apply(args=[ids]).get() == {"processed": 3, "failed": 0}
    assert process_posts.apply(args=[ids]).get() == {"processed": 0, "failed": 0}
    assert set(Post.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_in_single_process_mode_a_transient_error_does_not_break_the_report_that_queued_it(
    alice, initech, monkeypatch, django_capture_on_commit_callbacks
):
    real = services.posts_process
    calls = []

    def flaky(*, post_ids):
        calls.append(post_ids)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(post_ids=post_ids)

    monkeypatch.setattr(services, "posts_process", flaky)

    with django_capture_on_commit_callbacks(execute=True):
        post = services.post_report(author=alice, supplier=initech, text="Cracked housings")

    post.refresh_from_db()
    assert post.status == Post.Status.PROCESSED
