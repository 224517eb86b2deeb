"""Session <-> CDR linking (design.md §5): by ``session_id`` of the same CPO; otherwise by the token uid, the
EVSE and an overlapping time window (the newest such Session; one without end_date_time is open-ended). The
method used is recorded on the CDR (``Cdr.link_method``).

The look-ups run with the CDR POST's others in one query (``ocpi_hub.db.lookup_together``): ``link_lookups``
names them, ``cdr_link`` reads their rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection

from cdrs.models import LinkMethod
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.db import Lookup
from sessions.models import Session
from sessions.quality import Report
from sessions.selectors import NOT_APPLICABLE

SESSIONS = Session._meta.db_table
_BY_ID = f"SELECT id FROM {SESSIONS} WHERE country_code = %s AND party_id = %s AND session_key = %s LIMIT 1"
_BY_WINDOW = (
    f"SELECT id FROM {SESSIONS} WHERE country_code = %s AND party_id = %s AND token_uid_key = %s "
    "AND evse_uid_key = %s AND start_date_time <= %s AND (end_date_time IS NULL OR end_date_time >= %s) "
    "ORDER BY start_date_time DESC LIMIT 1"
)


@dataclass(frozen=True)
class Link:
    session_id: int | None  # the Session row's primary key
    method: str


def link_lookups(*, country_code: str, party_id: str, doc: dict[str, Any]) -> dict[str, Lookup]:
    """The Sessions a CDR (canonical document) of this CPO may belong to, as look-ups."""
    lookups = {}
    session_id = doc.get("session_id")
    if session_id:
        lookups["session_by_id"] = Lookup(_BY_ID, [country_code, party_id, session_id.upper()])
    evse_uid = doc["cdr_location"]["evse_uid"]
    if evse_uid != NOT_APPLICABLE:
        adapt = connection.ops.adapt_datetimefield_value
        start, end = parse_datetime(doc["start_date_time"]), parse_datetime(doc["end_date_time"])
        token = doc["cdr_token"]["uid"].upper()
        params = [country_code, party_id, token, evse_uid.upper(), adapt(end), adapt(start)]
        lookups["session_by_window"] = Lookup(_BY_WINDOW, params)
    return lookups


def cdr_link(found: dict[str, Any]) -> Link:
    """The link ``link_lookups``' rows give."""
    for name, method in (("session_by_id", LinkMethod.SESSION_ID), ("session_by_window", LinkMethod.TOKEN_EVSE_TIME)):
        row = found.get(name)
        if row is not None:
            return Link(row[0], method)
    return Link(None, LinkMethod.NONE)


def link_issues(report: Report, doc: dict[str, Any], link: Link) -> None:
    """Quality warnings of the link: an unknown session_id, an unlinked CDR."""
    session_id = doc.get("session_id")
    if session_id and link.method != LinkMethod.SESSION_ID:
        fallback = "linked by token uid + EVSE + time window instead" if link.session_id else "no other match"
        report.add("SESSION_ID_UNKNOWN", "session_id", f"no Session '{session_id}' of this CPO; {fallback}")
    if link.session_id is None:
        report.add("SESSION_UNLINKED", "session_id", "no Session matches session_id or token uid + EVSE + time")
