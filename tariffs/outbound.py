"""The Tariffs delivery renderer: the CURRENT stored Tariff as a PUT in the receiver's version, or a DELETE
(no body) when the owner deleted it. Registered with the delivery engine when the app is ready."""

from __future__ import annotations

from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery
from tariffs.models import Tariff
from tariffs.services import BROADCAST_ROLES, MODULE
from tariffs.wire import render_tariff


def _tariff(object_key: str) -> Tariff | None:
    country_code, party_id, tariff_id = object_key.split("/", 2)
    return Tariff.objects.filter(country_code=country_code, party_id=party_id, tariff_key=tariff_id.upper()).first()


def render_tariff_delivery(delivery: Delivery) -> outbound.Outbound | None:
    key = delivery.object_key
    tariff = outbound.shared((MODULE, key), lambda: _tariff(key))  # once per drain of several receivers
    if tariff is None or (tariff.target_id is not None and tariff.target_id != delivery.receiver_id):
        return None  # gone, or since pushed to another receiver only
    receiver = delivery.receiver
    url = outbound.receiver_url(receiver, MODULE, tariff.country_code, tariff.party_id, tariff.tariff_id)
    routing = outbound.broadcast_routing(receiver, roles=BROADCAST_ROLES)
    if tariff.target_id is not None:  # targeted push: party to party via the hub
        owner, target = (tariff.country_code, tariff.party_id), (tariff.target_country_code, tariff.target_party_id)
        routing = Routing(sender=PartyRef(*owner), receiver=PartyRef(*target))
    if tariff.is_deleted:
        return outbound.Outbound(method="DELETE", url=url, routing=routing)
    version = receiver.render_version
    body = outbound.shared((MODULE, key, version), lambda: render_tariff(tariff.document, version))
    return outbound.Outbound(method="PUT", url=url, body=body, routing=routing)


outbound.register_renderer(MODULE, render_tariff_delivery)
