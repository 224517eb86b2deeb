"""Process heartbeats. A Celery worker writes its own row from a thread started when it is ready; beat's
row is written by a task it schedules (``ops.tasks.beat_heartbeat``), so a fresh beat row also says that a
worker runs what beat schedules."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ops.models import Heartbeat

logger = logging.getLogger(__name__)


def process_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat_write(*, kind: str, identity: str) -> None:
    Heartbeat.objects.update_or_create(kind=kind, identity=identity, defaults={"seen_at": timezone.now()})


def heartbeat_latest(*, kind: str) -> datetime | None:
    """When the freshest writer of this kind was last seen."""
    return Heartbeat.objects.filter(kind=kind).order_by("-seen_at").values_list("seen_at", flat=True).first()


def heartbeats_prune(*, older_than: timedelta) -> int:
    """Remove the rows of processes gone long ago (each restart writes a new identity)."""
    deleted, _ = Heartbeat.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted


class WorkerHeartbeat(threading.Thread):
    """Writes this worker's heartbeat every ``OCPI_HUB_HEARTBEAT_INTERVAL`` seconds until stopped."""

    def __init__(self) -> None:
        super().__init__(name="ocpi-worker-heartbeat", daemon=True)
        self.identity = process_identity()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                heartbeat_write(kind="worker", identity=self.identity)
            except Exception:  # database away: /readyz says so; try again next round
                logger.warning("Worker heartbeat could not be written", exc_info=True)
            finally:
                connection.close()
            self.stopping.wait(settings.OCPI_HUB_HEARTBEAT_INTERVAL)

    def stop(self) -> None:
        self.stopping.set()
        self.join(5)


_thread: WorkerHeartbeat | None = None


@worker_ready.connect
def _start_worker_heartbeat(**kwargs: Any) -> None:
    global _thread
    if _thread is None:
        _thread = WorkerHeartbeat()
        _thread.start()


@worker_shutdown.connect
def _stop_worker_heartbeat(**kwargs: Any) -> None:
    global _thread
    if _thread is not None:
        _thread.stop()
        _thread = None
