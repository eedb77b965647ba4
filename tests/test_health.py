"""GET /healthz: JSON with database and broker status; 503 when either is down."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

from supplierwatch import health

pytestmark = pytest.mark.django_db

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_is_ok_with_database_and_eager_broker(client, settings):
    settings.REDIS_URL = settings.BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor
    assert body["broker"] == {
        "ok": True,
        "mode": "eager",
        "detail": "no REDIS_URL or BROKER_URL: tasks run in-process",
    }


@pytest.fixture
def filesystem_broker(settings, tmp_path):
    """The broker of `make run`: BROKER_URL=filesystem://, messages under VAR_DIR/broker/."""
    settings.REDIS_URL = ""
    settings.BROKER_URL = "filesystem://"
    settings.BROKER_DIR = tmp_path / "broker"
    (settings.BROKER_DIR / "messages").mkdir(parents=True)
    return settings.BROKER_DIR / "messages"


def test_healthz_reports_the_filesystem_broker_and_the_messages_no_worker_took(
    client, filesystem_broker
):
    (filesystem_broker / "1_a.celery.msg").write_text("{}")
    (filesystem_broker / "2_b.celery.msg").write_text("{}")
    response = client.get("/healthz")
    assert response.status_code == 200
    broker = response.json()["broker"]
    assert broker["ok"] is True
    assert broker["mode"] == "filesystem"
    assert broker["waiting"] == 2


def test_healthz_is_503_when_the_filesystem_broker_has_no_folder(client, filesystem_broker):
    filesystem_broker.rmdir()
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == {"ok": False, "mode": "filesystem", "error": "FileNotFoundError"}
    # Nothing about where the files live leaks to whoever can reach /healthz.
    assert str(filesystem_broker.parent) not in response.content.decode()


def test_healthz_needs_no_login_and_is_never_cached(client, settings):
    settings.REDIS_URL = settings.BROKER_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


class BrokenConnection:
    vendor = "broken"

    def cursor(self):
        raise OperationalError("could not connect to server")


def test_healthz_is_503_when_the_database_fails(client, settings, monkeypatch):
    settings.REDIS_URL = settings.BROKER_URL = ""
    monkeypatch.setattr(health, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["broker"]["ok"] is True


def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["mode"] == "redis"
    assert body["broker"]["error"]
    # Nothing about where the broker lives leaks to whoever can reach /healthz.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.worker
def test_healthz_reports_a_reachable_broker(client, settings):
    response = client.get("/healthz")
    body = response.json()
    assert body["broker"]["ok"] is True, body
    assert body["broker"]["mode"] == "redis"
    assert response.status_code == 200
