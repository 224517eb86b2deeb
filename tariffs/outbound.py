"""The Tariffs delivery renderer: the CURRENT stored Tariff as a PUT in the receiver's version, or a DELETE
(no body) when the owner deleted it. Registered with the delivery engine when the app is ready."""

from __future__ import annotations

from parties import outbound
from parties.models import Delivery
from tariffs.models import Tariff
from tariffs.services import BROADCAST_ROLES, MODULE
from tariffs.wire import render_tariff


def render_tariff_delivery(delivery: Delivery) -> outbound.Outbound | None:
    country_code, party_id, tariff_id = delivery.object_key.split("/", 2)
    tariff = Tariff.objects.filter(country_code=country_code, party_id=party_id, tariff_key=tariff_id.upper()).first()
    if tariff is None:
        return None
    receiver = delivery.receiver
    url = outbound.receiver_url(receiver, MODULE, tariff.country_code, tariff.party_id, tariff.tariff_id)
    routing = outbound.broadcast_routing(receiver, roles=BROADCAST_ROLES)
    if tariff.is_deleted:
        return outbound.Outbound(method="DELETE", url=url, routing=routing)
    body = render_tariff(tariff.document, receiver.version or "2.2.1")
    return outbound.Outbound(method="PUT", url=url, body=body, routing=routing)


outbound.register_renderer(MODULE, render_tariff_delivery)
