"""The embedded default broker: a kombu transport over its own SQLite file (``hubqueue://``).

kombu's filesystem transport writes a message file in several steps and its reader may open it half
written: the worker then dies of a JSONDecodeError (issue 11). Here a message is one row, visible to the
consumer only once the INSERT has committed, and taken by one transaction that reads and deletes it, so a
consumer never sees a partial message and no message is taken twice. Consumed messages are deleted (kombu's
SQLAlchemy transport keeps them for ever and needs SQLAlchemy).

It is a queue and nothing more: no fanout (the embedded worker runs without remote control, gossip or
mingle), unacked messages live in the worker's memory as with every kombu virtual transport. That is enough
because the hub's database, not the broker, is the record of what is due (parties/services/delivery.py): a
message lost in a crash is published again by the sweeper.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.transport import TRANSPORT_ALIASES, virtual
from kombu.utils.json import dumps, loads

ALIAS = "hubqueue"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS message_queue ON message (queue, id);
"""


class Channel(virtual.Channel):
    """One SQLite connection per thread (sqlite3 connections are not shared between threads)."""

    _local = threading.local()

    def _path(self) -> str:
        options = self.connection.client.transport_options
        path = options.get("path") or self.connection.client.virtual_host or "broker.sqlite3"
        return str(path)

    def _db(self) -> sqlite3.Connection:
        connections: dict[str, sqlite3.Connection] = self._local.__dict__.setdefault("connections", {})
        path = self._path()
        database = connections.get(path)
        if database is None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            database = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            database.execute("PRAGMA journal_mode=WAL")
            database.execute("PRAGMA synchronous=NORMAL")
            database.executescript(_SCHEMA)
            connections[path] = database
        return database

    def _put(self, queue: str, message: dict[str, Any], **kwargs: Any) -> None:
        self._db().execute("INSERT INTO message (queue, payload) VALUES (?, ?)", (queue, dumps(message)))

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        database = self._db()
        if database.execute("SELECT 1 FROM message WHERE queue = ? LIMIT 1", (queue,)).fetchone() is None:
            raise Empty()  # the common idle poll: no write lock taken
        database.execute("BEGIN IMMEDIATE")
        try:
            row = database.execute(
                "SELECT id, payload FROM message WHERE queue = ? ORDER BY id LIMIT 1", (queue,)
            ).fetchone()
            if row is not None:
                database.execute("DELETE FROM message WHERE id = ?", (row[0],))
            database.execute("COMMIT")
        except BaseException:
            database.execute("ROLLBACK")
            raise
        if row is None:
            raise Empty()
        message: dict[str, Any] = loads(row[1])
        return message

    def _size(self, queue: str) -> int:
        return int(self._db().execute("SELECT count(*) FROM message WHERE queue = ?", (queue,)).fetchone()[0])

    def _purge(self, queue: str) -> int:
        return self._db().execute("DELETE FROM message WHERE queue = ?", (queue,)).rowcount

    def _delete(self, queue: str, *args: Any, **kwargs: Any) -> None:
        self._purge(queue)

    def _has_queue(self, queue: str, **kwargs: Any) -> bool:
        return True


class Transport(virtual.Transport):
    Channel = Channel
    polling_interval = 0.05
    default_port = None
    driver_type = "sqlite"
    driver_name = "sqlite3"
    implements = virtual.Transport.implements.extend(asynchronous=False, exchange_type=frozenset(["direct"]))

    def driver_version(self) -> str:
        return sqlite3.sqlite_version


TRANSPORT_ALIASES.setdefault(ALIAS, "ocpi_hub.broker:Transport")
