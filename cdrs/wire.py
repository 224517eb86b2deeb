"""CDRs on the wire: typed models per version, parsing into the canonical document, rendering per version.

The canonical document is the 2.3.0-shaped CDR dict. Between the versions:
- every ``total_*`` Price changes shape (``wire_common.price_221_to_230`` / ``price_230_to_221``);
- embedded Tariffs follow ``tariffs.wire`` (2.2.1 tariffs get ``tax_included: "NO"``);
- ``booking_id`` exists only in 2.3.0 (dropped for 2.2.1 receivers by the 2.2.1 model);
- token types and dimension types 2.2.1 does not know are mapped (``ocpi_hub.api.wire_charging``).

Liberal exceptions, deliberately:
- a 2.3.0 embedded Tariff without ``tax_included`` (the official 2.3.0 ``cdr_example.json`` has one) is
  accepted as ``"NO"`` -- what a 2.2.1-style tariff means; the quality report records a warning;
- ``CdrLocation.connector_standard`` is any string in both versions (the 2.2.1 OpenAPI marks ConnectorType
  open-enum; the field is required, so a 2.3.0-only standard is passed to 2.2.1 receivers unchanged).

The chargex-errors extension fields (``CdrExtension``: the Session ones plus ``session_type``) are handled as
for Sessions (``sessions.wire``): validated by their own model, kept in the canonical document, stripped in
``render_cdr_for`` for receivers that did not opt in. ``credit_reference_id`` is standard OCPI and always sent.
``cost_breakdown`` (the hub's own tariff check, added after parsing) is rendered and stripped the same way.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from locations.wire.enums import ConnectorFormat, PowerType
from ocpi_hub.api.unknown import add_unknown, keep_unknown
from ocpi_hub.api.wire import (
    URL,
    CiString,
    DateTime,
    Int,
    LastUpdated,
    ListOf,
    ListOfAtLeastOne,
    Number,
    String,
    WireModel,
    render,
)
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
    GeoLocation,
    OpenEnum,
    Price221,
    Price230,
    model_for,
    price_221_to_230,
    price_230_to_221,
)
from parties.extension import strip_extension_fields
from sessions.wire import SessionExtension, parse_extension
from tariffs.wire import Tariff221, Tariff230, TaxIncluded, tariff_from_221, tariff_to_221

Doc = dict[str, Any]
BREAKDOWN_FIELD = "cost_breakdown"  # the hub's tariff check (cdrs.pricing), an extension field, never parsed

PRICE_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_reservation_cost",
)
ASSUMED_TAX_INCLUDED: TaxIncluded = "NO"

# What kind of session a CDR records (extension, closed set; docs/modules/cdrs.md). Every type but CHARGING
# explains a CDR without energy; those that say no energy flowed are sessions.quality.NO_ENERGY_SESSION_TYPES.
SessionType = Literal["CHARGING", "AUTHORIZATION_ONLY", "RESERVATION_ONLY", "PARKING_ONLY", "FAILED"]


class CdrLocation(WireModel):
    id: CiString(36)
    name: String(255) | None = None
    address: String(45)
    city: String(45)
    postal_code: String(10) | None = None
    state: String(20) | None = None
    country: String(3)
    coordinates: GeoLocation
    evse_uid: CiString(36)
    evse_id: CiString(48)
    connector_id: CiString(36)
    connector_standard: OpenEnum
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class SignedValue(WireModel):
    nature: CiString(32)
    plain_data: String(512)
    signed_data: String(5000)


class SignedData(WireModel):
    encoding_method: CiString(36)
    encoding_method_version: Int() | None = None
    public_key: String(512) | None = None
    signed_values: Annotated[list[SignedValue], Field(min_length=1)]
    url: URL | None = None


class CdrTariff230(Tariff230):
    tax_included: TaxIncluded = ASSUMED_TAX_INCLUDED


class Cdr221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(39)
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString(36) | None = None
    cdr_token: CdrToken221
    auth_method: AuthMethod
    authorization_reference: CiString(36) | None = None
    cdr_location: CdrLocation
    meter_id: String(255) | None = None
    currency: String(3)
    tariffs: ListOf(Tariff221) = []
    charging_periods: ListOfAtLeastOne(ChargingPeriod, limit="OCPI_HUB_MAX_CHARGING_PERIODS")
    signed_data: SignedData | None = None
    total_cost: Price221
    total_fixed_cost: Price221 | None = None
    total_energy: Number()
    total_energy_cost: Price221 | None = None
    total_time: Number()
    total_time_cost: Price221 | None = None
    total_parking_time: Number() | None = None
    total_parking_cost: Price221 | None = None
    total_reservation_cost: Price221 | None = None
    remark: String(255) | None = None
    invoice_reference_id: CiString(39) | None = None
    credit: bool | None = None
    credit_reference_id: CiString(39) | None = None
    home_charging_compensation: bool | None = None
    last_updated: LastUpdated


class Cdr230(Cdr221):
    booking_id: CiString(36) | None = None
    cdr_token: CdrToken230  # type: ignore[assignment]
    tariffs: ListOf(CdrTariff230) = []  # type: ignore[valid-type]
    total_cost: Price230  # type: ignore[assignment]
    total_fixed_cost: Price230 | None = None  # type: ignore[assignment]
    total_energy_cost: Price230 | None = None  # type: ignore[assignment]
    total_time_cost: Price230 | None = None  # type: ignore[assignment]
    total_parking_cost: Price230 | None = None  # type: ignore[assignment]
    total_reservation_cost: Price230 | None = None  # type: ignore[assignment]


class CdrExtension(SessionExtension):
    """The chargex-errors extension fields of a CDR (the same in 2.2.1 and 2.3.0; all optional)."""

    session_type: SessionType | None = None


CDR_MODELS: dict[str, type[WireModel]] = {V221: Cdr221, V230: Cdr230}


def cdr_from_221(cdr: Doc) -> Doc:
    """A validated 2.2.1 CDR dict as canonical (2.3.0-shaped) document."""
    converted = prices_for(cdr, PRICE_FIELDS, price_221_to_230)
    converted["tariffs"] = [tariff_from_221(tariff) for tariff in cdr.get("tariffs") or []]
    return converted


def cdr_to_221(cdr: Doc) -> Doc:
    """A canonical CDR as 2.2.1 CDR dict (before validation)."""
    converted = prices_for(cdr, PRICE_FIELDS, price_230_to_221)
    converted["tariffs"] = [tariff_to_221(tariff) for tariff in cdr.get("tariffs") or []]
    converted["cdr_token"] = cdr_token_for(cdr["cdr_token"], V221)
    converted["charging_periods"] = charging_periods_for(cdr.get("charging_periods"), V221)
    return converted


def parse_cdr(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a CDR of ``version``; return the canonical document (extension fields included)."""
    model = model_for(CDR_MODELS, version)
    doc = render(model.model_validate(data, context={"lenient_datetimes": lenient}))
    doc = cdr_from_221(doc) if version == V221 else doc
    return keep_unknown({**doc, **parse_extension(CdrExtension, data)}, data, version, model, CdrExtension)


def render_cdr(doc: Doc, version: str) -> Doc:
    """The canonical CDR as a wire dict of ``version``, with its extension fields (not for receivers: use
    ``render_cdr_for``)."""
    model = model_for(CDR_MODELS, version)
    if version == V221:
        rendered = render(model.model_validate(cdr_to_221(doc)))
    else:
        converted = {**doc, "charging_periods": charging_periods_for(doc.get("charging_periods"), V230)}
        rendered = render(model.model_validate(converted))
    breakdown = {BREAKDOWN_FIELD: doc[BREAKDOWN_FIELD]} if doc.get(BREAKDOWN_FIELD) else {}
    return add_unknown({**rendered, **parse_extension(CdrExtension, doc), **breakdown}, doc, version, model)


def render_cdr_for(doc: Doc, version: str, platform: Any) -> Doc:
    """The CDR as ``platform`` gets it (push and GETs alike): in ``version``, with the extension fields only
    if the platform opted in to chargex-errors -- plain OCPI for everyone else."""
    return strip_extension_fields(render_cdr(doc, version), platform)
