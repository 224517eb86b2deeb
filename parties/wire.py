"""Wire models of the configuration modules: Versions, Credentials, HubClientInfo."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ocpi_hub.api.wire import URL, CiString, LastUpdated, String, WireModel
from ocpi_hub.api.wire_common import BusinessDetails221, BusinessDetails230

Role221 = Literal["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"]
Role230 = Literal["CPO", "EMSP", "NAP", "NSP", "OTHER", "SCSP"]
ConnectionStatus = Literal["CONNECTED", "OFFLINE", "PLANNED", "SUSPENDED"]


class Version(WireModel):
    version: String(10)
    url: URL


class Endpoint(WireModel):
    identifier: String(40)
    role: Literal["SENDER", "RECEIVER"]
    url: URL

    @field_validator("role", mode="before")
    @classmethod
    def _upper_role(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class VersionDetails(WireModel):
    version: String(10)
    endpoints: list[Endpoint] = Field(min_length=1)


class CredentialsRole221(WireModel):
    role: Role221
    business_details: BusinessDetails221
    party_id: CiString(3)
    country_code: CiString(2)


class CredentialsRole230(WireModel):
    role: Role230
    business_details: BusinessDetails230
    party_id: CiString(3)
    country_code: CiString(2)


def _token_chars(value: str) -> str:
    if not value or not all(0x21 <= ord(ch) <= 0x7E for ch in value):
        raise ValueError("must be printable ASCII without whitespace")
    return value


class Credentials221(WireModel):
    token: String(64)
    url: URL
    roles: list[CredentialsRole221] = Field(min_length=1)

    _check_token = field_validator("token")(_token_chars)


class Credentials230(WireModel):
    token: String(64)
    url: URL
    hub_party_id: CiString(5) | None = None
    roles: list[CredentialsRole230] = Field(min_length=1)

    _check_token = field_validator("token")(_token_chars)


CREDENTIALS = {"2.2.1": Credentials221, "2.3.0": Credentials230}


class ClientInfo221(WireModel):
    party_id: CiString(3)
    country_code: CiString(2)
    role: Role221
    status: ConnectionStatus
    last_updated: LastUpdated


class ClientInfo230(ClientInfo221):
    role: Role230


CLIENT_INFO = {"2.2.1": ClientInfo221, "2.3.0": ClientInfo230}
