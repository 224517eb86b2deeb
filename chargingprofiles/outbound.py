"""The ``chargingprofileresult`` delivery renderer: a result the CPO posted to the hub, as a POST to the
requester's original ``response_url`` (from = the CPO, to = the requester), exactly as the requester gave it."""

from __future__ import annotations

from chargingprofiles import wire
from chargingprofiles.models import ChargingProfileResultRecord
from chargingprofiles.services import RESULT_MODULE
from ocpi_hub.api.routing import PartyRef
from ocpi_hub.api.wire import render
from parties import outbound
from parties.client import Routing
from parties.models import Delivery


def render_profile_result(delivery: Delivery) -> outbound.Outbound | None:
    key, _, record_id = delivery.object_key.partition("/")
    record = (
        ChargingProfileResultRecord.objects.select_related("relay")
        .filter(pk=int(record_id) if record_id.isdigit() else 0, relay__key=key, relay__requester=delivery.receiver_id)
        .first()
    )
    if record is None:
        return None
    relay = record.relay
    body = render(wire.RESULT_MODELS[relay.method].model_validate(record.document))
    routing = Routing(
        sender=PartyRef(relay.cpo_country_code, relay.cpo_party_id),
        receiver=PartyRef(relay.requester_country_code, relay.requester_party_id),
    )
    return outbound.Outbound(method="POST", url=relay.response_url, body=body, routing=routing)


outbound.register_renderer(RESULT_MODULE, render_profile_result)
