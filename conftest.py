"""Shared fixtures: the hub served over real HTTP, a real Celery worker, and which servers we have.

The suite runs against PostgreSQL and Redis when DATABASE_URL / CELERY_BROKER_URL name them (CI does);
otherwise on SQLite with the filesystem broker, skipping with a stated reason only what needs a server.
With OCPI_HUB_REQUIRE_SERVICES=1 (set by .ci/run) those skips become failures; likewise, tests that read the
shared reference material (../shared: official OpenAPI files, examples, the MREC catalog) skip where it is absent
and fail with OCPI_HUB_REQUIRE_SHARED=1 (also set by .ci/run).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent
REQUIRE_SERVICES = os.environ.get("OCPI_HUB_REQUIRE_SERVICES") == "1"


def _uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _uses_redis() -> bool:
    return settings.CELERY_BROKER_URL.startswith("redis")


def _need(available: bool, reason: str) -> None:
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture
def requires_postgres() -> None:
    _need(_uses_postgres(), "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ocpi_hub")


@pytest.fixture
def requires_redis() -> None:
    _need(_uses_redis(), "needs Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0")


# The shared reference material (../shared): official OpenAPI files and examples, the MREC source catalog.
# Tests that read it skip with the reason when it is absent, and fail with OCPI_HUB_REQUIRE_SHARED=1 (.ci/run).


@pytest.fixture
def needs_shared_openapi() -> None:
    from tests.ocpi_schema import SHARED_OPENAPI_AVAILABLE, need_shared

    need_shared(SHARED_OPENAPI_AVAILABLE, "../shared/ocpi/openapi")


@pytest.fixture
def needs_shared_examples() -> None:
    from tests.ocpi_schema import SHARED_EXAMPLES_AVAILABLE, need_shared

    need_shared(SHARED_EXAMPLES_AVAILABLE, "../shared/ocpi/examples")


@pytest.fixture
def needs_shared_mrec() -> None:
    from errors.management.commands.build_mrec_catalog import DEFAULT_SOURCE
    from tests.ocpi_schema import need_shared

    need_shared(DEFAULT_SOURCE.is_file(), "../shared/chargex/mrec.json")


@pytest.fixture
def hub(live_server, settings):  # noqa: ANN001 - pytest fixtures
    """The hub served over real HTTP on 127.0.0.1 (Django's live server thread)."""
    settings.OCPI_HUB_BASE_URL = live_server.url
    yield live_server
    # Task messages this test published reference rows the flush removes: keep them from later workers.
    purge_test_queue()


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """A real Celery worker (with embedded beat) in a subprocess, sharing the test database and broker."""

    def __init__(self, base_url: str, extra_env: dict[str, str] | None = None):
        self.base_url = base_url
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log = Path(os.environ["OCPI_HUB_VAR_DIR"]) / "worker.log"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.test",
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "OCPI_HUB_TEST_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
                "OCPI_HUB_BASE_URL": self.base_url,
                "OCPI_HUB_SWEEP_INTERVAL": "1",
                "OCPI_HUB_SWEEP_GRACE": "1",
                "OCPI_HUB_DELIVERY_LEASE": "4",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, *, purge: bool = True) -> Worker:
        if purge:
            purge_test_queue()
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ocpi_hub",
            "worker",
            "--beat",
            "--loglevel=INFO",
            "--concurrency=4",  # the pool is the production one (settings: threads)
            "-Q",
            settings.CELERY_TASK_DEFAULT_QUEUE,
            "--schedule",
            str(Path(os.environ["OCPI_HUB_VAR_DIR"]) / f"beat-{time.monotonic_ns()}"),
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited: {self.log.read_text()[-3000:]}")
            if "ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker process group (main process and pool children)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.log.write_text("")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # Cold shutdown (SIGQUIT) of the main process only; it stops its pool children itself. Signalling the
            # whole group can kill a child holding the pool's queue lock, and the main process then waits forever.
            # Tests need no graceful drain: unfinished rows are the sweeper's job.
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(8)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.log.exists():
            self.log.write_text("")


def purge_test_queue() -> None:
    """Drop the messages earlier tests left in this session's queue: their rows went with the flushed
    database, and a worker that first works through that backlog delivers late."""
    from ocpi_hub.celery import app

    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def celery_worker(hub):  # noqa: ANN001
    """A running Celery worker + beat for this test (stopped afterwards)."""
    worker = Worker(hub.url).start()
    yield worker
    worker.stop()
