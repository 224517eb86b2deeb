"""Commands, routed live from an eMSP to a CPO; the CPO's asynchronous CommandResult routed back.

``command_send``: validate the command in the caller's version, check its Token is the caller's, resolve the
CPO (OCPI-to-* unless it names the hub; else the owner of ``location_id``, the routed Session for STOP_SESSION,
the stored reservation for CANCEL_RESERVATION; 4001 "set OCPI-to" when unknown), store a relay, replace the
``response_url`` with the hub's own (holding the relay's unguessable key), forward in the CPO's version and
relay the CommandResponse (``parties.forwarding``).

``command_result``: a CommandResult POSTed to that URL by the CPO platform of the relay, before it expires,
is stored and queued for the eMSP's original ``response_url`` through the delivery engine (module
``commandresult``). Anyone else, an unknown key or an expired relay: 404. The hub never invents a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commands import wire
from commands.models import CommandRelay, CommandResultRecord
from locations.selectors import location_owners
from ocpi_hub.api import versions
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.wire import parse_object, render
from ocpi_hub.exceptions import HubError, InvalidParameters, NotFound, OcpiError, UnknownReceiver
from ocpi_hub.push import CPO_ROLES, EMSP_ROLES
from parties import forwarding, policy
from parties.models import Platform
from parties.outbound import join_url
from parties.routing import is_hub, resolve_receiver
from parties.services.delivery import delivery_enqueue
from parties.tenancy import require_own_party
from sessions.selectors import session_for_receiver

MODULE = "commands"
RESULT_MODULE = "commandresult"
SET_OCPI_TO = "set OCPI-to-country-code/OCPI-to-party-id to the CPO"


@dataclass(frozen=True)
class CommandRequest:
    platform: Platform
    version: str
    command: str
    payload: Any
    routing: RoutingHeaders
    correlation_id: str = ""


def command_timeout() -> float:
    return float(settings.OCPI_HUB_COMMAND_TIMEOUT)


def result_url(relay: CommandRelay) -> str:
    """The response_url the CPO gets: the hub's commands SENDER interface, the command and the relay's key."""
    return f"{versions.version_details_url(relay.cpo_version)}/sender/commands/{relay.command}/{relay.key}"


def command_send(request: CommandRequest) -> forwarding.Relayed:
    """Forward one command to its CPO and relay the CommandResponse in the caller's version."""
    command = request.command.upper()
    if command not in wire.COMMANDS:
        return _unknown_command(request)
    doc = wire.parse_command(command, request.version, request.payload, lenient=request.platform.is_lenient)
    requester = _requester(request, doc)
    cpo, cpo_party = _cpo_for(command, doc, request)
    policy.require_route(cpo_party, requester, MODULE)
    what = f"CPO {cpo_party}"
    forwarding.require_connected(cpo, what)
    base = cpo.endpoint_url(MODULE, "RECEIVER")
    if base is None:
        raise HubError(f"{what} offers no commands RECEIVER interface")
    relay = _store(request, command, doc, requester, cpo, cpo_party)
    hop = forwarding.Hop(requester, cpo_party, cpo, join_url(base, command), what)
    started = timezone.now()
    try:
        reply = forwarding.forward(
            hop, "POST", body=relay.forwarded, correlation_id=request.correlation_id, timeout=command_timeout()
        )
        relayed = forwarding.relay(reply, hop, model=wire.CommandResponse, translate=_for(relay))
    except OcpiError as exc:
        _answered(relay, started, outcome=f"HUB_{exc.ocpi_status}", error=exc.message)
        raise
    _answered(relay, started, relayed=relayed)
    return relayed


def _unknown_command(request: CommandRequest) -> forwarding.Relayed:
    """2.3.0 CommandType is an OpenEnum: an unknown one is answered NOT_SUPPORTED by the hub (it can neither
    validate nor route a command it does not know). In 2.2.1 the enum is closed: 2001."""
    if request.version == wire.V221:
        raise InvalidParameters(f"command: {request.command} is not a CommandType")
    message = [{"language": "en", "text": f"The hub does not route {request.command[:100]} commands"}]
    return forwarding.Relayed(200, 1000, None, {"result": "NOT_SUPPORTED", "timeout": 0, "message": message})


def _requester(request: CommandRequest, doc: dict[str, Any]) -> PartyRef:
    """The eMSP sending the command: its Token must be one of the caller's EMSP roles (2001 otherwise)."""
    token = doc.get("token")
    if token is not None:
        try:
            country, party = require_own_party(
                request.platform, token["country_code"], token["party_id"], roles=EMSP_ROLES
            )
        except InvalidParameters as exc:
            raise InvalidParameters(f"token.{exc.message}") from None
        return request.routing.sender or PartyRef(country, party)
    if request.routing.sender is not None:
        return request.routing.sender
    role = next((role for role in request.platform.roles.all() if role.role in EMSP_ROLES), None)
    if role is None:
        raise InvalidParameters("Commands are sent by eMSPs: you have no EMSP role")
    return PartyRef(role.country_code, role.party_id)


def _cpo_for(command: str, doc: dict[str, Any], request: CommandRequest) -> tuple[Platform, PartyRef]:
    routing = request.routing
    if routing.receiver is not None and not is_hub(routing.receiver):
        return resolve_receiver(routing=routing, candidates=[], roles=CPO_ROLES)
    return resolve_receiver(routing=None, candidates=[_cpo_party(command, doc, request.platform)], roles=CPO_ROLES)


def _cpo_party(command: str, doc: dict[str, Any], emsp: Platform) -> PartyRef:
    if command in wire.AT_LOCATION:
        owners = location_owners(doc["location_id"])
        if len(owners) == 1:
            return owners[0]
        problem = "is used by several CPOs" if owners else "is unknown to the hub"
        raise UnknownReceiver(f"Location {doc['location_id']} {problem}: {SET_OCPI_TO}")
    if command == wire.STOP_SESSION:
        session = session_for_receiver(platform=emsp, session_id=doc["session_id"], owner=None)
        if session is None:
            raise UnknownReceiver(f"Session {doc['session_id']} was not routed to you through the hub: {SET_OCPI_TO}")
        return PartyRef(session.country_code, session.party_id)
    reservation = (
        CommandRelay.objects.filter(emsp=emsp, command=wire.RESERVE_NOW, reservation_key=doc["reservation_id"].upper())
        .order_by("-created_at")
        .first()
    )
    if reservation is None:
        raise UnknownReceiver(f"Reservation {doc['reservation_id']} is unknown to the hub: {SET_OCPI_TO}")
    return PartyRef(reservation.cpo_country_code, reservation.cpo_party_id)


def _store(
    request: CommandRequest, command: str, doc: dict[str, Any], requester: PartyRef, cpo: Platform, party: PartyRef
) -> CommandRelay:
    relay = CommandRelay(
        command=command,
        emsp=request.platform,
        emsp_country_code=requester.country_code,
        emsp_party_id=requester.party_id,
        emsp_version=request.version,
        cpo=cpo,
        cpo_country_code=party.country_code,
        cpo_party_id=party.party_id,
        cpo_version=cpo.version or wire.V221,
        response_url=doc["response_url"],
        location_key=str(doc.get("location_id", "")).upper(),
        session_key=str(doc.get("session_id", "")).upper(),
        reservation_key=str(doc.get("reservation_id", "")).upper(),
        correlation_id=request.correlation_id[:100],
        request=doc,
        expires_at=timezone.now(),  # closed until the CPO accepts
    )
    relay.forwarded = wire.render_command(command, {**doc, "response_url": result_url(relay)}, relay.cpo_version)
    relay.save()
    return relay


def _for(relay: CommandRelay) -> Any:
    """The CommandResponse translation: across versions only the fields of the eMSP's version go on."""
    if relay.cpo_version == relay.emsp_version:
        return None
    return lambda data: render(wire.CommandResponse.model_validate(data))


def _answered(
    relay: CommandRelay,
    started: datetime,
    *,
    relayed: forwarding.Relayed | None = None,
    outcome: str = "",
    error: str = "",
) -> None:
    now = timezone.now()
    relay.answered_at = now
    relay.answer_ms = int((now - started).total_seconds() * 1000)
    relay.answer_error = error[:500]
    relay.outcome = outcome
    if relayed is not None:
        relay.answer_http_status = relayed.http_status
        relay.answer_status_code = relayed.status_code
        relay.answer = relayed.data
        answer = relayed.data if isinstance(relayed.data, dict) else {}
        relay.outcome = str(answer.get("result") or f"OCPI_{relayed.status_code}")
        relay.timeout = answer.get("timeout")
        if relayed.status_code == 1000 and relay.outcome == "ACCEPTED":
            relay.expires_at = _expiry(relay, now)
    relay.save()


def _expiry(relay: CommandRelay, now: datetime) -> datetime:
    """Until when results are taken: the CPO's timeout plus a grace period; a reservation until it expires."""
    grace = timedelta(seconds=settings.OCPI_HUB_COMMAND_RESULT_GRACE)
    expires = now + timedelta(seconds=max(relay.timeout or 0, 0)) + grace
    if relay.command == wire.RESERVE_NOW:
        expires = max(expires, datetime.fromisoformat(relay.request["expiry_date"]) + grace)
    return expires


def command_result(*, platform: Platform, version: str, command: str, key: str, payload: Any) -> None:
    """Store a CommandResult of the CPO and queue it for the eMSP (404 unless the relay is the caller's)."""
    relay = (
        CommandRelay.objects.filter(key=key, cpo=platform, command=command.upper(), expires_at__gt=timezone.now())
        .select_related("emsp")
        .first()
    )
    if relay is None:
        raise NotFound("Unknown or expired command response_url")
    doc = parse_object(wire.CommandResult, payload)
    with transaction.atomic():
        record = CommandResultRecord.objects.create(relay=relay, result=doc["result"], document=doc)
        CommandRelay.objects.filter(pk=relay.pk).update(outcome=doc["result"])
        delivery_enqueue(
            receiver=relay.emsp,
            module=RESULT_MODULE,
            object_key=f"{relay.key}/{record.pk}",
            correlation_id=relay.correlation_id,
        )
