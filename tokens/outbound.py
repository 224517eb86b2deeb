"""How a queued Token delivery becomes a PUT to a CPO: the hub's current Token, in the CPO's version.

Broadcast push: the URL keeps the owner's ``{cc}/{pid}``, the routing headers carry the hub (from) and the
CPO (to). Tokens that the CPO's version cannot express (EMAID for 2.2.1) are not sent at all.
"""

from __future__ import annotations

from parties import outbound
from parties.models import Delivery
from tokens import wire
from tokens.selectors import CPO_ROLES, token_lookup
from tokens.services import MODULE


def render_token_delivery(delivery: Delivery) -> outbound.Outbound | None:
    country_code, party_id, uid, token_type = delivery.object_key.split("/", 3)
    token = token_lookup(country_code=country_code, party_id=party_id, uid=uid, token_type=token_type)
    if token is None:
        return None
    receiver = delivery.receiver
    body = wire.render_token(token.document, receiver.version)
    if body is None:
        return None
    url = outbound.receiver_url(
        receiver, MODULE, token.country_code, token.party_id, token.uid, query={"type": token.type}
    )
    return outbound.Outbound(
        method="PUT",
        url=url,
        body=body,
        routing=outbound.broadcast_routing(receiver, roles=CPO_ROLES),
    )


outbound.register_renderer(MODULE, render_token_delivery)
