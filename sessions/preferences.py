"""Charging Preferences: an eMSP's PUT forwarded live to the CPO that owns the Session, its answer relayed.

The eMSP addresses ``{hub sender sessions}/{session_id}/charging_preferences``; the hub finds the Session
among those routed to that eMSP (narrowed by OCPI-to-* when given), calls the owning CPO's sessions SENDER
endpoint ``/{session_id}/charging_preferences`` and returns the CPO's envelope. Failures answered by the hub:
unknown Session -> 4001 (no receiver can be determined), CPO not connected or unreachable -> 4003, no answer
within ``OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT`` (default: the authorization timeout) -> 4002, CPO without a
sessions SENDER endpoint or with an answer that is not an OCPI envelope -> 4000. The hop and the relaying are
``parties.forwarding``'s: the ChargingPreferencesResponse is normalised (a one-element list becomes its value)
or refused with 4000 when it is not one of the enum's values.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.exceptions import HubError, UnknownReceiver
from parties import forwarding
from parties.models import Platform
from parties.outbound import join_url
from parties.routing import is_hub
from sessions.selectors import session_for_receiver
from sessions.wire import ChargingPreferencesResponse, parse_charging_preferences


def _timeout() -> float:
    return float(getattr(settings, "OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT", settings.OCPI_HUB_AUTHORIZE_TIMEOUT))


def charging_preferences_put(
    *, platform: Platform, session_id: str, body: Any, routing: RoutingHeaders, correlation_id: str = ""
) -> forwarding.Relayed:
    """Forward the preferences to the CPO owning the Session; the CPO's answer, normalised for relaying."""
    preferences = parse_charging_preferences(body, lenient=platform.is_lenient)
    owner = routing.receiver if routing.receiver is not None and not is_hub(routing.receiver) else None
    session = session_for_receiver(platform=platform, session_id=session_id, owner=owner)
    if session is None:
        raise UnknownReceiver(f"Unknown session {session_id}: no Session with this id was routed to you")
    cpo_party = PartyRef(session.country_code, session.party_id)
    what = f"CPO {cpo_party}"
    forwarding.require_connected(session.owner, what)
    base = session.owner.endpoint_url("sessions", "SENDER")
    if base is None:
        raise HubError(f"{what} offers no sessions SENDER interface")
    requester = routing.sender or PartyRef(session.receiver_country_code, session.receiver_party_id)
    url = join_url(base, session.session_id, "charging_preferences")
    hop = forwarding.Hop(requester, cpo_party, session.owner, url, what)
    reply = forwarding.forward(hop, "PUT", body=preferences, correlation_id=correlation_id, timeout=_timeout())
    return forwarding.relay(reply, hop, model=ChargingPreferencesResponse)
