"""The Procfile: ``honcho start`` runs web (gunicorn), a Celery worker and beat, and the hub becomes ready."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from django.conf import settings

from conftest import purge_test_queue
from ops.tests.servers import free_port, hub_database_url

ROOT = Path(__file__).resolve().parents[2]


def _ready(url: str) -> requests.Response | None:
    with contextlib.suppress(requests.RequestException):
        return requests.get(f"{url}/readyz", timeout=5)
    return None


def test_honcho_start_runs_web_worker_and_beat_until_ready(transactional_db, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.test",
            "DATABASE_URL": hub_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "OCPI_HUB_TEST_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "OCPI_HUB_BASE_URL": url,
            "OCPI_HUB_VAR_DIR": str(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "OCPI_HUB_HEARTBEAT_INTERVAL": "1",
            "OCPI_HUB_WORKER_CONCURRENCY": "2",
            "WEB_CONCURRENCY": "1",
        }
    )
    purge_test_queue()
    log = tmp_path / "honcho.log"
    command = [sys.executable, "-m", "honcho", "--no-colour", "-e", os.devnull, "start", "-p", str(port)]
    with log.open("wb") as out:
        honcho = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        answer = _ready(url)
        while (answer is None or answer.status_code != 200) and time.monotonic() < deadline:
            assert honcho.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
            answer = _ready(url)
        assert answer is not None, log.read_text()[-3000:]
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ready"
        output = log.read_text()
        assert all(f"{name}.1" in output for name in ("web", "worker", "beat"))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(honcho.pid, signal.SIGTERM)
        try:
            honcho.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait(5)
