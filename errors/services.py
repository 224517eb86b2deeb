"""Error records pushed by CPOs (chargex-errors extension): PUT a record, PATCH to clear it; route it.

One transaction per push: the record row and one outbox Delivery per receiver are written together, or
nothing is (any failed rule raises 2001 before the first write, and the transaction rolls back anyway).

Rules (docs/extension-chargex-errors.md):
- the URL's country_code/party_id must be one of the caller's CPO roles; URL ids must equal the body's;
- the wire model checks shape, types, enums and severity 0-9; ``errors.checks`` the database rules;
- an update with a ``last_updated`` older than the stored record's is acknowledged but neither stored nor
  forwarded; so is one that changes nothing;
- PATCH: ``last_updated`` is required, only ``cleared_at`` / ``description`` (+ ``last_updated``) may change;
- routing: a record tied to a session (or CDR) goes to that session's eMSP only, any other record to every
  connected eMSP; in both cases only to platforms that opted in (chargex-errors RECEIVER endpoint).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from errors.checks import RecordContext, check_error_record
from errors.lock_objects import error_record_lock
from errors.models import ErrorRecord
from errors.wire import IDENTITY_FIELDS, PATCHABLE_FIELDS, parse_error_record
from ocpi_hub import push
from ocpi_hub.api.datetimes import DateTimeFormatError, parse_datetime
from ocpi_hub.db import atomic_with_retry
from ocpi_hub.exceptions import InvalidParameters
from ocpi_hub.push import CPO_ROLES, EMSP_ROLES, stale_message, unchanged_message
from parties import policy
from parties.extension import MODULE
from parties.models import Platform
from parties.selectors import receivers_for
from parties.services.delivery import delivery_enqueue
from parties.tenancy import require_pushed_object

RECEIVER_ROLES = EMSP_ROLES
STALE, UNCHANGED = stale_message("record"), unchanged_message("record")
Doc = dict[str, Any]


@dataclass(frozen=True)
class RecordRef:
    """Address of an error record as in the URL."""

    country_code: str
    party_id: str
    record_id: str


@dataclass(frozen=True)
class PushResult(push.PushResult):
    """``ocpi_hub.push.PushResult`` with the stored record."""

    record: ErrorRecord | None = None


def error_record_put(
    *, platform: Platform, version: str, ref: RecordRef, body: Any, lenient: bool = False, correlation_id: str = ""
) -> PushResult:
    """Create or replace the error record at ``ref``."""
    ref = _checked(platform, ref, body)
    doc = parse_error_record(version, body, lenient=lenient)
    return atomic_with_retry(lambda: _apply(platform, ref, doc, correlation_id))


def error_record_patch(
    *, platform: Platform, version: str, ref: RecordRef, body: Any, lenient: bool = False, correlation_id: str = ""
) -> PushResult:
    """Apply a partial update (clearing: ``cleared_at`` + ``last_updated``) to a stored record."""
    ref = _checked(platform, ref, body)
    _check_patch_fields(body, lenient)

    def patch() -> PushResult:
        record = error_record_lock(country_code=ref.country_code, party_id=ref.party_id, record_id=ref.record_id)
        if record is None:
            raise InvalidParameters(
                f"Unknown error record {ref.country_code}/{ref.party_id}/{ref.record_id}: PUT it first"
            )
        merged = {**record.document, **{k: v for k, v in body.items() if k not in IDENTITY_FIELDS}}
        merged = {key: value for key, value in merged.items() if value is not None}
        doc = parse_error_record(version, merged, lenient=lenient)
        return _apply(platform, ref, doc, correlation_id, record=record)

    return atomic_with_retry(patch)


# --- checks ---------------------------------------------------------------------------------------------------


def _checked(platform: Platform, ref: RecordRef, body: Any) -> RecordRef:
    """Tenancy and URL/body consistency; returns the ref with the owner normalised to upper case."""
    country_code, party_id = require_pushed_object(
        platform,
        country_code=ref.country_code,
        party_id=ref.party_id,
        object_id=ref.record_id,
        body=body,
        roles=CPO_ROLES,
    )
    return RecordRef(country_code, party_id, ref.record_id)


def _check_patch_fields(body: Doc, lenient: bool) -> None:
    extra = sorted(set(body) - PATCHABLE_FIELDS - set(IDENTITY_FIELDS))
    if extra:
        raise InvalidParameters(
            f"{extra[0]}: cannot be changed with PATCH (only cleared_at, description); PUT the full record"
        )
    if body.get("last_updated") is None:
        raise InvalidParameters("last_updated: required in every PATCH")
    try:
        parse_datetime(body["last_updated"], lenient=lenient)
    except DateTimeFormatError as exc:
        raise InvalidParameters(f"last_updated: {exc}") from None


# --- storing and routing --------------------------------------------------------------------------------------


def _apply(
    platform: Platform, ref: RecordRef, doc: Doc, correlation_id: str, record: ErrorRecord | None = None
) -> PushResult:
    record = record or error_record_lock(country_code=ref.country_code, party_id=ref.party_id, record_id=ref.record_id)
    if record is not None and parse_datetime(doc["last_updated"]) < record.last_updated:
        return PushResult(applied=False, message=STALE, record=record)
    if record is not None and record.document == doc:
        return PushResult(applied=False, message=UNCHANGED, record=record)
    context = check_error_record(doc, country_code=ref.country_code, party_id=ref.party_id)
    record = _save(platform, record, ref, doc, context)
    error_record_route(record=record, correlation_id=correlation_id)
    return PushResult(applied=True, record=record)


def _save(
    platform: Platform, record: ErrorRecord | None, ref: RecordRef, doc: Doc, context: RecordContext
) -> ErrorRecord:
    record = record or ErrorRecord(country_code=ref.country_code, party_id=ref.party_id)
    record.owner = platform
    record.record_id = doc["id"]
    record.record_key = doc["id"].upper()
    for name in ("scheme", "code", "source", "severity"):
        setattr(record, name, doc[name])
    for name in ("connector_id", "vendor_id", "vendor_code", "component", "variable"):
        setattr(record, name, doc.get(name) or "")
    record.session_id = (doc.get("session_id") or "").upper()
    record.cdr_id = (doc.get("cdr_id") or "").upper()
    record.description = doc.get("description") or ""
    record.location_id = doc["location_id"].upper()
    record.evse_uid = doc["evse_uid"].upper()
    record.occurred_at = parse_datetime(doc["occurred_at"])
    record.cleared_at = parse_datetime(doc["cleared_at"]) if doc.get("cleared_at") else None
    record.last_updated = parse_datetime(doc["last_updated"])
    record.cause = context.cause
    record.is_private, record.private_to = context.is_private, context.private_to
    record.private_to_party = context.private_to_party
    record.document = doc
    record.save()
    return record


def error_record_receivers(*, record: ErrorRecord) -> list[Platform]:
    """Who gets this record: opted-in, connected eMSPs; for a private record only its session's eMSP."""
    receivers = receivers_for(MODULE, roles=RECEIVER_ROLES, exclude=record.owner)
    receivers = policy.platforms_agreed(
        receivers,
        module=MODULE,
        owner=(record.country_code, record.party_id),
        owner_side=policy.CPO,
        receiver_roles=RECEIVER_ROLES,
    )
    if record.is_private:
        receivers = receivers.filter(pk=record.private_to_id) if record.private_to_id else receivers.none()
    return list(receivers)


def error_record_route(*, record: ErrorRecord, correlation_id: str = "") -> int:
    """Queue the record for each of its receivers. Call inside the transaction of the change."""
    receivers = error_record_receivers(record=record)
    for receiver in receivers:
        delivery_enqueue(receiver=receiver, module=MODULE, object_key=record.object_key, correlation_id=correlation_id)
    return len(receivers)
