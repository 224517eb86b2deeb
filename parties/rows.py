"""Hand-written SQL of the delivery engine (the parties app's tables only).

The ORM cannot say these in one statement: the outbox insert that merges into a queued row
(``queue_statement``: every push, bench B/E1), an upsert whose update is conditional and that returns only the
rows it changed (``wake``), and a claim of a batch of due rows that skips rows another transaction holds
(``claim_due``); the last two run on every drain (bench D). Both databases run them (SQLite 3.35+).

The target-merge rule (two changes of one object queued for one receiver keep the narrowest target covering
both) is here once, as SQL for the insert and as Python for the drain's merge (``common_target``); the
tests check that they agree.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from ocpi_hub.db import ONLY_IF, Statement, json_param, json_rows


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


# Statements that write several receiver queues lock them in platform id order (an ordered sub-select
# ``FOR UPDATE``; the wake's upsert in the order of its SELECT), so that two of them can never wait for each
# other. Without an order each locked the rows in its plan's order (the upsert in parties_platform's, an
# UPDATE in parties_receiverqueue's physical order, which updates keep changing): past capacity (bench F,
# 1,500 deliveries/s offered) the end of a drain deadlocked with the listener's wake, the drain's task
# failed, and its receivers waited for their drain lease to run out and the sweeper (15-30 s): lag p95
# 14.5 s at 20 eMSPs, 2,281 receipts missing after a minute at 200 eMSPs.
_WAKE = """
INSERT INTO parties_receiverqueue (platform_id, wake_at, failures)
SELECT platform.id, %s, 0 FROM parties_platform platform WHERE platform.id IN ({ids}) ORDER BY platform.id
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


# What a claim returns of each row (PostgreSQL): what the drain needs, so that it does not read them again.
CLAIMED_FIELDS = (
    "id", "receiver_id", "module", "object_key", "target", "attempts", "next_attempt_at", "queued_at", "correlation_id",
)  # fmt: skip
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
RETURNING {fields}
"""


def claim_due(receiver_id: int, *, now: datetime, lease_until: datetime, limit: int) -> list[int]:
    """Move up to ``limit`` due pending rows of one receiver to in_flight (oldest due first, never a second
    row of an object already in flight); their ids."""
    return claim_due_rows(receiver_id, now=now, lease_until=lease_until, limit=limit)[0]


def claim_due_rows(
    receiver_id: int, *, now: datetime, lease_until: datetime, limit: int
) -> tuple[list[int], list[tuple[Any, ...]] | None]:
    """``claim_due``: the ids, and on PostgreSQL the claimed rows' ``CLAIMED_FIELDS`` (None elsewhere, where
    the raw values would need the backend's converters: read them)."""
    postgresql = connection.vendor == "postgresql"
    lock = " FOR UPDATE SKIP LOCKED" if postgresql else ""
    params = [_db_time(lease_until), _db_time(now), receiver_id, _db_time(now), limit]
    fields = ", ".join(CLAIMED_FIELDS) if postgresql else "id"
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM.format(lock=lock, fields=fields), params)
        found = cursor.fetchall()
    return sorted(row[0] for row in found), found if postgresql else None


# The outbox insert. The ORM would need a lookup of the receivers, then an INSERT (in a savepoint) per
# receiver. A row already pending for the same (receiver, module, object) takes the change instead (the partial
# unique index one_pending_delivery_per_object); its target becomes ``_MERGED_TARGET``.
_QUEUE = """
INSERT INTO parties_delivery (receiver_id, module, object_key, target, status, attempts, next_attempt_at,
    queued_at, correlation_id, last_error, created_at, updated_at)
SELECT platform.id, %s, %s, %s, 'pending', 0, %s, %s, %s, '', %s, %s
FROM parties_platform platform
WHERE {receivers} {only_if}
ON CONFLICT (receiver_id, module, object_key) WHERE status = 'pending' DO UPDATE SET
    target = {merged},
    updated_at = excluded.updated_at
RETURNING id, receiver_id{notify}
"""
# Targets are "", "<evse>" or "<evse>/<connector>"; the parameters are the new target's parent (``_parent``).
_MERGED_TARGET = """CASE
        WHEN parties_delivery.target = excluded.target THEN excluded.target
        WHEN parties_delivery.target = '' OR excluded.target = '' THEN ''
        WHEN substr(parties_delivery.target, 1, length(excluded.target) + 1) = excluded.target || '/'
            THEN excluded.target
        WHEN %s <> '' AND (parties_delivery.target = %s OR substr(parties_delivery.target, 1, length(%s) + 1) = %s)
            THEN %s
        ELSE ''
    END"""
ONE_RECEIVER = "platform.id = %s"  # its parameter: the receiver's id
# Receivers whose last delivery of an object failed or died (they missed its current state); parameters:
# the module and the object key. Rows that succeeded are purged after the retention: no row = delivered.
MISSED_LAST = """AND (SELECT last.status FROM parties_delivery last
        WHERE last.receiver_id = platform.id AND last.module = %s AND last.object_key = %s
        ORDER BY last.id DESC LIMIT 1) IN ('failed', 'dead')"""


def broadcast_receivers(roles: int) -> str:
    """The receivers of a broadcast; parameters: the two receiving statuses, the module, the RECEIVER
    interface role, ``roles`` party roles, the platform left out (0 for none)."""
    return f"""platform.status IN (%s, %s)
    AND EXISTS (SELECT 1 FROM parties_endpoint endpoint WHERE endpoint.platform_id = platform.id
                AND endpoint.identifier = %s AND endpoint.role = %s)
    AND EXISTS (SELECT 1 FROM parties_platformrole party WHERE party.platform_id = platform.id
                AND party.role IN ({", ".join(["%s"] * roles)}))
    AND platform.id <> %s"""


def queue_statement(
    *,
    receivers: str,
    receiver_params: list[Any],
    module: str,
    object_key: str,
    target: str,
    correlation_id: str,
    notify: str,
    only_if: str = "",
) -> Statement:
    """The outbox insert for the platforms ``receivers`` selects (``ONE_RECEIVER`` or ``broadcast_receivers``),
    RETURNING ``id, receiver_id`` (and ``notify``, the NOTIFY expression, when set); ``only_if``: see
    ``ocpi_hub.db.Statement``."""
    now = _db_time(timezone.now())
    parent = _parent(target)
    params = [module, object_key, target, now, now, correlation_id[:100], now, now, *receiver_params]
    params += [parent, parent, parent, f"{parent}/", parent]
    sql = _QUEUE.format(receivers=receivers, only_if=ONLY_IF, merged=_MERGED_TARGET, notify=notify)
    return Statement(sql, params, returning=True, only_if=only_if)


def _parent(target: str) -> str:
    return target.rpartition("/")[0]


def common_target(first: str, second: str) -> str:
    """The narrowest target covering both ("", "<evse>" or "<evse>/<connector>"): what the outbox insert
    keeps when two changes of one object merge (``_MERGED_TARGET`` in SQL)."""
    common = []
    for mine, theirs in zip(first.split("/"), second.split("/"), strict=False):
        if not first or not second or mine != theirs:
            break
        common.append(mine)
    return "/".join(common)


def party_role_sql(roles: int) -> str:
    """The platform holding one of ``roles`` party roles for a party (``parties.routing.party_role_lookup``):
    parameters country_code, party_id and the roles; the row is (platform id, status, country_code, party_id)."""
    return (
        "SELECT party.platform_id, platform.status, party.country_code, party.party_id "
        "FROM parties_platformrole party JOIN parties_platform platform ON platform.id = party.platform_id "
        f"WHERE party.country_code = %s AND party.party_id = %s AND party.role IN ({', '.join(['%s'] * roles)}) "
        "ORDER BY party.role LIMIT 1"
    )


# The receiver queues of a multi-queue UPDATE, locked in platform id order (see _WAKE).
_QUEUES_IN_ORDER = (
    "SELECT platform_id FROM parties_receiverqueue WHERE platform_id IN ({ids}) ORDER BY platform_id{lock}"
)
_DRAIN_START = """
UPDATE parties_receiverqueue SET drain_until = %s
WHERE platform_id IN (
    {queues_in_order}
) AND (drain_until IS NULL OR drain_until < %s)
RETURNING platform_id, failures, paused_since,
    (SELECT platform.unauthorized_count FROM parties_platform platform WHERE platform.id = platform_id)
"""
# ``paused_since`` itself, not ``paused_since IS NOT NULL``: SQLite (3.40) answered true for every queue
# there, so on the embedded default every receiver of a shared drain was handed a drain of its own.


def _queues_in_order(count: int) -> str:
    """``_QUEUES_IN_ORDER`` for ``count`` ids (SQLite serialises writers: no lock clause there)."""
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    return _QUEUES_IN_ORDER.format(ids=", ".join(["%s"] * count), lock=lock)


def drain_start(
    receiver_ids: Iterable[int], *, now: datetime, lease_until: datetime
) -> dict[int, tuple[int, bool, int]]:
    """Take the drain lease of each of these receivers that no drain holds; for each taken, its breaker's
    (failures in a row, paused) and its platform's ``unauthorized_count`` (which the receiver cache does not
    follow: any process's pushes change it)."""
    ids = sorted(set(receiver_ids))
    if not ids:
        return {}
    sql = _DRAIN_START.format(queues_in_order=_queues_in_order(len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_time(lease_until), *ids, _db_time(now)])
        return {row[0]: (row[1], row[2] is not None, row[3] or 0) for row in cursor.fetchall()}


# A drain's end (``wake_at`` cleared too) or a hand-off (the drain request stays stamped).
_RELEASE = "UPDATE parties_receiverqueue SET {wake}drain_until = NULL WHERE platform_id IN ({queues_in_order})"


def _release(ids: list[int], *, clear_wake: bool) -> None:
    sql = _RELEASE.format(wake="wake_at = NULL, " if clear_wake else "", queues_in_order=_queues_in_order(len(ids)))
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)


# How many rows each receiver has due, counted up to a cap (a receiver back from an outage may have 10^5).
_DUE_COUNTS = """
SELECT receiver_id, count(*) FROM (
    SELECT receiver_id, row_number() OVER (PARTITION BY receiver_id ORDER BY next_attempt_at) AS n
    FROM parties_delivery WHERE receiver_id IN ({ids}) AND status = 'pending' AND next_attempt_at <= %s
) due WHERE n <= %s GROUP BY receiver_id
"""
_DUE_COUNTS_PG = """
SELECT receiver.id, (
    SELECT count(*) FROM (
        SELECT 1 FROM parties_delivery due
        WHERE due.receiver_id = receiver.id AND due.status = 'pending' AND due.next_attempt_at <= %s LIMIT %s
    ) capped
) FROM unnest(%s::bigint[]) AS receiver(id)
"""


def drain_end(receiver_ids: Iterable[int], *, now: datetime, count_up_to: int = 1) -> dict[int, int]:
    """Give back the drain leases of these receivers; those of them that have due rows (to wake again), with
    how many (counted up to ``count_up_to``)."""
    ids = sorted(set(receiver_ids))
    if not ids:
        return {}
    _release(ids, clear_wake=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_DUE_COUNTS_PG, [now, max(count_up_to, 1), ids])
        else:
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(_DUE_COUNTS.format(ids=marks), [*ids, _db_time(now), max(count_up_to, 1)])
        return {row[0]: row[1] for row in cursor.fetchall() if row[1]}


def drain_release(receiver_ids: Iterable[int]) -> None:
    """Give back the drain leases of these receivers, leaving their drain requests (``wake_at``) stamped."""
    ids = sorted(set(receiver_ids))
    if ids:
        _release(ids, clear_wake=False)


# The heartbeat skips what is locked: a row or queue locked now is being written by its drain (recorded,
# released), and the lease is renewed five times in its length. Waiting instead could deadlock with that
# drain's own multi-row statement.
_RENEW_ROWS = """
UPDATE parties_delivery SET lease_until = %s
WHERE id IN (SELECT id FROM parties_delivery WHERE id IN ({ids}) AND status = 'in_flight'{lock})
"""
_RENEW_DRAINS = """
UPDATE parties_receiverqueue SET drain_until = %s
WHERE platform_id IN (
    SELECT platform_id FROM parties_receiverqueue WHERE platform_id IN ({ids}) AND drain_until IS NOT NULL{lock}
)
"""


def leases_renew(row_ids: list[int], receiver_ids: list[int], *, until: datetime) -> None:
    """Push back to ``until`` the lease of these in-flight rows and running drains (not those locked now)."""
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        for sql, ids in ((_RENEW_ROWS, row_ids), (_RENEW_DRAINS, receiver_ids)):
            if ids:
                cursor.execute(sql.format(ids=", ".join(["%s"] * len(ids)), lock=lock), [_db_time(until), *ids])


# PostgreSQL: up to ``limit`` rows per receiver in one statement (a LATERAL sub-select per receiver, each
# skipping rows another transaction holds), returning what the drain needs of each row: no second read of
# the rows (``bench.profile --what fanout_drain``: reading them back as ORM objects was one statement and
# ~0.05 ms of CPU per delivery). SQLite has neither; it claims receiver by receiver.
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
RETURNING {fields}
"""


def claim_due_many(
    receiver_ids: Iterable[int], *, now: datetime, lease_until: datetime, limit: int
) -> tuple[list[int], list[tuple[Any, ...]] | None]:
    """``claim_due`` for several receivers at once (up to ``limit`` rows each): the ids claimed, and on
    PostgreSQL the claimed rows' ``CLAIMED_FIELDS`` (None elsewhere: read them)."""
    ids = sorted(set(receiver_ids))
    if connection.vendor != "postgresql":
        claimed: list[int] = []
        for receiver_id in ids:
            claimed += claim_due(receiver_id, now=now, lease_until=lease_until, limit=limit)
        return sorted(claimed), None
    params: list[Any] = [lease_until, now, ids, now, limit]
    with connection.cursor() as cursor:
        cursor.execute(_CLAIM_MANY.format(fields=", ".join(CLAIMED_FIELDS)), params)
        found = cursor.fetchall()
    return sorted(row[0] for row in found), found


# A drain's outcomes in one statement (PostgreSQL): the attempt rows inserted and the rows that ended
# (succeeded, failed, dead) updated, from one JSON document each (``ocpi_hub.db.json_rows``: psycopg dumps one
# string; arrays per column cost ~0.05 ms of CPU per delivery to dump). ``bench.profile --what fanout_drain``
# had the ORM's ``bulk_create`` of the attempts and the grouped UPDATE at 0.14-0.18 ms of the drain thread's
# CPU per delivery. Rows retried or merged into a newer row are written one by one before (rare: failures).
_ATTEMPT_COLUMNS = {
    "delivery_id": "bigint", "request_id": "text", "method": "text", "url": "text", "started_at": "timestamp",
    "duration_ms": "int", "http_status": "int", "ocpi_status": "int", "outcome": "text", "error": "text",
    "response_excerpt": "text",
}  # fmt: skip
_ENDED_COLUMNS = {
    "id": "bigint", "status": "text", "error": "text", "answered": "boolean", "http_status": "int",
    "ocpi_status": "int",
}  # fmt: skip
ATTEMPT_FIELDS = tuple(_ATTEMPT_COLUMNS)
ENDED_FIELDS = tuple(_ENDED_COLUMNS)


@functools.cache
def _record_sql() -> str:
    fields = ", ".join(ATTEMPT_FIELDS)
    return f"""
WITH attempt AS (
    INSERT INTO parties_deliveryattempt ({fields})
    SELECT {fields} FROM {json_rows("attempt_row", _ATTEMPT_COLUMNS)}
)
UPDATE parties_delivery delivery SET status = ended.status, lease_until = NULL, last_error = ended.error,
    completed_at = %s,
    last_http_status = CASE WHEN ended.answered THEN ended.http_status ELSE delivery.last_http_status END,
    last_ocpi_status = CASE WHEN ended.answered THEN ended.ocpi_status ELSE delivery.last_ocpi_status END
FROM {json_rows("ended", _ENDED_COLUMNS)}
WHERE delivery.id = ended.id AND delivery.status = 'in_flight'
"""


def record_many(attempts: list[tuple[Any, ...]], ended: list[tuple[Any, ...]], *, completed_at: datetime) -> None:
    """Insert these attempt rows (``ATTEMPT_FIELDS`` each) and end these in-flight rows (``ENDED_FIELDS``
    each; ``answered``: the HTTP and OCPI status are the reply's, else the row keeps its last ones), in one
    statement. PostgreSQL only."""
    attempt_rows = json_param(dict(zip(ATTEMPT_FIELDS, values, strict=True)) for values in attempts)
    ended_rows = json_param(dict(zip(ENDED_FIELDS, values, strict=True)) for values in ended)
    with connection.cursor() as cursor:
        cursor.execute(_record_sql(), [attempt_rows, completed_at, ended_rows])


_AUTH_GENERATION = "SELECT value FROM parties_authgeneration WHERE id = 1"


def auth_generation() -> int:
    """The token cache's generation (0 before any platform change was recorded); one indexed read."""
    with connection.cursor() as cursor:
        cursor.execute(_AUTH_GENERATION)
        row = cursor.fetchone()
    return 0 if row is None else int(row[0])
