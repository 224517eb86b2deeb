"""Celery tasks of the ops app."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from ops.heartbeat import heartbeat_write, heartbeats_prune


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled by beat every OCPI_HUB_HEARTBEAT_INTERVAL seconds: beat is alive (and a worker runs it)."""
    heartbeat_write(kind="beat", identity="beat")
    heartbeats_prune(older_than=timedelta(days=1))
