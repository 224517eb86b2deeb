"""How queued deliveries reach the Celery workers: by waking their receivers.

The broker never carries a row, only "drain receivers R1..Rn now" (the ``drain_receiver`` task; receivers
woken together, up to ``OCPI_HUB_DRAIN_GROUP`` per message, are drained together). ``wake`` stamps
the receiver's queue (``ReceiverQueue.wake_at``) and publishes that message only when the queue had no
drain asked for or running and is not paused, so a receiver has at most one message waiting however many
changes arrive, and a retry waits in the database (``next_attempt_at``), never in the broker.

On PostgreSQL (``OCPI_HUB_DISPATCH=notify``, the default there) the web process never talks to the broker:
the outbox statement NOTIFYs ``CHANNEL`` with each row's receiver id (PostgreSQL sends them at commit, never
for a rolled-back transaction, and folds identical ones of a transaction into one). One ``OutboxListener``
thread, in one Celery worker, LISTENs and wakes those receivers, a batch of notifications at a time. Every
worker runs a listener; a session advisory lock lets only one of them listen, the others stand by and take
over when its connection goes. A listener that starts listening first wakes every receiver with due rows;
anything else it misses is the sweeper's.

Elsewhere (SQLite, or ``OCPI_HUB_DISPATCH=on_commit``) the web process wakes the receivers when the
transaction commits (``transaction.on_commit``).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable, Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection, connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from parties import rows
from parties.models import Delivery, DeliveryStatus, ReceiverQueue

logger = logging.getLogger(__name__)

CHANNEL = "ocpi_hub_outbox"
LOCK_KEY = zlib.crc32(CHANNEL.encode())  # the advisory lock only one listener per database holds
RETRY_SECONDS = 5.0  # a standby listener (or one that lost its connection) tries again this often
POLL_SECONDS = 1.0  # how often a listener looks up from the socket (to notice a stop)


def notify_enabled() -> bool:
    """Whether outbox statements NOTIFY (and the web process leaves dispatch to the listener)."""
    return connection.vendor == "postgresql" and settings.OCPI_HUB_DISPATCH == "notify"


def notify_returning() -> str:
    """The RETURNING expression an outbox INSERT adds to NOTIFY its receiver ("" when not notifying)."""
    return f", pg_notify('{CHANNEL}', receiver_id::text)" if notify_enabled() else ""


def wake(receiver_ids: Iterable[int], *, alone: Collection[int] = ()) -> list[int]:
    """Ask for a drain of each receiver that needs one (see the module doc), up to ``OCPI_HUB_DRAIN_GROUP``
    per message, those in ``alone`` in a message of their own; the receivers asked for."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OCPI_HUB_SWEEP_GRACE)
    woken = rows.wake(receiver_ids, now=now, stale_before=stale)
    together = [receiver_id for receiver_id in woken if receiver_id not in alone]
    size = max(settings.OCPI_HUB_DRAIN_GROUP, 1)
    for start in range(0, len(together), size):
        publish(together[start : start + size])
    for receiver_id in woken:
        if receiver_id in alone:
            publish([receiver_id])
    return woken


def queue_for_new_platform(sender: type, instance: object, created: bool, **kwargs: object) -> None:
    """post_save of Platform: every platform has its receiver queue (the sweeper looks there)."""
    if created:
        ReceiverQueue.objects.get_or_create(platform_id=instance.pk)  # type: ignore[attr-defined]


def wake_due(*, now: datetime, limit: int = 1000) -> list[int]:
    """Wake every receiver with due rows whose drain is neither asked for (or only long ago: a lost
    message) nor running, and that is not paused (or whose probe is due)."""
    stale = now - timedelta(seconds=settings.OCPI_HUB_SWEEP_GRACE)
    due = Delivery.objects.filter(receiver_id=OuterRef("pk"), status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    queues = ReceiverQueue.objects.filter(
        Q(wake_at__isnull=True) | Q(wake_at__lt=stale) | Q(drain_until__lt=now),  # lease run out: it died
        Q(drain_until__isnull=True) | Q(drain_until__lt=now),
        Q(paused_since__isnull=True) | Q(next_probe_at__lte=now),
        Exists(due),
    )
    return wake(queues.values_list("pk", flat=True)[:limit])


def catch_up(*, now: datetime) -> list[int]:
    """What a listener does when it starts listening (a start, or a takeover from a listener that died):
    wake every receiver with due rows and no live drain, and once more when each running drain's lease runs
    out. Such a drain may be the dead listener's worker's: a row queued during its lease would otherwise
    wait for the sweeper. The second wake is a no-op when the drain was alive (its heartbeat renews the
    lease, and it looks for more rows itself)."""
    from parties.tasks import wake_receivers

    woken = wake_due(now=now)
    for receiver_id, until in ReceiverQueue.objects.filter(drain_until__gt=now).values_list("pk", "drain_until"):
        if until is None:
            continue
        try:
            wake_receivers.apply_async(([receiver_id],), countdown=(until - now).total_seconds() + 0.5)
        except Exception:
            logger.warning("Could not schedule a wake of receiver %s", receiver_id, exc_info=True)
    return woken


def publish(receiver_ids: list[int]) -> None:
    """Publish one ``drain_receiver`` message for these receivers (drained together). If the broker is
    down, their requests stay stamped and the sweeper publishes them again once they are stale."""
    from parties.tasks import drain_receiver

    try:
        drain_receiver.apply_async((receiver_ids,))
    except Exception:
        logger.warning("Could not publish a drain of receivers %s; the sweeper will retry", receiver_ids, exc_info=True)


class OutboxListener(threading.Thread):
    """LISTENs on ``CHANNEL`` while it holds the advisory lock; ``dispatch(ids)`` for each batch of
    notifications, and ``catch_up()`` each time it starts listening."""

    def __init__(self, dispatch: Callable[[set[int]], object], catch_up: Callable[[], object]) -> None:
        super().__init__(name="ocpi-outbox-listener", daemon=True)
        self.dispatch = dispatch
        self.catch_up = catch_up
        self.stopping = threading.Event()
        self.listening = threading.Event()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._serve()
            except Exception:  # database restart, network: reconnect after a pause; the sweeper covers the gap
                logger.warning("Outbox listener lost its database connection; retrying", exc_info=True)
            finally:
                self.listening.clear()
            self.stopping.wait(RETRY_SECONDS)

    def _serve(self) -> None:
        database = connections["default"]
        listen = database.get_new_connection(database.get_connection_params())
        try:
            listen.autocommit = True
            if not listen.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY]).fetchone()[0]:
                return  # another worker's listener has the channel: stand by
            listen.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            logger.info("Outbox listener: listening on %s", CHANNEL)
            self._catch_up()
            while not self.stopping.is_set():
                self._dispatch(self._batch(listen))
        finally:
            listen.close()

    def _batch(self, listen: Any) -> set[int]:  # a psycopg connection
        """The receiver ids of the notifications that arrive within a poll: one wake for all of them."""
        ids: set[int] = set()
        for notification in listen.notifies(timeout=POLL_SECONDS, stop_after=1):
            ids.add(int(notification.payload))
        if ids:  # take whatever else is already waiting without blocking
            for notification in listen.notifies(timeout=0.005):
                ids.add(int(notification.payload))
        return ids

    def _dispatch(self, ids: set[int]) -> None:
        if not ids:
            return
        try:
            self.dispatch(ids)
        except Exception:  # the database went away: the sweeper wakes them later
            logger.warning("Outbox listener could not wake receivers %s", sorted(ids), exc_info=True)
            close_old_connections()
            connection.close()

    def _catch_up(self) -> None:
        try:
            self.catch_up()
        finally:
            connection.close()  # this thread's ORM connection, opened by the catch-up


_listener: OutboxListener | None = None


def listener_start() -> OutboxListener | None:
    """Start this process's listener (Celery worker start-up); None when dispatch is not by NOTIFY."""
    global _listener
    if not notify_enabled() or _listener is not None:
        return _listener
    _listener = OutboxListener(wake, lambda: catch_up(now=timezone.now()))
    _listener.start()
    return _listener


def listener_stop() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
