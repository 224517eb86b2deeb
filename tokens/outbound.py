"""How a queued Token delivery becomes a PUT to a CPO: the hub's current Token, in the CPO's version.

Broadcast push: the URL keeps the owner's ``{cc}/{pid}``, the routing headers carry the hub (from) and the
CPO (to); a targeted push (docs/modules/tokens.md) goes from the eMSP to its one CPO. Tokens that the CPO's
version cannot express (EMAID for 2.2.1) are not sent at all.
"""

from __future__ import annotations

from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery, Platform
from tokens import wire
from tokens.models import Token
from tokens.selectors import CPO_ROLES, token_lookup
from tokens.services import MODULE


def _token(object_key: str) -> Token | None:
    country_code, party_id, uid, token_type = object_key.split("/", 3)
    return token_lookup(country_code=country_code, party_id=party_id, uid=uid, token_type=token_type)


def render_token_delivery(delivery: Delivery) -> outbound.Outbound | None:
    key = delivery.object_key
    token = outbound.shared((MODULE, key), lambda: _token(key))  # once per drain of several receivers
    if token is None or (token.target_id is not None and token.target_id != delivery.receiver_id):
        return None  # gone, or since targeted at another CPO
    receiver = delivery.receiver
    body = outbound.shared((MODULE, key, receiver.version), lambda: wire.render_token(token.document, receiver.version))
    if body is None:
        return None
    url = outbound.receiver_url(
        receiver, MODULE, token.country_code, token.party_id, token.uid, query={"type": token.type}
    )
    return outbound.Outbound(
        method="PUT",
        url=url,
        body=body,
        routing=_routing(token, receiver),
    )


def _routing(token: Token, receiver: Platform) -> Routing:
    """A targeted push is party to party via the hub (from = the eMSP, to = the CPO); otherwise a broadcast
    (from = the hub)."""
    if token.target_id is None:
        return outbound.broadcast_routing(receiver, roles=CPO_ROLES)
    owner = PartyRef(token.country_code, token.party_id)
    return Routing(sender=owner, receiver=PartyRef(token.target_country_code, token.target_party_id))


outbound.register_renderer(MODULE, render_token_delivery)
