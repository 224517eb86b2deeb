"""Commands on the wire: the command objects, CommandResponse and CommandResult per version.

2.2.1 and 2.3.0 differ only in the Token inside StartSession/ReserveNow (2.3.0 TokenType is an OpenEnum with
``EMAID``) and in CommandType (an OpenEnum in 2.3.0). A Token whose type 2.2.1 does not know goes to a 2.2.1
CPO as ``OTHER`` (as in AuthorizationInfo): the command needs its Token, and the uid/contract_id still
identify the driver. CommandResponseType and CommandResultType are closed enums in both versions.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import RootModel

from ocpi_hub.api.wire import URL, CiString, DateTime, ListOf, WireModel, parse_object, render
from ocpi_hub.api.wire_common import TOKEN_TYPE_221_VALUES, V221, V230, DisplayText, model_for
from tokens.wire import Token221, Token230

Doc = dict[str, Any]

START_SESSION = "START_SESSION"
STOP_SESSION = "STOP_SESSION"
RESERVE_NOW = "RESERVE_NOW"
CANCEL_RESERVATION = "CANCEL_RESERVATION"
UNLOCK_CONNECTOR = "UNLOCK_CONNECTOR"
COMMANDS = (START_SESSION, STOP_SESSION, RESERVE_NOW, CANCEL_RESERVATION, UNLOCK_CONNECTOR)
AT_LOCATION = (START_SESSION, RESERVE_NOW, UNLOCK_CONNECTOR)  # routed by the owner of location_id

CommandResponseType = Literal["NOT_SUPPORTED", "REJECTED", "ACCEPTED", "UNKNOWN_SESSION"]
CommandResultType = Literal[
    "ACCEPTED",
    "CANCELED_RESERVATION",
    "EVSE_OCCUPIED",
    "EVSE_INOPERATIVE",
    "FAILED",
    "NOT_SUPPORTED",
    "REJECTED",
    "TIMEOUT",
    "UNKNOWN_RESERVATION",
]


class StartSession221(WireModel):
    response_url: URL
    token: Token221
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    connector_id: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class StartSession230(StartSession221):
    token: Token230  # type: ignore[assignment]


class StopSession(WireModel):
    response_url: URL
    session_id: CiString(36)


class ReserveNow221(WireModel):
    response_url: URL
    token: Token221
    expiry_date: DateTime
    reservation_id: CiString(36)
    location_id: CiString(36)
    evse_uid: CiString(36) | None = None
    authorization_reference: CiString(36) | None = None


class ReserveNow230(ReserveNow221):
    token: Token230  # type: ignore[assignment]


class CancelReservation(WireModel):
    response_url: URL
    reservation_id: CiString(36)


class UnlockConnector(WireModel):
    response_url: URL
    location_id: CiString(36)
    evse_uid: CiString(36)
    connector_id: CiString(36)


class CommandResponse(WireModel):
    result: CommandResponseType
    timeout: int
    message: ListOf(DisplayText) = []


class CommandResult(WireModel):
    result: CommandResultType
    message: ListOf(DisplayText) = []


class AnyCommand221(RootModel[StartSession221 | StopSession | ReserveNow221 | CancelReservation | UnlockConnector]):
    """The command object of the CommandType in the URL (OpenAPI only: the hub validates by CommandType)."""


class AnyCommand230(RootModel[StartSession230 | StopSession | ReserveNow230 | CancelReservation | UnlockConnector]):
    """The command object of the CommandType in the URL (OpenAPI only: the hub validates by CommandType)."""


COMMAND_MODELS: dict[str, dict[str, type[WireModel]]] = {
    START_SESSION: {V221: StartSession221, V230: StartSession230},
    STOP_SESSION: {V221: StopSession, V230: StopSession},
    RESERVE_NOW: {V221: ReserveNow221, V230: ReserveNow230},
    CANCEL_RESERVATION: {V221: CancelReservation, V230: CancelReservation},
    UNLOCK_CONNECTOR: {V221: UnlockConnector, V230: UnlockConnector},
}


ANY_COMMAND_MODELS: dict[str, type[RootModel[Any]]] = {V221: AnyCommand221, V230: AnyCommand230}


def parse_command(command: str, version: str, data: Any, *, lenient: bool = False) -> Doc:
    """The command object of ``version`` (2001 when invalid), in its canonical (2.3.0-shaped) form."""
    return parse_object(model_for(COMMAND_MODELS[command], version), data, lenient=lenient)


def render_command(command: str, doc: Doc, version: str) -> Doc:
    """A canonical command object as the CPO of ``version`` gets it (validated by that version's model)."""
    if version == V221 and "token" in doc and doc["token"]["type"] not in TOKEN_TYPE_221_VALUES:
        doc = {**doc, "token": {**doc["token"], "type": "OTHER"}}
    return render(model_for(COMMAND_MODELS[command], version).model_validate(doc))


def render_result(doc: Doc) -> Doc:
    """A stored CommandResult as it goes to the eMSP (the same in both versions)."""
    return render(CommandResult.model_validate(doc))
