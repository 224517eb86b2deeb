"""The rules of an ErrorRecord that need the database. Each failure is a 2001 naming the field.

Checked after the wire model (shape, types, enums, severity 0-9) and before anything is written:
- ``location_id`` / ``evse_uid`` (and ``connector_id`` when given) exist for the owning CPO;
- ``cleared_at`` is not before ``occurred_at``;
- ``cause_id`` names another, already stored record of the same CPO;
- scheme MREC: ``code`` is in the MREC catalog;
- ``session_id`` / ``cdr_id`` name a Session / CDR of the same CPO (their eMSP is the only receiver).

The locations, sessions and cdrs apps are imported inside functions: errors reads them, never the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from errors.models import ErrorRecord, MrecCode
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.exceptions import InvalidParameters

Doc = dict[str, Any]


@dataclass(frozen=True)
class RecordContext:
    """What the checks resolved: the cause row and, for private records, the session's eMSP."""

    cause: ErrorRecord | None
    is_private: bool
    private_to: Any  # parties.Platform | None
    private_to_party: str = ""  # "CC/PID" of that eMSP


def check_error_record(doc: Doc, *, country_code: str, party_id: str) -> RecordContext:
    """Run every database rule on a parsed record of the CPO ``country_code/party_id``."""
    check_evse(doc, country_code=country_code, party_id=party_id)
    check_cleared_at(doc)
    check_code(doc)
    cause = check_cause(doc, country_code=country_code, party_id=party_id)
    private_to, private_to_party = check_links(doc, country_code=country_code, party_id=party_id)
    return RecordContext(
        cause=cause,
        is_private=bool(doc.get("session_id") or doc.get("cdr_id")),
        private_to=private_to,
        private_to_party=private_to_party,
    )


def check_evse(doc: Doc, *, country_code: str, party_id: str) -> None:
    from locations.documents import find_connector, find_evse
    from locations.models import Location

    location = Location.objects.filter(
        country_code=country_code, party_id=party_id, location_key=doc["location_id"].upper()
    ).first()
    if location is None:
        raise InvalidParameters(f"location_id: unknown location {country_code}/{party_id}/{doc['location_id']}")
    evse = find_evse(location.document, doc["evse_uid"])
    if evse is None:
        raise InvalidParameters(f"evse_uid: unknown EVSE {doc['evse_uid']} at location {doc['location_id']}")
    connector_id = doc.get("connector_id")
    if connector_id is not None and find_connector(evse, connector_id) is None:
        raise InvalidParameters(f"connector_id: unknown connector {connector_id} of EVSE {doc['evse_uid']}")


def check_cleared_at(doc: Doc) -> None:
    cleared_at = doc.get("cleared_at")
    if cleared_at is not None and parse_datetime(cleared_at) < parse_datetime(doc["occurred_at"]):
        raise InvalidParameters(f"cleared_at: {cleared_at} is before occurred_at ({doc['occurred_at']})")


def check_code(doc: Doc) -> None:
    if doc["scheme"] != "MREC":
        return
    if not MrecCode.objects.filter(code=doc["code"].upper()).exists():
        raise InvalidParameters(f"code: {doc['code']} is not an MREC code (the catalog has CX001..CX026)")


def check_cause(doc: Doc, *, country_code: str, party_id: str) -> ErrorRecord | None:
    cause_id = doc.get("cause_id")
    if cause_id is None:
        return None
    if cause_id.upper() == doc["id"].upper():
        raise InvalidParameters("cause_id: a record cannot be its own cause")
    cause = ErrorRecord.objects.filter(
        country_code=country_code, party_id=party_id, record_key=cause_id.upper()
    ).first()
    if cause is None:
        raise InvalidParameters(f"cause_id: unknown error record {country_code}/{party_id}/{cause_id}")
    return cause


def check_links(doc: Doc, *, country_code: str, party_id: str) -> tuple[Any, str]:
    """The eMSP platform (and its "CC/PID") of the linked session, else of the linked CDR; (None, "") for an
    EVSE-level record."""
    receiver: tuple[Any, str] = (None, "")
    if doc.get("cdr_id"):
        receiver = _cdr_receiver(doc["cdr_id"], country_code=country_code, party_id=party_id)
    if doc.get("session_id"):
        receiver = _session_receiver(doc["session_id"], country_code=country_code, party_id=party_id)
    return receiver


def _session_receiver(session_id: str, *, country_code: str, party_id: str) -> tuple[Any, str]:
    session_model = _model("ocpi_sessions", "Session")
    session = None
    if session_model is not None:
        session = (
            session_model.objects.select_related("receiver")
            .filter(country_code=country_code, party_id=party_id, session_key=session_id.upper())
            .first()
        )
    if session is None:
        raise InvalidParameters(f"session_id: unknown session {country_code}/{party_id}/{session_id}")
    return session.receiver, f"{session.receiver_country_code}/{session.receiver_party_id}"


def _cdr_receiver(cdr_id: str, *, country_code: str, party_id: str) -> tuple[Any, str]:
    cdr_model = _model("cdrs", "Cdr")
    cdr = None
    if cdr_model is not None:
        cdr = (
            cdr_model.objects.select_related("receiver")
            .filter(country_code=country_code, party_id=party_id, cdr_key=cdr_id.upper())
            .first()
        )
    if cdr is None:
        raise InvalidParameters(f"cdr_id: unknown CDR {country_code}/{party_id}/{cdr_id}")
    return cdr.receiver, f"{cdr.receiver_country_code}/{cdr.receiver_party_id}"


def _model(app_label: str, name: str) -> Any:
    """A model of an app that may not be installed (yet); None when it is not."""
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None
