"""The Sessions delivery renderer: the CURRENT stored Session as a PUT, in the receiver's version, from the
owning CPO to the eMSP it is routed to (party-to-party via the hub, notes §2.2 -- never a broadcast).

Nothing is sent when the Session is gone or has since been routed to another eMSP. The chargex-errors extension
fields go only to an eMSP that opted in (``render_session_for``).
"""

from __future__ import annotations

from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery
from sessions.selectors import session_get
from sessions.services import MODULE
from sessions.wire import render_session_for


def render_session_delivery(delivery: Delivery) -> outbound.Outbound | None:
    country_code, party_id, session_id = delivery.object_key.split("/", 2)
    session = session_get(country_code=country_code, party_id=party_id, session_id=session_id)
    if session is None or session.receiver_id != delivery.receiver_id:
        return None
    receiver = delivery.receiver
    body = render_session_for(session.document, receiver.render_version, receiver)
    url = outbound.receiver_url(receiver, MODULE, session.country_code, session.party_id, session.session_id)
    routing = Routing(
        sender=PartyRef(session.country_code, session.party_id),
        receiver=PartyRef(session.receiver_country_code, session.receiver_party_id),
    )
    return outbound.Outbound(method="PUT", url=url, body=body, routing=routing)


outbound.register_renderer(MODULE, render_session_delivery)
