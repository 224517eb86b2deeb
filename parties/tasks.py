"""Celery tasks: thin wrappers that take ids and call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_ready, worker_shutdown

from parties.models import Platform
from parties.services import alive, dispatch
from parties.services.delivery import deliveries_sweep, delivery_attempt


@shared_task(acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> str:
    return delivery_attempt(delivery_id)


@shared_task(ignore_result=True)
def sweep_deliveries() -> int:
    return deliveries_sweep()


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


@worker_ready.connect
def _start_outbox_listener(**kwargs: Any) -> None:
    dispatch.listener_start()


@worker_shutdown.connect
def _stop_outbox_listener(**kwargs: Any) -> None:
    dispatch.listener_stop()
