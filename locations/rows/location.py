"""The Location row on the push path: read it (and lock it, or note its version), write it back. Plain SQL,
because this is the ingest hot path (bench scenario B): building these statements through the ORM cost more
than running them. Creating a Location (once per Location) still goes through the ORM.

Two ways to keep concurrent pushes of one Location apart (``locations.services``):
- locked: ``location_lock`` in a transaction, then the write (both databases);
- optimistic, PostgreSQL only: ``location_read`` without a transaction notes the row version (``xmin``, which
  every update of the row changes); ``location_update(row_version=...)`` writes only if the row still has that
  version, and the push's other statements run only if it did (``only_if=SAVED``), all in one statement.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from locations.documents import Doc, LocationRef
from locations.models import Location
from ocpi_hub.db import Statement

_LOCK = """
SELECT id, owner_id, location_id, publish, document, target_id, target_country_code, target_party_id
FROM locations_location
WHERE country_code = %s AND party_id = %s AND location_key = %s
"""
_UPDATE = """
UPDATE locations_location SET owner_id = %s, location_id = %s, location_key = %s, publish = %s,
    last_updated = %s, document = %s, updated_at = %s
WHERE id = %s
"""
_READ = _LOCK.replace("SELECT id,", "SELECT xmin::text, id,")
SAVED = "saved"  # the versioned UPDATE's name: the push's other statements run only if it applied (only_if)


def location_lock(ref: LocationRef) -> Location | None:
    """The Location at ``ref`` (owner ids upper case), locked for the rest of the transaction; None if unknown.
    The instance carries what a push needs: ids, owner, ``publish``, the document and the push target."""
    sql = _LOCK + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [ref.country_code, ref.party_id, ref.location_id.upper()])
        row = cursor.fetchone()
    return _location(ref, row) if row is not None else None


def location_find(ref: LocationRef) -> Location | None:
    """The Location at ``ref``, unlocked (the delivery renderer reads it once per delivery: bench D)."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK, [ref.country_code, ref.party_id, ref.location_id.upper()])
        row = cursor.fetchone()
    return _location(ref, row) if row is not None else None


def location_read(ref: LocationRef) -> tuple[Location | None, str]:
    """PostgreSQL: the Location at ``ref`` as ``location_lock`` gives it, unlocked, and its row version."""
    with connection.cursor() as cursor:
        cursor.execute(_READ, [ref.country_code, ref.party_id, ref.location_id.upper()])
        row = cursor.fetchone()
    if row is None:
        return None, ""
    return _location(ref, row[1:]), row[0]


def _location(ref: LocationRef, row: tuple[Any, ...]) -> Location:
    pk, owner_id, location_id, publish, document, target_id, target_country_code, target_party_id = row
    return Location(
        id=pk,
        owner_id=owner_id,
        target_id=target_id,
        target_country_code=target_country_code,
        target_party_id=target_party_id,
        country_code=ref.country_code,
        party_id=ref.party_id,
        location_id=location_id,
        location_key=location_id.upper(),
        publish=bool(publish),
        document=json.loads(document) if isinstance(document, str) else document,
    )


def location_update(
    location: Location, *, owner_id: int, document: Doc, last_updated: datetime, row_version: str = ""
) -> Statement:
    """The UPDATE writing a Location's new document (and the columns derived from it); the instance is
    updated at once, the statement is for ``ocpi_hub.db.execute_together``. With ``row_version`` (optimistic
    push, ``location_read``'s): only if the row still has that version, RETURNING its id as ``SAVED``."""
    location.owner_id = owner_id
    location.location_id = document["id"]
    location.location_key = document["id"].upper()
    location.publish = bool(document["publish"])
    location.last_updated = last_updated
    location.document = document
    location.updated_at = timezone.now()
    prepared = Location._meta.get_field("document").get_db_prep_save(document, connection)
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = [owner_id, location.location_id, location.location_key, location.publish]
    params += [adapt(last_updated), prepared, adapt(location.updated_at), location.pk]
    if row_version:
        return Statement(_UPDATE + " AND xmin = %s::xid RETURNING id", [*params, row_version], True, SAVED)
    return Statement(_UPDATE, params)
