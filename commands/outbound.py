"""The ``commandresult`` delivery renderer: a CommandResult the CPO posted to the hub, as a POST to the eMSP's
original ``response_url`` (party to party via the hub: from = the CPO, to = the eMSP). The URL is the one the
eMSP gave, used exactly as given."""

from __future__ import annotations

from commands import wire
from commands.models import CommandResultRecord
from commands.services import RESULT_MODULE
from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.models import Delivery


def render_command_result(delivery: Delivery) -> outbound.Outbound | None:
    key, _, record_id = delivery.object_key.partition("/")
    record = (
        CommandResultRecord.objects.select_related("relay")
        .filter(pk=int(record_id) if record_id.isdigit() else 0, relay__key=key, relay__emsp=delivery.receiver_id)
        .first()
    )
    if record is None:
        return None
    relay = record.relay
    routing = Routing(
        sender=PartyRef(relay.cpo_country_code, relay.cpo_party_id),
        receiver=PartyRef(relay.emsp_country_code, relay.emsp_party_id),
    )
    return outbound.Outbound(
        method="POST", url=relay.response_url, body=wire.render_result(record.document), routing=routing
    )


outbound.register_renderer(RESULT_MODULE, render_command_result)
