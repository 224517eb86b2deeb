"""Tokens on the wire: typed models per version, parsing into the canonical document, rendering per version.

The canonical document is the 2.3.0-shaped Token dict. 2.2.1 and 2.3.0 Tokens differ only in TokenType: 2.3.0
makes it an OpenEnum and adds ``EMAID``. A Token whose type 2.2.1 does not know cannot be rendered for 2.2.1
(``render_token`` returns None: such tokens are never sent to 2.2.1 platforms). In an AuthorizationInfo
the Token is required, so there an unknown type becomes ``OTHER`` for 2.2.1.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StringConstraints, ValidationError

from ocpi_hub.api.unknown import add_unknown, keep_unknown
from ocpi_hub.api.wire import (
    CiString,
    LastUpdated,
    ListOf,
    String,
    WireModel,
    format_validation_error,
    render,
)
from ocpi_hub.api.wire_common import (
    TOKEN_TYPE_221_VALUES,
    V221,
    V230,
    DisplayText,
    TokenType221,
    model_for,
)
from ocpi_hub.exceptions import InvalidParameters

Doc = dict[str, Any]

DEFAULT_TYPE = "RFID"
# OpenEnum (2.3.0). The hub caps custom values at 100 characters (they are part of delivery keys).
TokenType230 = Annotated[str, StringConstraints(min_length=1, max_length=100)]
WhitelistType = Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"]
AllowedType = Literal["ALLOWED", "BLOCKED", "EXPIRED", "NO_CREDIT", "NOT_ALLOWED"]
ProfileType = Literal["CHEAP", "FAST", "GREEN", "REGULAR"]


class EnergyContract(WireModel):
    supplier_name: String(64)
    contract_id: String(64) | None = None


class LocationReferences(WireModel):
    location_id: CiString(36)
    evse_uids: ListOf(CiString(36)) = []


class Token221(WireModel):
    country_code: CiString(2)
    party_id: CiString(3)
    uid: CiString(36)
    type: TokenType221
    contract_id: CiString(36)
    visual_number: String(64) | None = None
    issuer: String(64)
    group_id: CiString(36) | None = None
    valid: bool
    whitelist: WhitelistType
    language: String(2) | None = None
    default_profile_type: ProfileType | None = None
    energy_contract: EnergyContract | None = None
    last_updated: LastUpdated


class Token230(Token221):
    type: TokenType230  # type: ignore[assignment]


class AuthorizationInfo221(WireModel):
    allowed: AllowedType
    token: Token221
    location: LocationReferences | None = None
    authorization_reference: CiString(36) | None = None
    info: DisplayText | None = None


class AuthorizationInfo230(AuthorizationInfo221):
    token: Token230  # type: ignore[assignment]


TOKEN_MODELS: dict[str, type[WireModel]] = {V221: Token221, V230: Token230}
AUTHORIZATION_INFO_MODELS: dict[str, type[WireModel]] = {V221: AuthorizationInfo221, V230: AuthorizationInfo230}


def _validate(model: type[WireModel], data: Any, *, lenient: bool, prefix: str = "") -> WireModel:
    """The model instance, or 2001 naming each wrong field (``prefix`` + path)."""
    if not isinstance(data, dict):
        raise InvalidParameters(f"{prefix or 'body'}: must be a JSON object")
    try:
        return model.model_validate(data, context={"lenient_datetimes": lenient})
    except ValidationError as exc:
        raise InvalidParameters(prefix + format_validation_error(exc)) from None


def type_known_in(version: str, token_type: str) -> bool:
    return version != V221 or token_type in TOKEN_TYPE_221_VALUES


def parse_token(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a Token of ``version``; return the canonical (2.3.0-shaped) document."""
    model = model_for(TOKEN_MODELS, version)
    return keep_unknown(render(_validate(model, data, lenient=lenient)), data, version, model)


def render_token(doc: Doc, version: str) -> Doc | None:
    """The canonical Token as a wire dict of ``version``; None when ``version`` does not know its type."""
    if not type_known_in(version, doc["type"]):
        return None
    model = model_for(TOKEN_MODELS, version)
    return add_unknown(render(model.model_validate(doc)), doc, version, model)


def parse_location_references(data: Any) -> Doc | None:
    """The optional LocationReferences body of an authorization request (None when absent)."""
    if data is None or data == {}:
        return None
    return render(_validate(LocationReferences, data, lenient=False))


def translate_authorization_info(data: Any, *, source: str, target: str, lenient: bool = False) -> Doc:
    """An AuthorizationInfo answered in ``source`` as a wire dict of ``target`` (2001 when invalid)."""
    info = render(_validate(model_for(AUTHORIZATION_INFO_MODELS, source), data, lenient=lenient))
    if not type_known_in(target, info["token"]["type"]):
        info["token"]["type"] = "OTHER"
    return render(model_for(AUTHORIZATION_INFO_MODELS, target).model_validate(info))
