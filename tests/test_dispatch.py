"""Dispatch by NOTIFY on PostgreSQL (parties/services/dispatch.py): the web process only writes the outbox
row; the listener in a real Celery worker publishes the task. The sweeper is slowed to an hour in these
workers, so whatever arrives was dispatched by a listener."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from conftest import Worker
from ocpi_party.party import OcpiParty
from parties.models import Delivery
from parties.services.delivery import delivery_enqueue
from parties.services.dispatch import OutboxListener
from tests.bodies import location, ts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("requires_postgres")]
NO_SWEEPER = {"OCPI_HUB_SWEEP_INTERVAL": "3600", "OCPI_HUB_SWEEP_GRACE": "3600"}


def worker(hub, name: str) -> Worker:  # noqa: ANN001
    started = Worker(hub.url, extra_env=NO_SWEEPER)
    started.log = started.log.with_name(f"worker-{name}.log")
    return started.start()


def listening(started: Worker) -> bool:
    return "Outbox listener: listening" in started.log.read_text(errors="replace")


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.1)


def put_location(cpo: OcpiParty, location_id: str) -> None:
    url = "/".join([cpo.hub_url("locations", "RECEIVER"), "NL", "CPO", location_id])
    assert cpo.call("PUT", url, json=location(location_id, last_updated=ts())).json()["status_code"] == 1000


def received(emsp: OcpiParty, location_id: str) -> bool:
    return any(rec.path.endswith(f"/{location_id}") for rec in emsp.requests_to("locations", "PUT"))


def test_a_push_is_dispatched_by_the_listener(hub, cpo, emsp):  # noqa: ANN001
    first = worker(hub, "first")
    try:
        wait_until(lambda: listening(first), 10, "a listening worker")
        put_location(cpo, "LOC1")
        emsp.wait_for(lambda _: received(emsp, "LOC1"), timeout=10)
    finally:
        first.stop()


def test_rows_queued_while_nobody_listens_go_out_when_a_listener_starts(hub, cpo, emsp):  # noqa: ANN001
    put_location(cpo, "LOC1")
    assert Delivery.objects.get(module="locations").status == "pending"
    first = worker(hub, "first")
    try:
        emsp.wait_for(lambda _: received(emsp, "LOC1"), timeout=10)
    finally:
        first.stop()


def test_one_worker_listens_and_a_standby_takes_over_when_it_dies(hub, cpo, emsp):  # noqa: ANN001
    workers = [worker(hub, "first"), worker(hub, "second")]
    try:
        wait_until(lambda: any(listening(each) for each in workers), 10, "a listening worker")
        time.sleep(1.5)  # the standby has tried for the lock by now
        assert sum(listening(each) for each in workers) == 1
        active, standby = sorted(workers, key=listening, reverse=True)
        put_location(cpo, "LOC1")
        emsp.wait_for(lambda _: received(emsp, "LOC1"), timeout=10)

        active.kill()
        put_location(cpo, "LOC2")  # queued while nobody listens: the standby catches up when it takes over
        wait_until(lambda: listening(standby), 15, "the standby listening")
        put_location(cpo, "LOC3")
        emsp.wait_for(lambda _: received(emsp, "LOC2") and received(emsp, "LOC3"), timeout=10)
    finally:
        for each in workers:
            each.stop()


def enqueue_then_fail(receiver, object_key: str) -> None:  # noqa: ANN001
    with transaction.atomic():
        delivery_enqueue(receiver=receiver, module="locations", object_key=object_key)
        raise RuntimeError("roll back")


def test_the_notification_carries_the_receiver_and_only_committed_rows_notify(cpo, emsp):  # noqa: ANN001
    from parties.models import Platform

    receiver = Platform.objects.get(name="eMSP 2.2.1")
    ids: list[int] = []
    listener = OutboxListener(lambda batch: ids.extend(sorted(batch)), catch_up=lambda: None)
    listener.start()
    try:
        assert listener.listening.wait(10)
        with pytest.raises(RuntimeError):
            enqueue_then_fail(receiver, "NL/CPO/ROLLED-BACK")
        with transaction.atomic():
            delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/COMMITTED")
        committed = Delivery.objects.get(object_key="NL/CPO/COMMITTED")
        wait_until(lambda: ids == [committed.receiver_id], 5, "the committed row's notification")
    finally:
        listener.stop()
    assert not Delivery.objects.filter(object_key="NL/CPO/ROLLED-BACK").exists()
