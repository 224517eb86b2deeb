"""ChargingProfiles on the wire: the same objects in 2.2.1 and 2.3.0 (the official schemas do not differ)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel

from ocpi_hub.api.wire import URL, DateTime, ListOf, WireModel

ChargingRateUnit = Literal["W", "A"]
ChargingProfileResponseType = Literal["ACCEPTED", "NOT_SUPPORTED", "REJECTED", "TOO_OFTEN", "UNKNOWN_SESSION"]
ChargingProfileResultType = Literal["ACCEPTED", "REJECTED", "UNKNOWN"]


class ChargingProfilePeriod(WireModel):
    start_period: Annotated[int, Field(ge=0)]
    limit: float


class ChargingProfile(WireModel):
    start_date_time: DateTime | None = None
    duration: int | None = None
    charging_rate_unit: ChargingRateUnit
    min_charging_rate: float | None = None
    charging_profile_period: ListOf(ChargingProfilePeriod) = []


class SetChargingProfile(WireModel):
    charging_profile: ChargingProfile
    response_url: URL


class ChargingProfileResponse(WireModel):
    result: ChargingProfileResponseType
    timeout: int


class ActiveChargingProfile(WireModel):
    start_date_time: DateTime
    charging_profile: ChargingProfile


class ActiveChargingProfileResult(WireModel):
    result: ChargingProfileResultType
    profile: ActiveChargingProfile | None = None


class ChargingProfileResult(WireModel):
    result: ChargingProfileResultType


class ClearProfileResult(WireModel):
    result: ChargingProfileResultType


class AnyProfileResult(RootModel[ActiveChargingProfileResult | ChargingProfileResult | ClearProfileResult]):
    """What the CPO POSTs to a response_url: the result type of the request it answers (GET, PUT, DELETE)."""


# The result the CPO POSTs to the response_url, per method of the request it answers.
RESULT_MODELS: dict[str, type[BaseModel]] = {
    "GET": ActiveChargingProfileResult,
    "PUT": ChargingProfileResult,
    "DELETE": ClearProfileResult,
}
