"""EVSE rows and their status history, kept in line with the Location document in the push's transaction.

The changes are found by comparing the previous and the new document (the rows mirror the previous one), so
the rows are not read: changed rows are updated with one statement (a CASE per column, RETURNING their ids),
new rows and history entries are inserted in bulk. A push costs one or two statements whatever the number of
EVSEs; this is the ingest hot path (bench scenario B), so the frequent statements are plain SQL (the ORM spent
more time building them than the database running them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from locations.documents import Doc, timestamp
from locations.models import Evse, EvseStatusChange, Location

REMOVED = "REMOVED"
FIELDS = ("uid", "evse_id", "status", "last_updated")
Values = tuple[str, str, str, datetime]
HISTORY_TABLE = EvseStatusChange._meta.db_table


def _values(evse: Doc) -> Values:
    return (evse["uid"], evse.get("evse_id") or "", evse["status"], timestamp(evse))


def _evses(document: Doc | None, uid: str | None) -> dict[str, Doc]:
    evses = {evse["uid"].upper(): evse for evse in (document or {}).get("evses") or []}
    if uid is None:
        return evses
    return {key: evse for key, evse in evses.items() if key == uid.upper()}


def evse_rows_sync(*, location: Location, previous: Doc | None, uid: str | None = None) -> None:
    """Rows of the EVSEs that changed between ``previous`` and the Location's document (only EVSE ``uid``
    when given), and one history entry per status change. EVSEs left out of a whole-Location update are
    kept (sessions and history refer to them) with status REMOVED."""
    old, new = _evses(previous, uid), _evses(location.document, uid)
    changed: dict[str, Values] = {}
    history: dict[str, tuple[str, datetime]] = {}  # uid_key -> (status, changed_at)
    for key, evse in new.items():
        values = _values(evse)
        before = _values(old[key]) if key in old else None
        if before != values:
            changed[key] = values
        if before is None or before[2] != values[2]:
            history[key] = (values[2], values[3])
    for key, evse in old.items() if uid is None else ():
        if key not in new and evse["status"] != REMOVED:
            changed[key] = (*_values(evse)[:2], REMOVED, timestamp(evse))
            history[key] = (REMOVED, location.last_updated)
    ids = _update(location, changed)  # also rows of EVSEs that come back after being left out
    created = [
        Evse(location=location, uid_key=key, **dict(zip(FIELDS, values, strict=True)))
        for key, values in changed.items()
        if key not in ids
    ]
    ids.update((row.uid_key, row.pk) for row in Evse.objects.bulk_create(created))
    _record_history([(ids[key], status, changed_at) for key, (status, changed_at) in history.items()])


def _update(location: Location, rows: dict[str, Values]) -> dict[str, int]:
    """UPDATE the rows of ``rows`` (by uid_key) in one statement; ``{uid_key: id}`` of the rows found."""
    if not rows:
        return {}
    quote, keys = connection.ops.quote_name, list(rows)
    assignments, params = [], []
    for index, name in enumerate(FIELDS):  # field names are the column names
        assignments.append(f"{quote(name)} = CASE {quote('uid_key')} {' '.join(['WHEN %s THEN %s'] * len(keys))} END")
        for key in keys:
            params += [key, _adapt(rows[key][index])]
    sql = (
        f"UPDATE {quote(Evse._meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE {quote('location_id')} = %s AND {quote('uid_key')} IN ({', '.join(['%s'] * len(keys))}) "
        f"RETURNING {quote('id')}, {quote('uid_key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, location.pk, *keys])
        return {key: pk for pk, key in cursor.fetchall()}


def _record_history(changes: list[tuple[int, str, datetime]]) -> None:
    """INSERT the history entries (evse id, status, changed_at) in one statement."""
    if not changes:
        return
    recorded_at = _adapt(timezone.now())
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(changes))
    params = [value for evse_id, status, at in changes for value in (evse_id, status, _adapt(at), recorded_at)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {HISTORY_TABLE} (evse_id, status, changed_at, recorded_at) VALUES {rows}", params)


def _adapt(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
