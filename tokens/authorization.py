"""Real-time authorization, routed live (never queued) from a CPO to the eMSP owning the Token.

Routing (the rules of ``parties.routing.resolve_receiver``, in two small indexed queries because this path
is latency-critical): ``OCPI-to-*`` naming an eMSP wins; without it (or when it names the hub) the owner of
the published Token (``token_owner``); else 4001. The eMSP must be connected (4003) and offer the tokens
SENDER interface (4000). The hop carries a new X-Request-ID, the caller's X-Correlation-ID and the routing
headers from=CPO to=eMSP; its read timeout is ``OCPI_HUB_AUTHORIZE_TIMEOUT`` (4002 when exceeded, 4003
when the eMSP cannot be reached or refuses the hub's credentials). The eMSP's answer (HTTP status,
status_code, status_message) is relayed as is, its AuthorizationInfo normalised (``parties.forwarding``:
a one-element list becomes its object, nulls are dropped, an invalid one is 4000) and, when the CPO and the
eMSP speak different versions, translated (validated in the eMSP's version, rendered in the CPO's).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Subquery

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.wire_common import model_for
from ocpi_hub.exceptions import HubError, InvalidParameters, UnknownReceiver
from parties import client, forwarding, policy
from parties.models import Endpoint, Platform, PlatformRole
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
class _Hop:
    """Where and how to forward: the eMSP's party, address and credentials, and the CPO's party."""

    forward: forwarding.Hop
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
) -> forwarding.Relayed:
    """Forward ``POST tokens/{uid}/authorize`` from a CPO to the owning eMSP and relay its answer."""
    require_cpo(platform)
    token_type = token_type_check(version=version, token_type=token_type or wire.DEFAULT_TYPE)
    if len(uid) > 36:
        raise InvalidParameters("token_uid: at most 36 characters")
    location = wire.parse_location_references(payload)
    hop = _hop(platform, routing, uid, token_type)
    reply = forwarding.forward(
        hop.forward,
        "POST",
        body=location,
        params={"type": token_type},
        correlation_id=correlation_id,
        timeout=authorize_timeout(),
    )
    return _relay(reply, hop, cpo_version=version)


_ROLE_COLUMNS = (
    "country_code",
    "party_id",
    "sender_url",
    "platform_id",
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
    emsp = Platform(  # the columns a forward needs, read with the role (no second query on this hot path)
        pk=role["platform_id"],
        status=role["platform__status"],
        token_out=role["platform__token_out"],
        token_base64=role["platform__token_base64"],
        version=role["platform__version"],
        strictness=role["platform__strictness"],
    )
    cpo_party = _cpo_party(platform, routing)
    policy.require_route(cpo_party, emsp_party, "authorize")
    forwarding.require_connected(emsp, f"Receiver {emsp_party}")
    if not role["sender_url"]:
        raise HubError(f"eMSP {emsp_party} offers no tokens SENDER interface for real-time authorization")
    url = join_url(role["sender_url"], uid, "authorize")
    return _Hop(
        forward=forwarding.Hop(cpo_party, emsp_party, emsp, url, f"eMSP {emsp_party}"),
        version=emsp.version,
        lenient=emsp.is_lenient,
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


def _relay(reply: client.Reply, hop: _Hop, *, cpo_version: str) -> forwarding.Relayed:
    """The eMSP's answer normalised against the AuthorizationInfo of its own version (a one-element list
    becomes its object, nulls are dropped, anything else invalid is 4000), translated when the versions
    differ."""
    model = model_for(wire.AUTHORIZATION_INFO_MODELS, hop.version)

    def translate(data: Any) -> Any:
        if hop.version == cpo_version:
            return data
        return wire.translate_authorization_info(data, source=hop.version, target=cpo_version, lenient=hop.lenient)

    return forwarding.relay(reply, hop.forward, model=model, translate=translate)
