"""The CDRs delivery renderer: the stored CDR as a POST to the receiver's cdrs endpoint, in the receiver's
version, from the owning CPO to the eMSP it is routed to (party-to-party via the hub, never a broadcast). The
chargex-errors extension fields go only to an eMSP that opted in (``render_cdr_for``)."""

from __future__ import annotations

from cdrs.selectors import cdr_get
from cdrs.services import MODULE
from cdrs.wire import render_cdr_for
from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery


def render_cdr_delivery(delivery: Delivery) -> outbound.Outbound | None:
    country_code, party_id, cdr_id = delivery.object_key.split("/", 2)
    cdr = cdr_get(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
    if cdr is None or cdr.receiver_id != delivery.receiver_id:
        return None
    receiver = delivery.receiver
    body = render_cdr_for(cdr.document, receiver.render_version, receiver)
    routing = Routing(
        sender=PartyRef(cdr.country_code, cdr.party_id),
        receiver=PartyRef(cdr.receiver_country_code, cdr.receiver_party_id),
    )
    return outbound.Outbound(method="POST", url=outbound.receiver_url(receiver, MODULE), body=body, routing=routing)


outbound.register_renderer(MODULE, render_cdr_delivery)
