"""EVSE rows and their status history, kept in line with the Location document in the push's transaction.

The changes are found by comparing the previous and the new document (the rows mirror the previous one), so
the rows are not read. ``EvseRowsChange.statements()`` are the two statements of the usual push: one UPDATE of
the changed rows and one INSERT of the history entries of the rows that exist (their values passed as one JSON
parameter, ``ocpi_hub.db.json_rows``); they run together with the Location's own UPDATE
(``ocpi_hub.db.execute_together``). ``finish()`` then creates the rows of EVSEs seen for the first time, with
their history (two more statements). No statement's number of parameters grows with the number of EVSEs,
so a Location of any size stays one transaction. This is the ingest hot path (bench scenario B), so the
statements are plain SQL (the ORM spent more time building them than the database running them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from locations.documents import Doc, timestamp
from locations.models import Evse, EvseStatusChange, Location
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.db import ONLY_IF, Rows, Statement, execute_together, json_param, json_rows

REMOVED = "REMOVED"
FIELDS = ("uid", "evse_id", "status", "last_updated")
Values = tuple[str, str, str, str]  # FIELDS; last_updated as the canonical document spells it
HISTORY_TABLE = EvseStatusChange._meta.db_table


@dataclass
class EvseRowsChange:
    """What a push changes in the EVSE rows of ``location``: rows to write, status changes to record."""

    location: Location
    changed: dict[str, Values] = field(default_factory=dict)  # uid_key -> new values
    existing: set[str] = field(default_factory=set)  # uid_keys of the rows there are (the previous document's)
    history: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # uid_key -> (status, changed_at)

    @property
    def creates_rows(self) -> bool:
        """Whether an EVSE is new (its row is created by ``finish``, after the statements)."""
        return bool(self.changed.keys() - self.existing)

    def statements(self, only_if: str = "") -> tuple[Statement | None, Statement | None]:
        """UPDATE of the changed rows (RETURNING the uid_key of each row found), INSERT of the history of
        the rows that exist; None for either when there is nothing to write. ``only_if``: both run only if
        the statement of that name applied (``ocpi_hub.db.Statement.only_if``)."""
        if not self.changed:
            return None, None
        history = _history_of_existing(self.location, self.history, only_if)
        return _update(self.location, self.changed, only_if), history

    def finish(self, updated: Rows) -> None:
        """Create the rows the UPDATE did not find (EVSEs seen for the first time), then record their history:
        two statements whose number of parameters does not depend on the number of EVSEs (a Location with
        tens of thousands of them stays one transaction within PostgreSQL's 65,535 bind parameters)."""
        found = {key for (key,) in updated}
        created = {key: values for key, values in self.changed.items() if key not in found}
        if not created:
            return
        history = {key: self.history[key] for key in created if key in self.history}
        execute_together([_insert(self.location, created)])
        execute_together([_history_of_existing(self.location, history, "")])


def evse_rows_change(*, location: Location, previous: Doc | None, uid: str | None = None) -> EvseRowsChange:
    """The EVSEs that changed between ``previous`` and the Location's document (only EVSE ``uid`` when given)
    and their status changes. EVSEs left out of a whole-Location update are kept (sessions and history refer
    to them) with status REMOVED."""
    change = EvseRowsChange(location)
    old, new = _evses(previous, uid), _evses(location.document, uid)
    change.existing = set(old)
    for key, evse in new.items():
        values = _values(evse)
        before = _values(old[key]) if key in old else None
        if before != values:
            change.changed[key] = values
        if before is None or before[2] != values[2]:
            change.history[key] = (values[2], timestamp(evse))
    for key, evse in old.items() if uid is None else ():
        if key not in new and evse["status"] != REMOVED:
            change.changed[key] = (*_values(evse)[:2], REMOVED, evse["last_updated"])
            change.history[key] = (REMOVED, location.last_updated)
    return change


def _evses(document: Doc | None, uid: str | None) -> dict[str, Doc]:
    evses = {evse["uid"].upper(): evse for evse in (document or {}).get("evses") or []}
    if uid is None:
        return evses
    return {key: evse for key, evse in evses.items() if key == uid.upper()}


def _values(evse: Doc) -> Values:
    return (evse["uid"], evse.get("evse_id") or "", evse["status"], evse["last_updated"])


_CHANGED = {"uid_key": "text", "uid": "text", "evse_id": "text", "status": "text", "last_updated": "timestamp"}
_ENTRIES = {"uid_key": "text", "status": "text", "changed_at": "timestamp"}
EVSE_TABLE = Evse._meta.db_table


def _update(location: Location, rows: dict[str, Values], only_if: str) -> Statement:
    sql = (
        f"UPDATE {EVSE_TABLE} SET uid = incoming.uid, evse_id = incoming.evse_id, status = incoming.status, "
        f"last_updated = incoming.last_updated FROM {json_rows('incoming', _CHANGED)} "
        f"WHERE {EVSE_TABLE}.location_id = %s AND {EVSE_TABLE}.uid_key = incoming.uid_key {ONLY_IF} "
        f"RETURNING {EVSE_TABLE}.uid_key"
    )
    return Statement(sql, [json_param(_changed_rows(rows)), location.pk], returning=True, only_if=only_if)


def _changed_rows(rows: dict[str, Values]) -> list[dict[str, Any]]:
    return [
        {"uid_key": key, "uid": uid, "evse_id": evse_id, "status": status, "last_updated": parse_datetime(moment)}
        for key, (uid, evse_id, status, moment) in rows.items()
    ]


def _history_of_existing(
    location: Location, history: dict[str, tuple[str, datetime]], only_if: str
) -> Statement | None:
    """History entries of the rows that exist before the push (the others are added by ``finish``)."""
    if not history:
        return None
    entries = [{"uid_key": key, "status": status, "changed_at": at} for key, (status, at) in history.items()]
    sql = (
        f"INSERT INTO {HISTORY_TABLE} (evse_id, status, changed_at, recorded_at) "
        f"SELECT evse.id, entry.status, entry.changed_at, %s FROM {EVSE_TABLE} evse "
        f"JOIN {json_rows('entry', _ENTRIES)} ON entry.uid_key = evse.uid_key WHERE evse.location_id = %s {ONLY_IF}"
    )
    return Statement(sql, [_adapt(timezone.now()), json_param(entries), location.pk], only_if=only_if)


def _insert(location: Location, rows: dict[str, Values]) -> Statement:
    sql = (
        f"INSERT INTO {EVSE_TABLE} (location_id, uid_key, uid, evse_id, status, last_updated) "
        f"SELECT %s, incoming.uid_key, incoming.uid, incoming.evse_id, incoming.status, incoming.last_updated "
        f"FROM {json_rows('incoming', _CHANGED)}"
    )
    return Statement(sql, [location.pk, json_param(_changed_rows(rows))])


def _adapt(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
