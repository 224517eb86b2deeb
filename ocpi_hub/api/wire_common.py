"""Wire models of the OCPI classes shared by several modules (2.2.1 and 2.3.0), plus Price conversion.

Version differences handled here:
- 2.2.1 enums are closed (``Literal``); 2.3.0 OpenEnums accept any string (``OpenEnum``) and keep the known
  values as ``*_VALUES`` sets, which the down-conversion to 2.2.1 uses to filter unknown values out.
- Price: 2.2.1 ``{excl_vat, incl_vat?}``; 2.3.0 ``{before_taxes, taxes*}`` and, for tariff limits,
  ``PriceLimit {before_taxes, after_taxes?}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import StringConstraints, model_validator

from ocpi_hub.api.wire import URL, CiString, Int, ListOf, Number, String, WireModel

M = TypeVar("M", bound=WireModel)

V221 = "2.2.1"
V230 = "2.3.0"
SUPPORTED_VERSIONS = (V221, V230)
PRICE_DECIMALS = 4

# Open enums (2.3.0): any non-empty string (max 255) is accepted; known values are listed in *_VALUES sets.
OpenEnum = Annotated[str, StringConstraints(min_length=1, max_length=255)]

# --- enums --------------------------------------------------------------------------------------------------

ImageCategory = Literal["CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"]
EnergySourceCategory = Literal["NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"]
EnvironmentalImpactCategory = Literal["NUCLEAR_WASTE", "CARBON_DIOXIDE"]
TokenType221 = Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]

IMAGE_CATEGORY_VALUES: frozenset[str] = frozenset(get_args(ImageCategory))
ENERGY_SOURCE_CATEGORY_VALUES: frozenset[str] = frozenset(get_args(EnergySourceCategory))
ENVIRONMENTAL_IMPACT_CATEGORY_VALUES: frozenset[str] = frozenset(get_args(EnvironmentalImpactCategory))
TOKEN_TYPE_221_VALUES: frozenset[str] = frozenset(get_args(TokenType221))
TOKEN_TYPE_230_VALUES: frozenset[str] = TOKEN_TYPE_221_VALUES | {"EMAID"}

# --- latitude / longitude -----------------------------------------------------------------------------------

# The OCPI regexes, anchored; lengths one longer than the spec's so negative 7-decimal values fit.
Latitude = Annotated[str, StringConstraints(max_length=11, pattern=r"^-?[0-9]{1,2}\.[0-9]{5,7}$")]
Longitude = Annotated[str, StringConstraints(max_length=12, pattern=r"^-?[0-9]{1,3}\.[0-9]{5,7}$")]

# Local time of day ``HH:MM`` (00:00-23:59) and local date ``YYYY-MM-DD`` (opening hours, restrictions).
LocalTime = Annotated[str, StringConstraints(max_length=5, pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
LocalDate = Annotated[str, StringConstraints(max_length=10, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")]

# --- classes ------------------------------------------------------------------------------------------------


class DisplayText(WireModel):
    language: String(2)
    text: String(512)


class Image221(WireModel):
    url: URL
    thumbnail: URL | None = None
    category: ImageCategory
    type: CiString(4)
    width: Int(ge=0, le=99999) | None = None
    height: Int(ge=0, le=99999) | None = None


class Image230(Image221):
    category: OpenEnum  # type: ignore[assignment]


class BusinessDetails221(WireModel):
    name: String(100)
    website: URL | None = None
    logo: Image221 | None = None


class BusinessDetails230(BusinessDetails221):
    logo: Image230 | None = None


class GeoLocation(WireModel):
    latitude: Latitude
    longitude: Longitude


class AdditionalGeoLocation(GeoLocation):
    name: DisplayText | None = None


class EnergySource(WireModel):
    source: EnergySourceCategory
    percentage: Number(ge=0, le=100)


class EnvironmentalImpact221(WireModel):
    category: EnvironmentalImpactCategory
    amount: Number(ge=0)


class EnvironmentalImpact230(EnvironmentalImpact221):
    category: OpenEnum  # type: ignore[assignment]


class EnergyMix221(WireModel):
    is_green_energy: bool
    energy_sources: ListOf(EnergySource) = []
    environ_impact: ListOf(EnvironmentalImpact221) = []
    supplier_name: String(64) | None = None
    energy_product_name: String(64) | None = None


class EnergyMix230(EnergyMix221):
    environ_impact: ListOf(EnvironmentalImpact230) = []


class Price221(WireModel):
    excl_vat: Number()
    incl_vat: Number() | None = None


class TaxAmount(WireModel):
    name: String(255)
    account_number: String(255) | None = None
    percentage: Number() | None = None
    amount: Number()


class Price230(WireModel):
    before_taxes: Number()
    taxes: ListOf(TaxAmount) = []


class PriceLimit230(WireModel):
    before_taxes: Number()
    after_taxes: Number() | None = None


class PublishTokenType221(WireModel):
    """Who may see a non-published Location; at least one of uid, visual_number or group_id is set."""

    uid: CiString(36) | None = None
    type: TokenType221 | None = None
    visual_number: String(64) | None = None
    issuer: String(64) | None = None
    group_id: CiString(36) | None = None

    @model_validator(mode="after")
    def _identifies_a_token(self) -> PublishTokenType221:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("at least one of uid, visual_number or group_id is required")
        return self


class PublishTokenType230(PublishTokenType221):
    type: OpenEnum | None = None  # type: ignore[assignment]


# --- version helpers ----------------------------------------------------------------------------------------


def model_for(models: dict[str, type[M]], version: str) -> type[M]:
    """The model class of ``version`` in a ``{version: model}`` map; ValueError for other versions."""
    try:
        return models[version]
    except KeyError:
        raise ValueError(f"unsupported OCPI version {version!r}; expected one of {SUPPORTED_VERSIONS}") from None


def known_values(values: list[str] | None, allowed: frozenset[str]) -> list[str]:
    """The values of an enum list that exist in ``allowed`` (down-conversion of OpenEnum lists)."""
    return [value for value in values or [] if value in allowed]


def image_to_221(image: dict[str, Any]) -> dict[str, Any]:
    """A 2.3.0 Image for 2.2.1: an unknown category becomes ``OTHER``."""
    if image.get("category") in IMAGE_CATEGORY_VALUES:
        return image
    return {**image, "category": "OTHER"}


def images_to_221(images: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [image_to_221(image) for image in images or []]


def business_details_to_221(details: dict[str, Any] | None) -> dict[str, Any] | None:
    if not details or not details.get("logo"):
        return details
    return {**details, "logo": image_to_221(details["logo"])}


def energy_mix_to_221(mix: dict[str, Any] | None) -> dict[str, Any] | None:
    """A 2.3.0 EnergyMix for 2.2.1: impacts of unknown categories are left out."""
    if not mix:
        return mix
    impacts = mix.get("environ_impact") or []
    known = [item for item in impacts if item.get("category") in ENVIRONMENTAL_IMPACT_CATEGORY_VALUES]
    return {**mix, "environ_impact": known}


# --- price conversion ---------------------------------------------------------------------------------------


def round_price(value: float) -> float:
    return round(float(value), PRICE_DECIMALS)


def price_221_to_230(price: dict[str, Any]) -> dict[str, Any]:
    """2.2.1 Price -> 2.3.0 Price: the VAT difference becomes one ``VAT`` TaxAmount."""
    converted: dict[str, Any] = {"before_taxes": round_price(price["excl_vat"])}
    if price.get("incl_vat") is not None:
        amount = round_price(price["incl_vat"] - price["excl_vat"])
        converted["taxes"] = [{"name": "VAT", "amount": amount}]
    return converted


def price_230_to_221(price: dict[str, Any]) -> dict[str, Any]:
    """2.3.0 Price -> 2.2.1 Price: ``incl_vat`` is the sum of all taxes on top (omitted without taxes)."""
    converted: dict[str, Any] = {"excl_vat": round_price(price["before_taxes"])}
    taxes = price.get("taxes") or []
    if taxes:
        total = sum(float(tax["amount"]) for tax in taxes)
        converted["incl_vat"] = round_price(price["before_taxes"] + total)
    return converted


def price_limit_from_221(price: dict[str, Any]) -> dict[str, Any]:
    """2.2.1 Price (tariff min/max) -> 2.3.0 PriceLimit."""
    limit: dict[str, Any] = {"before_taxes": price["excl_vat"]}
    if price.get("incl_vat") is not None:
        limit["after_taxes"] = price["incl_vat"]
    return limit


def price_limit_to_221(limit: dict[str, Any]) -> dict[str, Any]:
    """2.3.0 PriceLimit -> 2.2.1 Price (tariff min/max)."""
    price: dict[str, Any] = {"excl_vat": limit["before_taxes"]}
    if limit.get("after_taxes") is not None:
        price["incl_vat"] = limit["after_taxes"]
    return price
