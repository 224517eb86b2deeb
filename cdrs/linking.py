"""Session <-> CDR linking (design.md §5): by ``session_id`` of the same CPO; otherwise by the token uid, the
EVSE and an overlapping time window. The method used is recorded on the CDR (``Cdr.link_method``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdrs.models import LinkMethod
from cdrs.quality import Report
from ocpi_hub.api.datetimes import parse_datetime
from sessions.models import Session
from sessions.selectors import NOT_APPLICABLE, session_for_linking, session_get


@dataclass(frozen=True)
class Link:
    session: Session | None
    method: str


def cdr_link(*, country_code: str, party_id: str, doc: dict[str, Any]) -> Link:
    """The Session a CDR (canonical document) belongs to, and how it was found."""
    session_id = doc.get("session_id")
    if session_id:
        session = session_get(country_code=country_code, party_id=party_id, session_id=session_id)
        if session is not None:
            return Link(session, LinkMethod.SESSION_ID)
    evse_uid = doc["cdr_location"]["evse_uid"]
    if evse_uid == NOT_APPLICABLE:
        return Link(None, LinkMethod.NONE)
    session = session_for_linking(
        country_code=country_code,
        party_id=party_id,
        token_uid=doc["cdr_token"]["uid"],
        evse_uid=evse_uid,
        start=parse_datetime(doc["start_date_time"]),
        end=parse_datetime(doc["end_date_time"]),
    )
    return Link(session, LinkMethod.TOKEN_EVSE_TIME if session else LinkMethod.NONE)


def link_issues(report: Report, doc: dict[str, Any], link: Link) -> None:
    """Quality warnings of the link: an unknown session_id, an unlinked CDR."""
    session_id = doc.get("session_id")
    if session_id and link.method != LinkMethod.SESSION_ID:
        fallback = "linked by token uid + EVSE + time window instead" if link.session else "no other match"
        report.add("SESSION_ID_UNKNOWN", "session_id", f"no Session '{session_id}' of this CPO; {fallback}")
    if link.session is None:
        report.add("SESSION_UNLINKED", "session_id", "no Session matches session_id or token uid + EVSE + time")
