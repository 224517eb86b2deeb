"""Real-time authorization, routed live (never queued) from a CPO to the eMSP owning the Token.

Routing (the rules of ``parties.routing.resolve_receiver``, in two small indexed queries because this path
is latency-critical): ``OCPI-to-*`` naming an eMSP wins; without it (or when it names the hub) the owner of
the published Token (``token_owner``); else 4001. The eMSP must be connected (4003) and offer the tokens
SENDER interface (4000). The hop carries a new X-Request-ID, the caller's X-Correlation-ID and the routing
headers from=CPO to=eMSP; its read timeout is ``OCPI_HUB_AUTHORIZE_TIMEOUT`` (4002 when exceeded, 4003
when the eMSP cannot be reached or refuses the hub's credentials). The eMSP's answer (HTTP status,
status_code, status_message, data) is relayed as is; only when the CPO and the eMSP speak different
versions is the AuthorizationInfo translated (validated in the eMSP's version, rendered in the CPO's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.exceptions import (
    ForwardTimeout,
    HubError,
    InvalidParameters,
    ReceiverNotConnected,
    UnknownReceiver,
)
from parties import client
from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole
from parties.outbound import join_url
from parties.routing import is_hub
from tokens import wire
from tokens.selectors import CPO_ROLES, EMSP_ROLES, require_cpo, token_owner
from tokens.services import MODULE, token_type_check

logger = logging.getLogger(__name__)


def authorize_timeout() -> float:
    """Read timeout of the forwarded request, in seconds (read per call: tests override it)."""
    return float(getattr(settings, "OCPI_HUB_AUTHORIZE_TIMEOUT", 5.0))


@dataclass(frozen=True)
class Relayed:
    """The eMSP's answer as it goes back to the CPO."""

    http_status: int
    status_code: int
    status_message: str | None
    data: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Hop:
    """Where and how to forward: the eMSP's party, address and credentials, and the CPO's party."""

    emsp_party: PartyRef
    cpo_party: PartyRef
    url: str
    token: str
    raw_token: bool
    version: str
    lenient: bool


def token_authorize(
    *,
    platform: Platform,
    version: str,
    uid: str,
    token_type: str | None,
    payload: Any,
    routing: RoutingHeaders,
    correlation_id: str,
) -> Relayed:
    """Forward ``POST tokens/{uid}/authorize`` from a CPO to the owning eMSP and relay its answer."""
    require_cpo(platform)
    token_type = token_type_check(version=version, token_type=token_type or wire.DEFAULT_TYPE)
    if len(uid) > 36:
        raise InvalidParameters("token_uid: at most 36 characters")
    location = wire.parse_location_references(payload)
    hop = _hop(platform, routing, uid, token_type)
    reply = _forward(hop, token_type, location, correlation_id)
    return _relay(reply, hop, cpo_version=version)


_ROLE_COLUMNS = (
    "country_code",
    "party_id",
    "sender_url",
    "platform__status",
    "platform__token_out",
    "platform__token_base64",
    "platform__version",
    "platform__strictness",
)


def _hop(platform: Platform, routing: RoutingHeaders, uid: str, token_type: str) -> _Hop:
    emsp_party = routing.receiver
    if emsp_party is None or is_hub(emsp_party):
        emsp_party = token_owner(uid, token_type)
        if emsp_party is None:
            raise UnknownReceiver(
                f"Token {uid} ({token_type}) has no known owner: set OCPI-to-country-code/OCPI-to-party-id "
                "to the eMSP that issued it"
            )
    role = _emsp_role(emsp_party)
    if role is None:
        raise UnknownReceiver(f"Unknown receiver {emsp_party}: no EMSP with these ids")
    emsp_party = PartyRef(role["country_code"], role["party_id"])
    if role["platform__status"] != ConnectionStatus.CONNECTED:
        raise ReceiverNotConnected(f"Receiver {emsp_party} is {role['platform__status'].lower()}")
    if not role["sender_url"]:
        raise HubError(f"eMSP {emsp_party} offers no tokens SENDER interface for real-time authorization")
    return _Hop(
        emsp_party=emsp_party,
        cpo_party=_cpo_party(platform, routing),
        url=join_url(role["sender_url"], uid, "authorize"),
        token=role["platform__token_out"],
        raw_token=not role["platform__token_base64"],
        version=role["platform__version"],
        lenient=role["platform__strictness"] == "lenient",
    )


def _emsp_role(party: PartyRef) -> dict[str, Any] | None:
    """The EMSP role, the few platform columns a forward needs and its tokens SENDER url, in one query."""
    sender = Endpoint.objects.filter(platform=OuterRef("platform"), identifier=MODULE, role="SENDER")
    return (
        PlatformRole.objects.filter(
            country_code=party.country_code.upper(), party_id=party.party_id.upper(), role__in=EMSP_ROLES
        )
        .annotate(sender_url=Subquery(sender.values("url")[:1]))
        .values(*_ROLE_COLUMNS)
        .order_by()
        .first()
    )


def _cpo_party(platform: Platform, routing: RoutingHeaders) -> PartyRef:
    """OCPI-from-* (already checked against the caller's roles), else the caller's first CPO role."""
    if routing.sender is not None:
        return routing.sender
    role = next(role for role in platform.roles.all() if role.role in CPO_ROLES)
    return PartyRef(role.country_code, role.party_id)


def _forward(hop: _Hop, token_type: str, location: Any, correlation_id: str) -> client.Reply:
    if not hop.token:
        raise ReceiverNotConnected(f"eMSP {hop.emsp_party} has no credentials with the hub")
    timeout = authorize_timeout()
    try:
        return client.call(
            "POST",
            hop.url,
            token=hop.token,
            raw_token=hop.raw_token,
            body=location,
            params={"type": token_type},
            correlation_id=correlation_id,
            routing=client.Routing(sender=hop.cpo_party, receiver=hop.emsp_party),
            read_timeout=timeout,
        )
    except client.TransportError as exc:
        logger.warning("Authorization forward to %s failed: %s", hop.emsp_party, exc)
        if exc.timeout:
            raise ForwardTimeout(f"eMSP {hop.emsp_party} did not answer within {timeout:g} s") from None
        raise ReceiverNotConnected(f"eMSP {hop.emsp_party} could not be reached") from None


def _relay(reply: client.Reply, hop: _Hop, *, cpo_version: str) -> Relayed:
    if reply.http_status in (401, 403):
        raise ReceiverNotConnected(f"eMSP {hop.emsp_party} refused the hub's credentials (HTTP {reply.http_status})")
    if reply.status_code is None:
        raise HubError(f"eMSP {hop.emsp_party} answered HTTP {reply.http_status} without an OCPI envelope")
    data = reply.data
    if data is not None and 1000 <= reply.status_code < 2000 and hop.version != cpo_version:
        data = _translate(data, hop, target=cpo_version)
    headers = {
        "OCPI-from-country-code": hop.emsp_party.country_code,
        "OCPI-from-party-id": hop.emsp_party.party_id,
        "OCPI-to-country-code": hop.cpo_party.country_code,
        "OCPI-to-party-id": hop.cpo_party.party_id,
    }
    return Relayed(reply.http_status, reply.status_code, reply.status_message or None, data, headers)


def _translate(data: Any, hop: _Hop, *, target: str) -> Any:
    try:
        return wire.translate_authorization_info(data, source=hop.version, target=target, lenient=hop.lenient)
    except InvalidParameters as exc:
        raise HubError(f"eMSP {hop.emsp_party} answered an invalid AuthorizationInfo: {exc.message}") from None
