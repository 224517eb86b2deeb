"""Charging Preferences: an eMSP's PUT forwarded live to the CPO that owns the Session, its answer relayed.

The eMSP addresses ``{hub sender sessions}/{session_id}/charging_preferences``; the hub finds the Session
among those routed to that eMSP (narrowed by OCPI-to-* when given), calls the owning CPO's sessions SENDER
endpoint ``/{session_id}/charging_preferences`` and returns the CPO's envelope. Failures answered by the hub:
unknown Session -> 4001 (no receiver can be determined), CPO not connected or unreachable -> 4003, no answer
within ``OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT`` (default: the authorization timeout) -> 4002, CPO without a
sessions SENDER endpoint or with an answer that is not an OCPI envelope -> 4000.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.exceptions import ForwardTimeout, HubError, ReceiverNotConnected, UnknownReceiver
from parties import client
from parties.models import ConnectionStatus, Platform
from parties.outbound import join_url
from parties.routing import is_hub
from sessions.selectors import session_for_receiver
from sessions.wire import parse_charging_preferences


def _timeout() -> float:
    return float(getattr(settings, "OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT", settings.OCPI_HUB_AUTHORIZE_TIMEOUT))


def charging_preferences_put(
    *, platform: Platform, session_id: str, body: Any, routing: RoutingHeaders, correlation_id: str = ""
) -> client.Reply:
    """Forward the preferences to the CPO owning the Session; the CPO's reply (an OCPI envelope)."""
    preferences = parse_charging_preferences(body, lenient=platform.strictness == "lenient")
    owner = routing.receiver if routing.receiver is not None and not is_hub(routing.receiver) else None
    session = session_for_receiver(platform=platform, session_id=session_id, owner=owner)
    if session is None:
        raise UnknownReceiver(f"Unknown session {session_id}: no Session with this id was routed to you")
    cpo = session.owner
    if cpo.status != ConnectionStatus.CONNECTED or not cpo.token_out:
        raise ReceiverNotConnected(f"CPO {session.country_code}/{session.party_id} is {cpo.status.lower()}")
    base = cpo.endpoint_url("sessions", "SENDER")
    if base is None:
        raise HubError(f"CPO {session.country_code}/{session.party_id} offers no sessions SENDER interface")
    requester = routing.sender or PartyRef(session.receiver_country_code, session.receiver_party_id)
    try:
        reply = client.call(
            "PUT",
            join_url(base, session.session_id, "charging_preferences"),
            token=cpo.token_out,
            raw_token=not cpo.token_base64,
            body=preferences,
            correlation_id=correlation_id,
            routing=client.Routing(sender=requester, receiver=PartyRef(session.country_code, session.party_id)),
            read_timeout=_timeout(),
        )
    except client.TransportError as exc:
        if exc.timeout:
            raise ForwardTimeout(f"CPO {session.country_code}/{session.party_id} did not answer in time") from exc
        raise ReceiverNotConnected(f"CPO {session.country_code}/{session.party_id} is unreachable: {exc}") from exc
    if reply.status_code is None:
        raise HubError(f"CPO answered HTTP {reply.http_status} without an OCPI envelope")
    return reply
