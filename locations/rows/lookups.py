"""Look-ups into the Locations tables that other apps run together with theirs (``ocpi_hub.db.lookup_together``:
one query per CDR POST, bench E1); they reach them through ``locations.selectors``."""

from __future__ import annotations

from django.db import connection

from locations.models import Evse, Location
from ocpi_hub.db import Lookup


def location_time_zone_lookup(*, country_code: str, party_id: str, location_id: str) -> Lookup:
    """The stored Location's ``time_zone`` (IANA name), as a look-up (``ocpi_hub.db.lookup_together``); the
    tariff engine reads local-time restrictions in it."""
    table = Location._meta.db_table
    zone = "document->>'time_zone'" if connection.vendor == "postgresql" else "json_extract(document, '$.time_zone')"
    sql = f"SELECT {zone} FROM {table} WHERE country_code = %s AND party_id = %s AND location_key = %s LIMIT 1"
    return Lookup(sql, [country_code.upper(), party_id.upper(), location_id.upper()])


def evse_lookup(*, country_code: str, party_id: str, location_id: str, evse_uid: str) -> Lookup:
    """Whether the CPO published this EVSE, as a look-up (``ocpi_hub.db.lookup_together``): the EVSE's row id."""
    sql = (
        f"SELECT evse.id FROM {Evse._meta.db_table} evse JOIN {Location._meta.db_table} loc "
        "ON loc.id = evse.location_id WHERE loc.country_code = %s AND loc.party_id = %s "
        "AND loc.location_key = %s AND evse.uid_key = %s LIMIT 1"
    )
    return Lookup(sql, [country_code.upper(), party_id.upper(), location_id.upper(), evse_uid.upper()])


def any_location_lookup(*, country_code: str, party_id: str) -> Lookup:
    """Whether the CPO publishes any Location through the hub, as a look-up: a Location's row id."""
    sql = f"SELECT id FROM {Location._meta.db_table} WHERE country_code = %s AND party_id = %s LIMIT 1"
    return Lookup(sql, [country_code.upper(), party_id.upper()])
