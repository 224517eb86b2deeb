"""The chargex-errors extension as seen by the other apps: who opted in, and which fields to strip.

A platform opts in by listing the ``chargex-errors`` module with role RECEIVER in its version details.
Opted-in platforms receive error records and the extension fields on Sessions and CDRs; every other
platform gets plain OCPI. The sessions and cdrs apps call ``strip_extension_fields`` before rendering a
document for a receiver. It lives in ``parties`` (not in the errors app) so that every app may import it;
the errors app plugs in the one read the others need, the error records a Session or CDR names
(``register_error_record_reader``, from its ``AppConfig.ready``).

``credit_reference_id`` is a standard OCPI CDR field (2.2.1 and 2.3.0). The extension only adds a
consistency check on it (it must name the CDR a credit CDR corrects), so it is listed with the extension
fields but is never stripped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

MODULE = "chargex-errors"
EXTENSION_VERSION = "1.0"

# V2G energy fields and the error summary, added to Session and CDR.
SESSION_EXTENSION_FIELDS: tuple[str, ...] = ("energy_exported_kwh", "direction", "error_records")
# On CDRs additionally session_type and the hub's cost_breakdown (the tariff check, docs/modules/tariffs.md);
# credit_reference_id is standard OCPI (checked, not added).
CDR_EXTENSION_FIELDS: tuple[str, ...] = (
    *SESSION_EXTENSION_FIELDS,
    "session_type",
    "cost_breakdown",
    "credit_reference_id",
)
EXTENSION_FIELDS: tuple[str, ...] = CDR_EXTENSION_FIELDS
STANDARD_OCPI_FIELDS: frozenset[str] = frozenset({"credit_reference_id"})
STRIPPED_FIELDS: tuple[str, ...] = tuple(name for name in EXTENSION_FIELDS if name not in STANDARD_OCPI_FIELDS)

DIRECTIONS: tuple[str, ...] = ("IMPORT", "EXPORT", "BIDIRECTIONAL")

# The schemes of an error code (extension §4), here once: the error records' wire model and column, and the
# error summaries on Sessions and CDRs, all use it.
ErrorScheme = Literal["MREC", "DIN_DKE_99003", "OCPP16", "VENDOR"]
ERROR_SCHEMES: tuple[str, ...] = get_args(ErrorScheme)


def platform_opted_in(platform: Any) -> bool:
    """Whether the platform lists chargex-errors RECEIVER in its version details (uses prefetched endpoints)."""
    if platform is None:
        return False
    return platform.endpoint_url(MODULE, "RECEIVER") is not None


def strip_extension_fields(doc: dict[str, Any], platform: Any) -> dict[str, Any]:
    """``doc`` for ``platform``: unchanged if it opted in, else a copy without the extension fields."""
    if platform_opted_in(platform):
        return doc
    return {name: value for name, value in doc.items() if name not in STRIPPED_FIELDS}


# (country_code, party_id, upper-cased record ids) -> {id: {scheme, code, severity}} of the stored records
ErrorRecordReader = Callable[..., dict[str, dict[str, Any]]]
_error_record_reader: ErrorRecordReader | None = None


def register_error_record_reader(reader: ErrorRecordReader) -> None:
    """Called by the errors app: ``reader(country_code=, party_id=, keys=)`` reads its stored error records."""
    global _error_record_reader
    _error_record_reader = reader


def read_error_records(*, country_code: str, party_id: str, keys: set[str]) -> dict[str, dict[str, Any]] | None:
    """The CPO's stored error records among ``keys``; None when no reader is registered (errors app absent)."""
    if _error_record_reader is None:
        return None
    return _error_record_reader(country_code=country_code, party_id=party_id, keys=keys)
