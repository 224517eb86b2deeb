"""The engine's statements that write several receiver queues at once (the wake's upsert, a shared drain's
start and end, the heartbeat) never deadlock with one another (parties/rows.py: ordered locks, the
heartbeat skips what is locked). Past capacity (bench F at 1,500 deliveries/s offered) the end of a drain
deadlocked with the listener's wake; the failed drain's receivers then waited for their lease and the
sweeper. Real PostgreSQL, concurrent threads with their own connections."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from parties import rows
from parties.models import Platform, ReceiverQueue
from parties.services import drain

pytestmark = pytest.mark.django_db(transaction=True)


def _in_loop(step, stop: float, errors: list[BaseException]) -> None:  # noqa: ANN001
    try:
        while time.monotonic() < stop and not errors:
            step()
    except OperationalError as exc:
        errors.append(exc)
    finally:
        connection.close()


def _steps(ids: list[int]) -> list:
    def wake() -> None:
        now = timezone.now()
        rows.wake(ids, now=now, stale_before=now + timedelta(days=1))

    def start_and_end() -> None:
        now = timezone.now()
        rows.drain_start(ids, now=now + timedelta(days=1), lease_until=now + timedelta(seconds=15))
        rows.drain_end(ids, now=now)

    def heartbeat() -> None:
        with drain.held.lock:
            drain.held.receivers.update(ids)
        try:
            drain.leases_renew()
        finally:
            with drain.held.lock:
                drain.held.receivers.difference_update(ids)

    return [wake, wake, start_and_end, heartbeat]


def test_wakes_drain_starts_ends_and_heartbeats_of_many_receivers_do_not_deadlock():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: no row locks to order")
    ids = [Platform.objects.create(name=f"queue {n}", status="CONNECTED").pk for n in range(60)]
    assert ReceiverQueue.objects.filter(pk__in=ids).count() == len(ids)
    # The queues' rows in the reverse of their ids' order in the table (a plan that scans it meets them so).
    for pk in reversed(ids):
        ReceiverQueue.objects.filter(pk=pk).update(failures=0)
    errors: list[BaseException] = []
    stop = time.monotonic() + 4.0
    threads = [threading.Thread(target=_in_loop, args=(step, stop, errors)) for step in _steps(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, f"deadlock: {errors[0]}"
