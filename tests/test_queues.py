"""Two queues: the bulk processing of posts apart from the periodic and user-facing tasks, so that
a backlog of posts never delays the sweeps, spikes, SLA alerts, notifications or webhooks; and a
worker for each queue wherever the product runs."""

from __future__ import annotations

import shlex
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from supplierwatch.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]

BULK = ["incidents.tasks.process_posts", "incidents.tasks.retrain_classifier"]
PERIODIC_AND_USER_FACING = [
    "incidents.tasks.sweep_pending_posts",
    "incidents.tasks.detect_spikes",
    "incidents.tasks.record_sla_alerts",
    "notifications.tasks.generate_notifications",
    "notifications.tasks.send_notification_email",
    "notifications.tasks.sweep_notifications",
    "notifications.tasks.send_digests",
    "integrations.tasks.dispatch_webhook_events",
    "integrations.tasks.deliver_webhook",
    "integrations.tasks.requeue_webhook_deliveries",
    "supplierwatch.api.tasks.purge_idempotency_records",
]


def queue_of(task_name: str) -> str:
    import_module(task_name.rpartition(".")[0])  # a worker finds its tasks; here, import them
    assert task_name in celery_app.tasks, f"no task {task_name}"
    return celery_app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize("task_name", BULK)
def test_the_processing_of_posts_goes_to_the_bulk_queue(task_name):
    assert queue_of(task_name) == settings.SW_BULK_QUEUE == "bulk"


@pytest.mark.parametrize("task_name", PERIODIC_AND_USER_FACING)
def test_periodic_and_user_facing_tasks_go_to_the_default_queue(task_name):
    assert queue_of(task_name) == settings.CELERY_TASK_DEFAULT_QUEUE == "celery"


def test_every_scheduled_task_but_the_training_goes_to_the_default_queue():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {name for name in scheduled if queue_of(name) != "celery"} == {
        "incidents.tasks.retrain_classifier"
    }


def test_the_bulk_queue_is_named_by_the_settings(settings):
    settings.SW_BULK_QUEUE = "posts-eu"
    assert queue_of("incidents.tasks.process_posts") == "posts-eu"


def _queues_of(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(",")) if "-Q" in command else set()


def test_docker_compose_runs_a_worker_for_each_queue_and_one_beat():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {
        name: _queues_of(service["command"])
        for name, service in services.items()
        if "worker" in service.get("command", [])
    }
    assert sorted(workers.values(), key=sorted) == [{"bulk"}, {"celery"}]
    beats = [name for name, service in services.items() if "beat" in service.get("command", [])]
    assert beats == ["beat"]


def test_the_make_run_worker_consumes_both_queues():
    (line,) = [
        line
        for line in (ROOT / "Procfile.dev").read_text().splitlines()
        if line.startswith("worker:")
    ]
    assert _queues_of(shlex.split(line)) == {"celery", "bulk"}


# --- the workers' Redis transport (supplierwatch/broker.py) -----------------------------------


def test_a_channel_of_a_lost_connection_answers_with_a_connection_error_that_kombu_ignores():
    """Celery closes a lost connection, then hands its unacknowledged messages back through it:
    kombu's own channel raises AttributeError there, which stops the worker."""
    from types import SimpleNamespace

    from supplierwatch.broker import RedisChannel, RedisTransport

    torn_down = SimpleNamespace(connection=SimpleNamespace(client=None))
    with pytest.raises(RedisTransport.connection_errors):
        RedisChannel._connparams(torn_down)


def test_with_redis_the_workers_use_the_transport_that_survives_a_lost_redis():
    read = "import supplierwatch.settings as s; print(s.CELERY_BROKER_TRANSPORT)"
    finished = subprocess.run(
        [sys.executable, "-c", read],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "REDIS_URL": "redis://redis.example:6379/0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "supplierwatch.broker:RedisTransport"
