"""Session <-> CDR linking (design.md §5): by ``session_id`` of the same CPO; otherwise by the token uid, the
EVSE and an overlapping time window (the newest such Session; one without end_date_time is open-ended). The
method used is recorded on the CDR (``Cdr.link_method``).

The look-ups run with the CDR POST's others in one query (``ocpi_hub.db.lookup_together``): ``link_lookups``
makes them, ``cdr_link`` reads their rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdrs.models import LinkMethod
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.db import Found, Lookup
from sessions.quality import Report
from sessions.selectors import NOT_APPLICABLE, session_by_id_lookup, session_in_window_lookup


@dataclass(frozen=True)
class Link:
    session_id: int | None  # the Session row's primary key
    method: str


@dataclass(frozen=True)
class LinkLookups:
    """The Sessions a CDR may belong to, as look-ups: by its session_id, by token + EVSE + time window."""

    by_id: Lookup | None = None
    by_window: Lookup | None = None

    def all(self) -> list[Lookup | None]:
        return [self.by_id, self.by_window]


def link_lookups(*, country_code: str, party_id: str, doc: dict[str, Any]) -> LinkLookups:
    """The Sessions a CDR (canonical document) of this CPO may belong to, as look-ups."""
    by_id = by_window = None
    session_id = doc.get("session_id")
    if session_id:
        by_id = session_by_id_lookup(country_code=country_code, party_id=party_id, session_id=session_id)
    evse_uid = doc["cdr_location"]["evse_uid"]
    if evse_uid != NOT_APPLICABLE:
        by_window = session_in_window_lookup(
            country_code=country_code,
            party_id=party_id,
            token_uid=doc["cdr_token"]["uid"],
            evse_uid=evse_uid,
            start=parse_datetime(doc["start_date_time"]),
            end=parse_datetime(doc["end_date_time"]),
        )
    return LinkLookups(by_id, by_window)


def cdr_link(found: Found, lookups: LinkLookups) -> Link:
    """The link ``link_lookups``' rows give."""
    for lookup, method in ((lookups.by_id, LinkMethod.SESSION_ID), (lookups.by_window, LinkMethod.TOKEN_EVSE_TIME)):
        row = found.row(lookup)
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
