"""Sessions pushed by CPOs (receiver PUT/PATCH): validated, quality-checked, stored, routed to one eMSP.

One transaction per push: the Session row and the outbox Delivery to the token owner, or nothing.

Rules (OCPI 2.2.1/2.3.0 §Sessions, notes §1.8; design.md §3, §5):
- the URL's country_code/party_id must be one of the caller's CPO roles; ids in the URL must equal the body;
- PUT replaces the Session (its charging periods too); PATCH needs ``last_updated`` (else 2001) and an existing
  Session: its fields replace the stored ones (objects such as ``total_cost`` as a whole, ``null`` removes a
  field) and its ``charging_periods`` are appended; the result is validated as a full Session;
- an update older than the stored Session is acknowledged but neither applied nor forwarded; so is one that
  changes nothing;
- quality errors -> 2001 naming the field, nothing stored (warnings too on strict platforms); warnings are
  stored with the Session and named in the answer's status_message;
- the chargex-errors extension fields are validated (2001 naming the field), stored in the document and
  checked like the rest (an ``error_records`` entry naming no stored ErrorRecord of the CPO is a warning);
- receiver = the token owner (``sessions.routing``); 4001/4003 are answered to the CPO and nothing is stored,
  so the CPO learns at once that the eMSP cannot get the Session and pushes it again later.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Model

from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.api.patching import checked_fields
from ocpi_hub.api.routing import RoutingHeaders
from ocpi_hub.db import atomic_with_retry
from ocpi_hub.exceptions import InvalidParameters
from ocpi_hub.push import CPO_ROLES, PushResult, patch_timestamp, stale_message, unchanged_message
from parties import policy
from parties.models import Platform
from parties.services.delivery import delivery_enqueue
from parties.tenancy import require_pushed_object
from sessions.lock_objects import session_lock
from sessions.models import Session
from sessions.quality import Report, enforce, error_record_issues, session_report, warnings_message
from sessions.routing import token_receiver
from sessions.selectors import error_records_named, evse_exists
from sessions.wire import parse_session, render_session

MODULE = "sessions"
STALE, UNCHANGED = stale_message("Session"), unchanged_message("Session")
Doc = dict[str, Any]


@dataclass(frozen=True)
class SessionRef:
    country_code: str
    party_id: str
    session_id: str


@dataclass(frozen=True)
class Push:
    platform: Platform
    version: str
    ref: SessionRef
    body: Any
    routing: RoutingHeaders | None = None
    correlation_id: str = ""

    @property
    def lenient(self) -> bool:
        return self.platform.is_lenient


def session_put(*, push: Push) -> PushResult:
    """Create or replace the Session at ``push.ref``."""
    push = _checked(push)
    doc = parse_session(push.version, push.body, lenient=push.lenient)

    def put() -> PushResult:
        current = session_lock(**_lock_args(push.ref))
        if current is not None and parse_datetime(doc["last_updated"]) < current.last_updated:
            return PushResult(applied=False, message=STALE)
        return _store(push, current, doc)

    return atomic_with_retry(put)


def session_patch(*, push: Push) -> PushResult:
    """Merge a partial update into the stored Session; its charging periods are appended."""
    push = _checked(push)
    changed_at = patch_timestamp(push.body, lenient=push.lenient)

    def patch() -> PushResult:
        current = session_lock(**_lock_args(push.ref))
        if current is None:
            ref = push.ref
            raise InvalidParameters(f"Unknown session {ref.country_code}/{ref.party_id}/{ref.session_id}: PUT it first")
        if changed_at < current.last_updated:
            return PushResult(applied=False, message=STALE)
        return _store(push, current, session_patched(push.version, current.document, push.body, lenient=push.lenient))

    return atomic_with_retry(patch)


def session_patched(version: str, stored: Doc, body: Doc, *, lenient: bool = False) -> Doc:
    """The stored canonical Session with a PATCH of ``version`` applied: validated as the caller sees the
    Session, but only the fields sent taken from that; the others stay as stored, also where ``version``
    cannot express their values (``ocpi_hub.api.patching``). The charging periods sent are appended, in
    canonical form, to the stored ones (not to their rendering, which drops dimensions 2.2.1 does not know)."""
    seen_as = render_session(stored, version)
    checked = parse_session(version, merge_patch(seen_as, body), lenient=lenient)
    result = checked_fields(stored, body, checked)
    if body.get("charging_periods"):
        added = checked["charging_periods"][len(seen_as["charging_periods"]) :]
        result["charging_periods"] = list(stored.get("charging_periods") or []) + added
    elif "charging_periods" in body:  # null or []: nothing to append
        result["charging_periods"] = stored.get("charging_periods") or []
    return result


def merge_patch(stored: Doc, patch: Doc) -> Doc:
    """A Session PATCH applied to a stored wire dict: ``charging_periods`` appended, ``null`` removes a field,
    any other field (objects included) replaces the stored value."""
    merged = copy.deepcopy(stored)
    for key, value in patch.items():
        if key == "charging_periods":
            merged[key] = list(merged.get(key) or []) + copy.deepcopy(value or [])
        elif value is None:
            merged.pop(key, None)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


# --- checks ---------------------------------------------------------------------------------------------------


def _checked(push: Push) -> Push:
    """Tenancy and URL/body consistency; returns the push with the owner normalised to upper case."""
    ref = push.ref
    country_code, party_id = require_pushed_object(
        push.platform,
        country_code=ref.country_code,
        party_id=ref.party_id,
        object_id=ref.session_id,
        body=push.body,
        roles=CPO_ROLES,
    )
    return Push(
        platform=push.platform,
        version=push.version,
        ref=SessionRef(country_code, party_id, ref.session_id),
        body=push.body,
        routing=push.routing,
        correlation_id=push.correlation_id,
    )


def session_quality(*, platform: Platform, doc: Doc, raw: Any) -> Report:
    """The quality report of a Session (errors and, on strict platforms, warnings raise 2001)."""
    report = session_report(doc, raw, lenient=platform.is_lenient)
    known = evse_exists(
        country_code=doc["country_code"].upper(),
        party_id=doc["party_id"].upper(),
        location_id=doc["location_id"],
        evse_uid=doc["evse_uid"],
    )
    if known is False:
        report.add("EVSE_UNKNOWN", "evse_uid", f"EVSE {doc['evse_uid']} of location {doc['location_id']} is unknown")
    error_record_issues(report, doc, error_records_named(doc))
    enforce(report, strictness=platform.strictness)
    return report


def _lock_args(ref: SessionRef) -> dict[str, str]:
    return {"country_code": ref.country_code, "party_id": ref.party_id, "session_id": ref.session_id}


# --- storing --------------------------------------------------------------------------------------------------


def _store(push: Push, current: Session | None, doc: Doc) -> PushResult:
    if current is not None and current.document == doc:
        return PushResult(applied=False, message=UNCHANGED)
    report = session_quality(platform=push.platform, doc=doc, raw=push.body)
    receiver, party = token_receiver(routing=push.routing, cdr_token=doc["cdr_token"])
    session = current or Session(owner=push.platform, country_code=push.ref.country_code, party_id=push.ref.party_id)
    session.owner = push.platform
    session.receiver, session.receiver_country_code, session.receiver_party_id = (
        receiver,
        party.country_code,
        party.party_id,
    )
    _fill(session, doc, report)
    # Without a roaming agreement (routing policy "agreements"): stored and flagged, not forwarded.
    session.no_agreement = not policy.may_route((push.ref.country_code, push.ref.party_id), party, MODULE)
    session.save()
    if not session.no_agreement:
        delivery_enqueue(
            receiver=receiver, module=MODULE, object_key=session.object_key, correlation_id=push.correlation_id
        )
    return PushResult(applied=True, message=warnings_message(report))


def _fill(session: Session, doc: Doc, report: Report) -> None:
    session.session_id = doc["id"]
    session.session_key = doc["id"].upper()
    session.status = doc["status"]
    session.start_date_time = parse_datetime(doc["start_date_time"])
    session.end_date_time = parse_datetime(doc["end_date_time"]) if doc.get("end_date_time") else None
    session.token_uid_key = doc["cdr_token"]["uid"].upper()
    session.location_key = doc["location_id"].upper()
    session.evse_uid_key = doc["evse_uid"].upper()
    session.last_updated = parse_datetime(doc["last_updated"])
    session.document = doc
    session.quality_warnings = report.stored_warnings()
    session.warning_codes = report.codes_text()


# --- held records (routing policy "agreements") ---------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    """What ``release_held`` did: records forwarded now, records still without an agreement."""

    forwarded: int
    still_held: int


def release_held(records: Iterable[Model], module: str) -> Released:
    """Forward the held ones of ``records`` (Sessions or CDRs stored without a roaming agreement, flagged
    ``no_agreement``) whose CPO and eMSP now have an active agreement covering ``module``: each is unflagged
    (the eMSP's GET lists it from then on) and queued for its receiver, in one transaction per record. Those
    still without an agreement stay held. Not done by itself when an agreement starts: whether records from
    before it are to be sent is for the parties to agree (docs/operations.md)."""
    forwarded = still_held = 0
    for record in records:
        if not getattr(record, "no_agreement", False):
            continue
        cpo = (record.country_code, record.party_id)  # type: ignore[attr-defined]
        emsp = (record.receiver_country_code, record.receiver_party_id)  # type: ignore[attr-defined]
        if record.receiver_id is None or not policy.may_route(cpo, emsp, module):  # type: ignore[attr-defined]
            still_held += 1
            continue
        with transaction.atomic():
            type(record)._default_manager.filter(pk=record.pk, no_agreement=True).update(no_agreement=False)
            delivery_enqueue(receiver=record.receiver, module=module, object_key=record.object_key)  # type: ignore[attr-defined]
        forwarded += 1
    return Released(forwarded, still_held)


def sessions_release_held(sessions: Iterable[Session]) -> Released:
    """``release_held`` for Sessions (their current state is sent)."""
    return release_held(sessions, MODULE)
