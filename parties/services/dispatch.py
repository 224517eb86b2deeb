"""How queued deliveries reach the Celery workers.

On PostgreSQL (``OCPI_HUB_DISPATCH=notify``, the default there) the web process never talks to the broker:
the outbox statement NOTIFYs ``CHANNEL`` with each row id, and PostgreSQL sends the notifications when the
transaction commits (never for a rolled-back one). One ``OutboxListener`` thread, in one Celery worker,
LISTENs and turns each id into a ``deliver`` task. Every worker runs a listener; a session advisory lock lets
only one of them listen, the others stand by and take over when its connection goes. A listener that starts
listening first dispatches the rows already due (queued while nobody listened); anything else it misses is
the sweeper's.

Elsewhere (SQLite, or ``OCPI_HUB_DISPATCH=on_commit``) each row is published to the broker from the web
process when its transaction commits (``transaction.on_commit``).
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable

from django.conf import settings
from django.db import connection, connections

logger = logging.getLogger(__name__)

CHANNEL = "ocpi_hub_outbox"
LOCK_KEY = zlib.crc32(CHANNEL.encode())  # the advisory lock only one listener per database holds
RETRY_SECONDS = 5.0  # a standby listener (or one that lost its connection) tries again this often
POLL_SECONDS = 1.0  # how often a listener looks up from the socket (to notice a stop)


def notify_enabled() -> bool:
    """Whether outbox statements NOTIFY (and the web process leaves dispatch to the listener)."""
    return connection.vendor == "postgresql" and settings.OCPI_HUB_DISPATCH == "notify"


def notify_returning() -> str:
    """The RETURNING expression an outbox INSERT adds to NOTIFY its row id ("" when not notifying)."""
    return f", pg_notify('{CHANNEL}', id::text)" if notify_enabled() else ""


class OutboxListener(threading.Thread):
    """LISTENs on ``CHANNEL`` while it holds the advisory lock; ``dispatch(id)`` for each notification, and
    ``catch_up()`` each time it starts listening."""

    def __init__(self, dispatch: Callable[[int], None], catch_up: Callable[[], object]) -> None:
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
                for notification in listen.notifies(timeout=POLL_SECONDS):
                    self.dispatch(int(notification.payload))
        finally:
            listen.close()

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
    from parties.services.delivery import deliveries_sweep, delivery_dispatch

    _listener = OutboxListener(delivery_dispatch, lambda: deliveries_sweep(grace=0))
    _listener.start()
    return _listener


def listener_stop() -> None:
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
