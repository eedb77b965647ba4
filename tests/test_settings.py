"""The product's settings come from the environment alone: what a deployment sets is what it gets.

Each case loads supplierwatch.settings in a fresh interpreter with exactly the given variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READ = (
    "import json, supplierwatch.settings as s; print(json.dumps({"
    "'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS, "
    "'ENGINE': s.DATABASES['default']['ENGINE'], 'NAME': str(s.DATABASES['default']['NAME']), "
    "'CONN_MAX_AGE': s.DATABASES['default']['CONN_MAX_AGE'], "
    "'EAGER': s.CELERY_TASK_ALWAYS_EAGER, 'SSL_REDIRECT': getattr(s, 'SECURE_SSL_REDIRECT', False), "
    "'ALLOW_PRIVATE': s.SW_OUTBOUND_ALLOW_PRIVATE, 'WEBHOOK_TIMEOUT': s.SW_WEBHOOK_TIMEOUT_SECONDS, "
    "'SECURE_COOKIES': getattr(s, 'SESSION_COOKIE_SECURE', False), "
    "'HSTS_PRELOAD': getattr(s, 'SECURE_HSTS_PRELOAD', False), "
    "'PASSWORD_HASHERS': getattr(s, 'PASSWORD_HASHERS', None), "
    "'BROKER': s.CELERY_BROKER_URL, 'BROKER_OPTIONS': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
    "'BEAT_FILE': s.CELERY_BEAT_SCHEDULE_FILENAME, "
    "'SPIKE_CHECK': s.CELERY_BEAT_SCHEDULE['detect-spikes']['schedule']}))"
)


def load_settings(**variables: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", **variables}
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def settings_with(**variables: str) -> dict:
    finished = load_settings(**variables)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def test_development_defaults_run_with_nothing_set():
    values = settings_with(DEBUG="1")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"]  # a fixed development key
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"].endswith("var/supplierwatch.sqlite3")
    assert values["EAGER"] is True
    assert values["ALLOW_PRIVATE"] is True
    assert values["SSL_REDIRECT"] is False


def test_production_reads_every_value_from_the_environment():
    values = settings_with(
        DEBUG="off",
        SECRET_KEY="from-the-environment",
        ALLOWED_HOSTS=" sw.example.com , www.sw.example.com ,",
        DATABASE_URL="postgres://sw:pw@db.example:5432/sw",
        DB_CONN_MAX_AGE="0",
        REDIS_URL="redis://redis.example:6379/0",
        SW_WEBHOOK_TIMEOUT_SECONDS="2.5",
    )
    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == "from-the-environment"
    assert values["ALLOWED_HOSTS"] == ["sw.example.com", "www.sw.example.com"]
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["CONN_MAX_AGE"] == 0
    assert values["EAGER"] is False
    assert values["SSL_REDIRECT"] is True
    assert values["ALLOW_PRIVATE"] is False
    assert values["WEBHOOK_TIMEOUT"] == 2.5
    # The product's own settings never switch to what tests use.
    assert values["PASSWORD_HASHERS"] is None or "MD5" not in str(values["PASSWORD_HASHERS"])


def test_without_debug_there_is_no_secret_key_and_no_host_by_default():
    values = settings_with()
    assert values["SECRET_KEY"] == ""
    assert values["ALLOWED_HOSTS"] == []


@pytest.mark.parametrize("word", ["1", "true", "yes", "on"])
def test_booleans_accept_the_usual_words(word):
    assert settings_with(DEBUG=word)["DEBUG"] is True


def test_a_switch_set_but_empty_takes_its_default_rather_than_off():
    production = {"DEBUG": "", "SECRET_KEY": "from-the-environment"}
    values = settings_with(
        **production, SECURE_SSL_REDIRECT="", SECURE_COOKIES=" ", SECURE_HSTS_PRELOAD=""
    )
    assert values["DEBUG"] is False
    assert (values["SSL_REDIRECT"], values["SECURE_COOKIES"], values["HSTS_PRELOAD"]) == (
        True,
        True,
        True,
    )
    switched_off = settings_with(**production, SECURE_SSL_REDIRECT="0", SECURE_COOKIES="off")
    assert (switched_off["SSL_REDIRECT"], switched_off["SECURE_COOKIES"]) == (False, False)


def test_production_settings_pass_djangos_deployment_checks(tmp_path):
    """`check --deploy` with what a deployment sets (README, Configuration): no warning at all,
    security headers, cookies and HTTPS included."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SECRET_KEY": "a-long-random-production-key-" + "x7Qm2Lp9Vz4Rt8Kw" * 3,
        "ALLOWED_HOSTS": "sw.example.com",
        "VAR_DIR": str(tmp_path),
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr


# --- Where tasks run: in-process, a worker over files (make run), or workers over Redis ----------


def test_without_a_broker_tasks_run_where_they_are_queued(tmp_path):
    values = settings_with(DEBUG="1", VAR_DIR=str(tmp_path))
    assert values["EAGER"] is True
    assert values["BROKER"].startswith("memory://")
    assert not (tmp_path / "broker").exists()


def test_the_filesystem_broker_sends_tasks_to_a_worker_through_files_under_var_dir(tmp_path):
    values = settings_with(DEBUG="1", VAR_DIR=str(tmp_path), BROKER_URL="filesystem://")
    assert values["EAGER"] is False
    assert values["BROKER"] == "filesystem://"
    messages = str(tmp_path / "broker" / "messages")
    # Both ways through one folder: what the web process writes is what the worker reads.
    assert values["BROKER_OPTIONS"]["data_folder_out"] == messages
    assert values["BROKER_OPTIONS"]["data_folder_in"] == messages
    assert values["BROKER_OPTIONS"]["control_folder"] == str(tmp_path / "broker" / "control")
    assert (tmp_path / "broker" / "messages").is_dir()
    assert (tmp_path / "broker" / "control").is_dir()


def test_redis_is_the_broker_whenever_redis_url_is_set(tmp_path):
    values = settings_with(
        VAR_DIR=str(tmp_path), REDIS_URL="redis://redis.example:6379/0", BROKER_URL="filesystem://"
    )
    assert values["EAGER"] is False
    assert values["BROKER"] == "redis://redis.example:6379/0"
    assert "visibility_timeout" in values["BROKER_OPTIONS"]
    assert not (tmp_path / "broker").exists()


def test_a_broker_url_other_than_the_filesystem_is_refused_without_echoing_it(tmp_path):
    finished = load_settings(
        VAR_DIR=str(tmp_path), BROKER_URL="amqp://sw:hunter2@rabbit.example:5672//"
    )
    assert finished.returncode != 0
    assert "BROKER_URL: only filesystem:// is supported" in finished.stderr
    assert "hunter2" not in finished.stderr
    assert "rabbit.example" not in finished.stderr


def test_beat_keeps_its_schedule_under_var_dir(tmp_path):
    values = settings_with(VAR_DIR=str(tmp_path))
    assert values["BEAT_FILE"] == str(tmp_path / "celerybeat-schedule")


def test_spikes_are_looked_for_every_minute_unless_configured(tmp_path):
    assert settings_with(VAR_DIR=str(tmp_path))["SPIKE_CHECK"] == 60.0
    assert settings_with(VAR_DIR=str(tmp_path), SW_SPIKE_CHECK_SECONDS="15")["SPIKE_CHECK"] == 15.0


def test_a_web_process_keeps_the_loaded_application_out_of_full_collections():
    """supplierwatch/wsgi.py loads every view and freezes what is loaded (gc.freeze), so the
    garbage collector's full collections walk only what requests leave behind."""
    script = (
        "import gc, sys; import supplierwatch.wsgi; "
        "print(gc.get_freeze_count(), 'incidents.views.buyer' in sys.modules)"
    )
    env = {**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "supplierwatch.settings"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert int(out[0]) > 100_000 and out[1] == "True"
