"""The Sessions app's hand-written SQL: the Sessions a CDR may link to, as look-ups the CDR POST runs with its
others in one query (bench E1). Other apps reach them through ``sessions.selectors``."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from ocpi_hub.db import Lookup
from sessions.models import Session

SESSIONS = Session._meta.db_table
_BY_ID = f"SELECT id FROM {SESSIONS} WHERE country_code = %s AND party_id = %s AND session_key = %s LIMIT 1"
_IN_WINDOW = (
    f"SELECT id FROM {SESSIONS} WHERE country_code = %s AND party_id = %s AND token_uid_key = %s "
    "AND evse_uid_key = %s AND start_date_time <= %s AND (end_date_time IS NULL OR end_date_time >= %s) "
    "ORDER BY start_date_time DESC LIMIT 1"
)


def session_by_id_lookup(*, country_code: str, party_id: str, session_id: str) -> Lookup:
    """The CPO's Session of this id (owner ids upper case): its row id."""
    return Lookup(_BY_ID, [country_code, party_id, session_id.upper()])


def session_in_window_lookup(
    *, country_code: str, party_id: str, token_uid: str, evse_uid: str, start: datetime, end: datetime
) -> Lookup:
    """The newest Session of the CPO (owner ids upper case) with this token at this EVSE that overlaps
    ``start``..``end`` (one without end_date_time is open-ended): its row id."""
    adapt = connection.ops.adapt_datetimefield_value
    return Lookup(_IN_WINDOW, [country_code, party_id, token_uid.upper(), evse_uid.upper(), adapt(end), adapt(start)])
