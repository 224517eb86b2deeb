"""Sessions on the wire: typed models per version, parsing into the canonical document, rendering per version.

The canonical document is the 2.3.0-shaped Session dict: only ``total_cost`` differs between the versions
(2.2.1 Price ``{excl_vat, incl_vat?}`` <-> 2.3.0 Price ``{before_taxes, taxes*}``, see ``wire_common``).
Rendering to 2.2.1 also maps token types and charging-period dimensions 2.2.1 does not know
(see ``ocpi_hub.api.wire_charging``).

The chargex-errors extension fields (``SessionExtension``: ``energy_exported_kwh``, ``direction``,
``error_records``; docs/extension-chargex-errors.md §6) are accepted in both versions, validated by their own
model and stored in the canonical document next to the OCPI fields; the OCPI models stay plain OCPI.
``render_session`` returns them too (the PATCH merge needs them); what leaves the hub goes through
``render_session_for``, the one place where they are stripped for receivers that did not opt in.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, RootModel

from ocpi_hub.api.unknown import add_unknown, keep_unknown
from ocpi_hub.api.wire import MAX_NUMBER, CiString, DateTime, LastUpdated, ListOf, Number, String, WireModel, render
from ocpi_hub.api.wire_charging import (
    AuthMethod,
    CdrToken221,
    CdrToken230,
    ChargingPeriod,
    cdr_token_for,
    charging_periods_for,
    prices_for,
)
from ocpi_hub.api.wire_common import (
    V221,
    V230,
    Price221,
    Price230,
    model_for,
    price_221_to_230,
    price_230_to_221,
)
from parties.extension import ErrorScheme, strip_extension_fields

Doc = dict[str, Any]

SessionStatus = Literal["ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]
ChargingPreferencesResponseValue = Literal[
    "ACCEPTED", "DEPARTURE_REQUIRED", "ENERGY_NEED_REQUIRED", "NOT_POSSIBLE", "PROFILE_TYPE_NOT_SUPPORTED"
]
PRICE_FIELDS = ("total_cost",)

EnergyDirection = Literal["IMPORT", "EXPORT", "BIDIRECTIONAL"]
Kwh = Annotated[float, Field(ge=0, le=MAX_NUMBER)]  # a finite JSON number (strict model config)
Severity = Annotated[int, Field(ge=0, le=9, strict=True)]


class Session221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number(ge=0)
    cdr_token: CdrToken221
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)
    meter_id: String(255) | None = None
    currency: String(3)
    charging_periods: ListOf(ChargingPeriod, limit="OCPI_HUB_MAX_CHARGING_PERIODS") = []
    total_cost: Price221 | None = None
    status: SessionStatus
    last_updated: LastUpdated


class Session230(Session221):
    cdr_token: CdrToken230  # type: ignore[assignment]
    total_cost: Price230 | None = None  # type: ignore[assignment]


class ErrorRecordSummary(WireModel):
    """An ErrorRecord of the same CPO named by a Session or CDR (extension): id, scheme?, code and severity."""

    id: CiString(36)
    scheme: ErrorScheme | None = None
    code: CiString(50)
    severity: Severity


class SessionExtension(WireModel):
    """The chargex-errors extension fields of a Session (the same in 2.2.1 and 2.3.0; all optional)."""

    energy_exported_kwh: Kwh | None = None
    direction: EnergyDirection | None = None
    error_records: ListOf(ErrorRecordSummary) = []


class ChargingPreferences(WireModel):
    """The same in 2.2.1 and 2.3.0."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number(ge=0) | None = None
    discharge_allowed: bool | None = None


class ChargingPreferencesResponse(RootModel[ChargingPreferencesResponseValue]):
    """The CPO's answer to a PUT of Charging Preferences (an enum value; relayed by the hub as it comes)."""


SESSION_MODELS: dict[str, type[WireModel]] = {V221: Session221, V230: Session230}


def session_from_221(session: Doc) -> Doc:
    """A validated 2.2.1 Session dict as canonical (2.3.0-shaped) document."""
    return prices_for(session, PRICE_FIELDS, price_221_to_230)


def session_to_221(session: Doc) -> Doc:
    """A canonical Session as 2.2.1 Session dict (before validation)."""
    converted = prices_for(session, PRICE_FIELDS, price_230_to_221)
    converted["cdr_token"] = cdr_token_for(session["cdr_token"], V221)
    converted["charging_periods"] = charging_periods_for(session.get("charging_periods"), V221)
    return converted


def parse_extension(model: type[WireModel], data: Any) -> Doc:
    """The extension fields of a body, validated by ``model`` (absent ones left out)."""
    return render(model.model_validate(data))


def parse_session(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a Session of ``version``; return the canonical document (extension fields included)."""
    model = model_for(SESSION_MODELS, version)
    doc = render(model.model_validate(data, context={"lenient_datetimes": lenient}))
    doc = session_from_221(doc) if version == V221 else doc
    return keep_unknown({**doc, **parse_extension(SessionExtension, data)}, data, version, model, SessionExtension)


def render_session(doc: Doc, version: str) -> Doc:
    """The canonical Session as a wire dict of ``version``, with its extension fields (not for receivers:
    use ``render_session_for``)."""
    model = model_for(SESSION_MODELS, version)
    if version == V221:
        rendered = render(model.model_validate(session_to_221(doc)))
    else:
        converted = {**doc, "charging_periods": charging_periods_for(doc.get("charging_periods"), V230)}
        rendered = render(model.model_validate(converted))
    return add_unknown({**rendered, **parse_extension(SessionExtension, doc)}, doc, version, model)


def render_session_for(doc: Doc, version: str, platform: Any) -> Doc:
    """The Session as ``platform`` gets it (pushes and GETs alike): in ``version``, with the extension fields
    only if the platform opted in to chargex-errors -- plain OCPI for everyone else."""
    return strip_extension_fields(render_session(doc, version), platform)


def parse_charging_preferences(data: Any, *, lenient: bool = False) -> Doc:
    return render(ChargingPreferences.model_validate(data, context={"lenient_datetimes": lenient}))
