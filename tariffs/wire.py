"""Tariffs on the wire: typed models per version, parsing into the canonical document, rendering per version.

The canonical document is the 2.3.0-shaped Tariff dict. From 2.2.1: ``tax_included`` is ``"NO"`` (2.2.1
prices exclude VAT) and ``min_price``/``max_price`` become PriceLimit ``{before_taxes: excl_vat,
after_taxes: incl_vat}``. To 2.2.1: prices of a ``tax_included == "YES"`` tariff are made exclusive with each
component's ``vat`` (``price / (1 + vat / 100)``, 4 decimals; without ``vat`` the price is kept), PriceLimit
becomes Price, and elements describing booking costs (a 2.3.0 Bookings restriction that 2.2.1 cannot
express) are left out.
"""

from __future__ import annotations

from typing import Any, Literal

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
from ocpi_hub.api.wire_common import (
    V221,
    V230,
    DisplayText,
    EnergyMix221,
    EnergyMix230,
    LocalDate,
    LocalTime,
    Price221,
    PriceLimit230,
    energy_mix_to_221,
    model_for,
    price_limit_from_221,
    price_limit_to_221,
    round_price,
)

Doc = dict[str, Any]

TariffType = Literal["AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"]
TariffDimensionType = Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
ReservationRestrictionType = Literal["RESERVATION", "RESERVATION_EXPIRES"]
BookingRestrictionType = Literal["BOOKING", "BOOKING_EXPIRES", "BOOKING_CANCELLATION_FEES", "BOOKING_OVERTIME"]
TaxIncluded = Literal["YES", "NO", "N/A"]


class PriceComponent(WireModel):
    type: TariffDimensionType
    price: Number()
    vat: Number(ge=0, le=100) | None = None
    step_size: Int(ge=0)


class TariffRestrictions221(WireModel):
    start_time: LocalTime | None = None
    end_time: LocalTime | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Number(ge=0) | None = None
    max_kwh: Number(ge=0) | None = None
    min_current: Number(ge=0) | None = None
    max_current: Number(ge=0) | None = None
    min_power: Number(ge=0) | None = None
    max_power: Number(ge=0) | None = None
    min_duration: Int(ge=0) | None = None
    max_duration: Int(ge=0) | None = None
    day_of_week: ListOf(DayOfWeek) = []
    reservation: ReservationRestrictionType | None = None


class TariffRestrictions230(TariffRestrictions221):
    booking: BookingRestrictionType | None = None


class TariffElement221(WireModel):
    price_components: ListOfAtLeastOne(PriceComponent, limit="OCPI_HUB_MAX_TARIFF_ELEMENTS")
    restrictions: TariffRestrictions221 | None = None


class TariffElement230(TariffElement221):
    restrictions: TariffRestrictions230 | None = None  # type: ignore[assignment]


class Tariff221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    currency: String(3)
    type: TariffType | None = None
    tariff_alt_text: ListOf(DisplayText) = []
    tariff_alt_url: URL | None = None
    min_price: Price221 | None = None
    max_price: Price221 | None = None
    elements: ListOfAtLeastOne(TariffElement221, limit="OCPI_HUB_MAX_TARIFF_ELEMENTS")
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix221 | None = None
    last_updated: LastUpdated


class Tariff230(Tariff221):
    min_price: PriceLimit230 | None = None  # type: ignore[assignment]
    max_price: PriceLimit230 | None = None  # type: ignore[assignment]
    preauthorize_amount: Number() | None = None
    elements: ListOfAtLeastOne(TariffElement230, limit="OCPI_HUB_MAX_TARIFF_ELEMENTS")  # type: ignore[assignment]
    tax_included: TaxIncluded
    energy_mix: EnergyMix230 | None = None  # type: ignore[assignment]


TARIFF_MODELS: dict[str, type[WireModel]] = {V221: Tariff221, V230: Tariff230}

# --- version conversion -------------------------------------------------------------------------------------


def _convert_limits(tariff: Doc, convert: Any) -> Doc:
    converted = dict(tariff)
    for key in ("min_price", "max_price"):
        if tariff.get(key) is not None:
            converted[key] = convert(tariff[key])
    return converted


def tariff_from_221(tariff: Doc) -> Doc:
    """A (validated) 2.2.1 Tariff dict as canonical 2.3.0 document."""
    return {**_convert_limits(tariff, price_limit_from_221), "tax_included": "NO"}


def _price_excluding_vat(component: Doc) -> Doc:
    vat = component.get("vat")
    if vat is None:
        return component
    return {**component, "price": round_price(component["price"] / (1 + vat / 100))}


def _element_to_221(element: Doc, tax_included: bool) -> Doc:
    if not tax_included:
        return element
    components = [_price_excluding_vat(component) for component in element["price_components"]]
    return {**element, "price_components": components}


def _is_booking_element(element: Doc) -> bool:
    return bool((element.get("restrictions") or {}).get("booking"))


def tariff_to_221(tariff: Doc) -> Doc:
    """A canonical Tariff document as 2.2.1 Tariff dict (before validation)."""
    tax_included = tariff.get("tax_included") == "YES"
    elements = [
        _element_to_221(element, tax_included)
        for element in tariff.get("elements") or []
        if not _is_booking_element(element)
    ]
    converted = _convert_limits(tariff, price_limit_to_221)
    return {**converted, "elements": elements, "energy_mix": energy_mix_to_221(tariff.get("energy_mix"))}


# --- public API ---------------------------------------------------------------------------------------------


def parse_tariff(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a Tariff of ``version``; return the canonical (2.3.0-shaped) document."""
    model = model_for(TARIFF_MODELS, version)
    doc = render(model.model_validate(data, context={"lenient_datetimes": lenient}))
    return keep_unknown(tariff_from_221(doc) if version == V221 else doc, data, version, model)


def render_tariff(doc: Doc, version: str) -> Doc:
    """The canonical Tariff as a wire dict of ``version``."""
    model = model_for(TARIFF_MODELS, version)
    return add_unknown(
        render(model.model_validate(tariff_to_221(doc) if version == V221 else doc)), doc, version, model
    )


__all__ = [
    "TARIFF_MODELS",
    "V221",
    "V230",
    "PriceComponent",
    "Tariff221",
    "Tariff230",
    "TariffElement221",
    "TariffElement230",
    "TariffRestrictions221",
    "TariffRestrictions230",
    "parse_tariff",
    "render_tariff",
    "tariff_from_221",
    "tariff_to_221",
]
