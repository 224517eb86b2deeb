"""Hand-written SQL of the delivery engine (the parties app's tables only).

The ORM cannot say these in one statement: an upsert whose update is conditional and that returns only the
rows it changed (``wake``), and a claim of a batch of due rows that skips rows another transaction holds
(``claim_due``). Both run on every drain; bench D measures them. Both databases run them (SQLite 3.35+).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


_WAKE = """
INSERT INTO parties_receiverqueue (platform_id, wake_at, failures)
SELECT platform.id, %s, 0 FROM parties_platform platform WHERE platform.id IN ({ids})
ON CONFLICT (platform_id) DO UPDATE SET wake_at = excluded.wake_at
WHERE (parties_receiverqueue.wake_at IS NULL OR parties_receiverqueue.wake_at < %s
        OR parties_receiverqueue.drain_until < %s)
    AND (parties_receiverqueue.drain_until IS NULL OR parties_receiverqueue.drain_until < %s)
    AND (parties_receiverqueue.paused_since IS NULL OR parties_receiverqueue.next_probe_at <= %s)
RETURNING platform_id
"""


def wake(receiver_ids: Iterable[int], *, now: datetime, stale_before: datetime) -> list[int]:
    """Stamp ``wake_at`` on the queues of these receivers that have no drain asked for (or only a stale
    request, or one whose drain died: its lease ran out), none running, and are not paused (or their probe
    is due); the ids stamped, to publish."""
    ids = sorted(set(receiver_ids))
    if not ids:
        return []
    sql = _WAKE.format(ids=", ".join(["%s"] * len(ids)))
    params = [_db_time(now), *ids, _db_time(stale_before), _db_time(now), _db_time(now), _db_time(now)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


_CLAIM = """
UPDATE parties_delivery SET status = 'in_flight', attempts = attempts + 1, lease_until = %s, updated_at = %s
WHERE id IN (
    SELECT due.id FROM parties_delivery due
    WHERE due.receiver_id = %s AND due.status = 'pending' AND due.next_attempt_at <= %s
        AND NOT EXISTS (
            SELECT 1 FROM parties_delivery busy
            WHERE busy.receiver_id = due.receiver_id AND busy.module = due.module
                AND busy.object_key = due.object_key AND busy.status = 'in_flight'
        )
    ORDER BY due.next_attempt_at, due.id
    LIMIT %s{lock}
)
RETURNING id
"""


def claim_due(receiver_id: int, *, now: datetime, lease_until: datetime, limit: int) -> list[int]:
    """Move up to ``limit`` due pending rows of one receiver to in_flight (oldest due first, never a second
    row of an object already in flight); their ids."""
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    params = [_db_time(lease_until), _db_time(now), receiver_id, _db_time(now), limit]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(lock=lock), params)
        return sorted(row[0] for row in cursor.fetchall())


_AUTH_GENERATION = "SELECT value FROM parties_authgeneration WHERE id = 1"


def auth_generation() -> int:
    """The token cache's generation (0 before any platform change was recorded); one indexed read."""
    with connection.cursor() as cursor:
        cursor.execute(_AUTH_GENERATION)
        row = cursor.fetchone()
    return 0 if row is None else int(row[0])
