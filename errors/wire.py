"""ErrorRecord on the wire (chargex-errors extension 1.0), in OCPI 2.2.1 and 2.3.0.

The object is the same in both versions; two classes exist so that the OpenAPI schema of each version
has its own component and a future difference has a place to go. Shape and types are checked here;
the rules that need the database (location, EVSE, cause, session, MREC catalog, cleared_at after
occurred_at) are in ``errors.checks``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from ocpi_hub.api.wire import CiString, DateTime, LastUpdated, String, WireModel, format_validation_error, render
from ocpi_hub.api.wire_common import V221, V230, model_for
from ocpi_hub.exceptions import InvalidParameters
from parties.extension import ErrorScheme

Doc = dict[str, Any]

SchemeType = ErrorScheme
SourceType = Literal["EVSE", "EV", "GRID", "NETWORK", "USER"]
Severity = Annotated[int, Field(ge=0, le=9, strict=True)]


class ErrorRecord221(WireModel):
    id: CiString(36)
    country_code: CiString(2)
    party_id: CiString(3)
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36) | None = None
    session_id: CiString(36) | None = None
    cdr_id: CiString(39) | None = None
    scheme: SchemeType
    code: CiString(50)
    vendor_id: String(255) | None = None
    vendor_code: String(50) | None = None
    source: SourceType
    severity: Severity
    component: String(50) | None = None
    variable: String(50) | None = None
    cause_id: CiString(36) | None = None
    occurred_at: DateTime
    cleared_at: DateTime | None = None
    description: String(512) | None = None
    last_updated: LastUpdated


class ErrorRecord230(ErrorRecord221):
    """Identical to 2.2.1 (a 2.3.0 *class*: unknown fields are ignored, as in every wire model)."""


ERROR_RECORD_MODELS: dict[str, type[ErrorRecord221]] = {V221: ErrorRecord221, V230: ErrorRecord230}
MREC_CODE = re.compile(r"CX[0-9]{3}", re.IGNORECASE)
PATCHABLE_FIELDS = frozenset({"cleared_at", "last_updated", "description"})
IDENTITY_FIELDS = ("id", "country_code", "party_id")


def parse_error_record(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate an ErrorRecord of ``version``; return the canonical document. 2001 naming the field."""
    if not isinstance(data, dict):
        raise InvalidParameters("body: must be a JSON object")
    model = model_for(ERROR_RECORD_MODELS, version)
    try:
        parsed = model.model_validate(data, context={"lenient_datetimes": lenient})
    except ValidationError as exc:
        raise InvalidParameters(format_validation_error(exc)) from None
    doc = render(parsed)
    if doc["scheme"] == "MREC" and MREC_CODE.fullmatch(doc["code"]):
        doc["code"] = doc["code"].upper()  # CiString: cx003 is CX003
    return doc


def render_error_record(doc: Doc, version: str) -> Doc:
    """The stored document as an ErrorRecord of ``version`` (validated: strict in what we send)."""
    return render(model_for(ERROR_RECORD_MODELS, version).model_validate(doc))
