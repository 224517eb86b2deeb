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


_DRAIN_START = """
UPDATE parties_receiverqueue SET drain_until = %s
WHERE platform_id IN ({ids}) AND (drain_until IS NULL OR drain_until < %s)
RETURNING platform_id, failures, paused_since IS NOT NULL
"""


def drain_start(receiver_ids: Iterable[int], *, now: datetime, lease_until: datetime) -> dict[int, tuple[int, bool]]:
    """Take the drain lease of each of these receivers that no drain holds; for each taken, its breaker's
    (failures in a row, paused)."""
    ids = sorted(set(receiver_ids))
    if not ids:
        return {}
    sql = _DRAIN_START.format(ids=", ".join(["%s"] * len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_time(lease_until), *ids, _db_time(now)])
        return {row[0]: (row[1], bool(row[2])) for row in cursor.fetchall()}


_DRAIN_END = """
UPDATE parties_receiverqueue SET wake_at = NULL, drain_until = NULL WHERE platform_id IN ({ids})
"""

_HAS_DUE = """
SELECT DISTINCT receiver_id FROM parties_delivery
WHERE receiver_id IN ({ids}) AND status = 'pending' AND next_attempt_at <= %s
"""


def drain_end(receiver_ids: Iterable[int], *, now: datetime) -> list[int]:
    """Give back the drain leases of these receivers; those of them that have due rows (to wake again)."""
    ids = sorted(set(receiver_ids))
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(_DRAIN_END.format(ids=marks), ids)
        cursor.execute(_HAS_DUE.format(ids=marks), [*ids, _db_time(now)])
        return sorted(row[0] for row in cursor.fetchall())


# PostgreSQL: up to ``limit`` rows per receiver in one statement (a LATERAL sub-select per receiver, each
# skipping rows another transaction holds). SQLite has neither; it claims receiver by receiver.
_CLAIM_MANY = """
UPDATE parties_delivery SET status = 'in_flight', attempts = attempts + 1, lease_until = %s, updated_at = %s
WHERE id IN (
    SELECT claimable.id FROM unnest(%s::bigint[]) AS receiver(id)
    CROSS JOIN LATERAL (
        SELECT due.id FROM parties_delivery due
        WHERE due.receiver_id = receiver.id AND due.status = 'pending' AND due.next_attempt_at <= %s
            AND NOT EXISTS (
                SELECT 1 FROM parties_delivery busy
                WHERE busy.receiver_id = due.receiver_id AND busy.module = due.module
                    AND busy.object_key = due.object_key AND busy.status = 'in_flight'
            )
        ORDER BY due.next_attempt_at, due.id
        LIMIT %s FOR UPDATE SKIP LOCKED
    ) claimable
)
RETURNING id
"""


def claim_due_many(receiver_ids: Iterable[int], *, now: datetime, lease_until: datetime, limit: int) -> list[int]:
    """``claim_due`` for several receivers at once (up to ``limit`` rows each); the ids claimed."""
    ids = sorted(set(receiver_ids))
    if connection.vendor != "postgresql":
        claimed: list[int] = []
        for receiver_id in ids:
            claimed += claim_due(receiver_id, now=now, lease_until=lease_until, limit=limit)
        return sorted(claimed)
    params: list[Any] = [lease_until, now, ids, now, limit]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_MANY, params)
        return sorted(row[0] for row in cursor.fetchall())
