"""Typed wire models of the Locations module: ``*221`` for OCPI 2.2.1, ``*230`` for OCPI 2.3.0.

The 2.3.0 classes extend the 2.2.1 ones: they open the OpenEnums (any string) and add the 2.3.0-only fields
(Location.parking_places/help_phone, EVSE.parking/accepted_service_providers, Connector.capabilities).
Max lengths follow the errata where these relaxed them (Location.address 255, Location.state 45).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from locations.wire.enums import (
    Capability,
    ConnectorFormat,
    ConnectorType221,
    EVSEPosition,
    Facility,
    ParkingDirection,
    ParkingRestriction221,
    ParkingType,
    PowerType,
    Status,
)
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
)
from ocpi_hub.api.wire_common import (
    AdditionalGeoLocation,
    BusinessDetails221,
    BusinessDetails230,
    DisplayText,
    EnergyMix221,
    EnergyMix230,
    GeoLocation,
    Image221,
    Image230,
    LocalTime,
    OpenEnum,
    PublishTokenType221,
    PublishTokenType230,
)

# Upper bounds of a Connector's ratings, far above any real charger (MCS: 1,250 V, 3,000 A, 3.75 MW).
MAX_VOLTAGE = 100_000
MAX_AMPERAGE = 100_000
MAX_POWER = 1_000_000_000  # W

# --- classes shared by both versions ------------------------------------------------------------------------


class RegularHours(WireModel):
    weekday: Annotated[int, Field(ge=1, le=7)]
    period_begin: LocalTime
    period_end: LocalTime


class ExceptionalPeriod(WireModel):
    period_begin: DateTime
    period_end: DateTime


class Hours(WireModel):
    twentyfourseven: bool
    regular_hours: ListOf(RegularHours) = []
    exceptional_openings: ListOf(ExceptionalPeriod) = []
    exceptional_closings: ListOf(ExceptionalPeriod) = []


class StatusSchedule(WireModel):
    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


# --- OCPI 2.2.1 ---------------------------------------------------------------------------------------------


class Connector221(WireModel):
    id: CiString(36)
    standard: ConnectorType221
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Int(ge=0, le=MAX_VOLTAGE)
    max_amperage: Int(ge=0, le=MAX_AMPERAGE)
    max_electric_power: Int(ge=0, le=MAX_POWER) | None = None
    tariff_ids: ListOf(CiString(36)) = []
    terms_and_conditions: URL | None = None
    last_updated: LastUpdated


class Evse221(WireModel):
    uid: CiString(36)
    evse_id: CiString(48) | None = None
    status: Status
    status_schedule: ListOf(StatusSchedule) = []
    capabilities: ListOf(Capability) = []
    connectors: ListOfAtLeastOne(Connector221, limit="OCPI_HUB_MAX_CONNECTORS")
    floor_level: String(4) | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String(16) | None = None
    directions: ListOf(DisplayText) = []
    parking_restrictions: ListOf(ParkingRestriction221) = []
    images: ListOf(Image221) = []
    last_updated: LastUpdated


class Location221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    id: CiString(36)
    publish: bool
    publish_allowed_to: ListOf(PublishTokenType221) = []
    name: String(255) | None = None
    address: String(255)
    city: String(45)
    postal_code: String(10) | None = None
    state: String(45) | None = None
    country: String(3)
    coordinates: GeoLocation
    related_locations: ListOf(AdditionalGeoLocation) = []
    parking_type: ParkingType | None = None
    evses: ListOf(Evse221, limit="OCPI_HUB_MAX_EVSES") = []
    directions: ListOf(DisplayText) = []
    operator: BusinessDetails221 | None = None
    suboperator: BusinessDetails221 | None = None
    owner: BusinessDetails221 | None = None
    facilities: ListOf(Facility) = []
    time_zone: String(255)
    opening_times: Hours | None = None
    charging_when_closed: bool | None = None
    images: ListOf(Image221) = []
    energy_mix: EnergyMix221 | None = None
    last_updated: LastUpdated


# --- OCPI 2.3.0 ---------------------------------------------------------------------------------------------


class Parking230(WireModel):
    id: CiString(36)
    physical_reference: String(12) | None = None
    vehicle_types: Annotated[list[OpenEnum], Field(min_length=1)]
    max_vehicle_weight: Number(ge=0) | None = None
    max_vehicle_height: Number(ge=0) | None = None
    max_vehicle_length: Number(ge=0) | None = None
    max_vehicle_width: Number(ge=0) | None = None
    parking_space_length: Number(ge=0) | None = None
    parking_space_width: Number(ge=0) | None = None
    dangerous_goods_allowed: bool | None = None
    direction: ParkingDirection | None = None
    drive_through: bool | None = None
    restricted_to_type: bool
    reservation_required: bool
    time_limit: Number(ge=0) | None = None
    roofed: bool | None = None
    images: ListOf(Image230) = []
    lighting: bool | None = None
    refrigeration_outlet: bool | None = None
    standards: ListOf(CiString(36)) = []
    apds_reference: CiString(255) | None = None


class EVSEParking230(WireModel):
    parking_id: CiString(36)
    evse_position: EVSEPosition | None = None


class Connector230(Connector221):
    standard: OpenEnum  # type: ignore[assignment]
    capabilities: ListOf(OpenEnum) = []


class Evse230(Evse221):
    capabilities: ListOf(OpenEnum) = []
    connectors: ListOfAtLeastOne(Connector230, limit="OCPI_HUB_MAX_CONNECTORS")  # type: ignore[assignment]
    parking_restrictions: ListOf(OpenEnum) = []
    parking: ListOf(EVSEParking230) = []
    images: ListOf(Image230) = []
    accepted_service_providers: ListOf(String(50)) = []


class Location230(Location221):
    publish_allowed_to: ListOf(PublishTokenType230) = []
    parking_type: OpenEnum | None = None  # type: ignore[assignment]
    evses: ListOf(Evse230, limit="OCPI_HUB_MAX_EVSES") = []
    parking_places: ListOf(Parking230) = []
    operator: BusinessDetails230 | None = None  # type: ignore[assignment]
    suboperator: BusinessDetails230 | None = None  # type: ignore[assignment]
    owner: BusinessDetails230 | None = None  # type: ignore[assignment]
    facilities: ListOf(OpenEnum) = []
    images: ListOf(Image230) = []
    energy_mix: EnergyMix230 | None = None  # type: ignore[assignment]
    help_phone: CiString(25) | None = None
