"""The Locations delivery renderer: the CURRENT stored state of a Location, EVSE or Connector as a PUT in
the receiver's version. Registered with the delivery engine when the app is ready.

Deliveries carry ``object_key = "{cc}/{pid}/{location_id}"`` and ``target`` = "" (Location),
"{evse_uid}" or "{evse_uid}/{connector_id}"; when the target no longer exists in the document its parent is
pushed. Nothing is sent for an object the receiver's version cannot express (an EVSE or
Connector with only 2.3.0 connector standards, for a 2.2.1 receiver).
"""

from __future__ import annotations

from locations.documents import LocationRef, find_connector, find_evse, render_part
from locations.models import Location
from locations.rows.location import location_find
from locations.services import BROADCAST_ROLES, MODULE
from locations.wire import render_evse
from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery


def _location(object_key: str) -> Location | None:
    country_code, party_id, location_id = object_key.split("/", 2)
    return location_find(LocationRef(country_code, party_id, location_id))


def _segments(document: dict, target: str, version: str) -> list[str]:
    """Ids below the Location as spelled in the document ([] = the whole Location). A Connector of an EVSE
    that the receiver's version sees only in part is pushed as the whole EVSE: the receiver may not know
    the EVSE yet (its other connectors were left out before)."""
    if not target:
        return []
    evse_uid, _, connector_id = target.partition("/")
    evse = find_evse(document, evse_uid)
    if evse is None:
        return []
    connector = find_connector(evse, connector_id) if connector_id else None
    if connector is None or _partly_expressible(evse, version):
        return [evse["uid"]]
    return [evse["uid"], connector["id"]]


def _partly_expressible(evse: dict, version: str) -> bool:
    rendered = render_evse(evse, version)
    return rendered is None or len(rendered["connectors"]) != len(evse.get("connectors") or [])


def render_location_delivery(delivery: Delivery) -> outbound.Outbound | None:
    # A broadcast's receivers drained together read the Location, and render it per version, once.
    key = delivery.object_key
    location = outbound.shared((MODULE, key), lambda: _location(key))
    if location is None or (location.target_id is not None and location.target_id != delivery.receiver_id):
        return None  # gone, or since pushed to another receiver only
    receiver, document = delivery.receiver, location.document
    version = receiver.render_version
    segments = _segments(document, delivery.target, version)
    evse_uid, connector_id = (segments + [None, None])[:2]
    body = outbound.shared(
        (MODULE, key, version, evse_uid, connector_id),
        lambda: render_part(document, version, evse_uid, connector_id),
    )
    if body is None:
        return None
    url = outbound.receiver_url(receiver, MODULE, location.country_code, location.party_id, document["id"], *segments)
    routing = outbound.broadcast_routing(receiver, roles=BROADCAST_ROLES)
    if location.target_id is not None:  # targeted push: party to party via the hub
        owner, target = (
            (location.country_code, location.party_id),
            (location.target_country_code, location.target_party_id),
        )
        routing = Routing(sender=PartyRef(*owner), receiver=PartyRef(*target))
    return outbound.Outbound(method="PUT", url=url, body=body, routing=routing)


outbound.register_renderer(MODULE, render_location_delivery)
