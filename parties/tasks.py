"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

from parties.models import Platform
from parties.services import alive, dispatch, drain
from parties.services.delivery import deliveries_purge, deliveries_sweep


@shared_task(acks_late=True, ignore_result=True)
def drain_receiver(receiver_ids: list[int] | int) -> int:
    # An int: a message published before receivers were drained together.
    return drain.receivers_drain([receiver_ids] if isinstance(receiver_ids, int) else receiver_ids)


@shared_task(ignore_result=True)
def wake_receivers(receiver_ids: list[int]) -> int:
    return len(dispatch.wake(receiver_ids))


@shared_task(ignore_result=True)
def sweep_deliveries() -> int:
    return deliveries_sweep()


@shared_task(ignore_result=True)
def purge_deliveries() -> int:
    return deliveries_purge()


@shared_task(ignore_result=True)
def check_alive() -> int:
    due = alive.platforms_due_for_alive_check()
    for platform_id in due:
        check_platform_alive.delay(platform_id)
    return len(due)


@shared_task(acks_late=True, ignore_result=True)
def check_platform_alive(platform_id: int) -> bool:
    platform = Platform.objects.filter(pk=platform_id).first()
    return alive.platform_check_alive(platform=platform) if platform else False


_heartbeat: drain.Heartbeat | None = None


@worker_ready.connect
def _start_worker_threads(**kwargs: Any) -> None:
    global _heartbeat
    dispatch.listener_start()
    if _heartbeat is None:
        _heartbeat = drain.Heartbeat()
        _heartbeat.start()


@worker_shutdown.connect
def _stop_worker_threads(**kwargs: Any) -> None:
    global _heartbeat
    dispatch.listener_stop()
    if _heartbeat is not None:
        _heartbeat.stop()
        _heartbeat = None
