"""/healthz and /readyz: liveness, each readiness check, access control, and readiness following the
database and the broker as the hub loses and regains them."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection

from conftest import Worker
from ops.tests.servers import GunicornHub, TcpRelay, hub_database_url, via_port

CHECKS = {"database", "migrations", "broker", "worker", "beat", "notify_listener"}


def test_healthz_answers_without_authentication(client):
    answer = client.get("/healthz", REMOTE_ADDR="203.0.113.9")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_lists_every_check_and_is_not_ready_without_worker_and_beat(client):
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not_ready"
    assert set(body["checks"]) == CHECKS
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"] == {"ok": True, "detail": "all applied"}
    assert body["checks"]["worker"] == {"ok": False, "detail": "no worker heartbeat yet"}
    assert body["checks"]["beat"] == {"ok": False, "detail": "no beat heartbeat yet"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
def test_loopback_access_refuses_other_clients(client, settings, path):
    settings.OCPI_HUB_OPS_ACCESS = "loopback"
    assert client.get(path, REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get(path, REMOTE_ADDR="127.0.0.1").status_code in (200, 503)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/readyz", "/metrics"])
def test_token_access_needs_the_bearer_token(client, settings, path):
    settings.OCPI_HUB_OPS_ACCESS = "token"
    settings.OCPI_HUB_OPS_TOKEN = "s3cret-scrape-token"
    assert client.get(path).status_code == 401
    assert client.get(path, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    allowed = client.get(path, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert allowed.status_code in (200, 503)


@pytest.mark.django_db
def test_open_access_lets_anyone_read(client, settings):
    settings.OCPI_HUB_OPS_ACCESS = "open"
    assert "checks" in client.get("/readyz", REMOTE_ADDR="203.0.113.9").json()


def _wait_for(hub: GunicornHub, status: int, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        answer = hub.get("/readyz")
        if answer.status_code == status or time.monotonic() > deadline:
            assert answer.status_code == status, answer.text
            return answer.json()["checks"]
        time.sleep(0.5)


@pytest.mark.usefixtures("requires_postgres", "requires_redis")
def test_readyz_follows_the_database_and_the_broker_going_away_and_coming_back(transactional_db, tmp_path):
    db = connection.settings_dict
    database = TcpRelay(db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)).restore()
    broker_url = urlsplit(settings.CELERY_BROKER_URL)
    broker = TcpRelay(broker_url.hostname or "127.0.0.1", broker_url.port or 6379).restore()
    beats = {"OCPI_HUB_HEARTBEAT_INTERVAL": "1"}
    worker = Worker("http://127.0.0.1:9", extra_env=beats).start()
    hub = GunicornHub(
        tmp_path,
        env={
            **beats,
            "DATABASE_URL": via_port(hub_database_url(), database.port),
            "CELERY_BROKER_URL": via_port(settings.CELERY_BROKER_URL, broker.port),
        },
    )
    try:
        hub.start()
        checks = _wait_for(hub, 200)
        assert {name for name, check in checks.items() if check["ok"]} == CHECKS
        assert checks["notify_listener"]["detail"] == "listening"

        database.cut()
        checks = _wait_for(hub, 503)
        assert checks["database"]["ok"] is False
        assert checks["broker"]["ok"] is True
        database.restore()
        _wait_for(hub, 200)

        broker.cut()
        checks = _wait_for(hub, 503)
        assert checks["broker"]["ok"] is False
        assert checks["database"]["ok"] is True
        broker.restore()
        _wait_for(hub, 200)
    finally:
        hub.stop()
        worker.stop()
        database.cut()
        broker.cut()
