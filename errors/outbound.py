"""The chargex-errors delivery renderer: the CURRENT stored state of an error record as a PUT of the full
record to ``{receiver's chargex-errors RECEIVER url}/{country_code}/{party_id}/{id}``, in the receiver's
version. Registered with the delivery engine when the app is ready.

Nothing is sent when the record is gone or the receiver is no longer entitled to it (it stopped opting in,
or the record is now tied to another eMSP's session): the privacy rule is re-checked at send time.
"""

from __future__ import annotations

from errors.models import ErrorRecord
from errors.services import error_record_receivers
from errors.wire import render_error_record
from ocpi_hub.api.routing import PartyRef
from parties import outbound
from parties.client import Routing
from parties.extension import MODULE
from parties.models import Delivery


def _record(object_key: str) -> ErrorRecord | None:
    country_code, party_id, record_id = object_key.split("/", 2)
    return (
        ErrorRecord.objects.select_related("owner")
        .filter(country_code=country_code, party_id=party_id, record_key=record_id.upper())
        .first()
    )


def _routing(record: ErrorRecord, delivery: Delivery) -> Routing:
    """Private records travel CPO -> eMSP; EVSE-level records are a broadcast from the hub."""
    if not record.is_private:
        return outbound.broadcast_routing(delivery.receiver, roles=("EMSP",))
    country_code, _, party_id = record.private_to_party.partition("/")
    return Routing(sender=PartyRef(record.country_code, record.party_id), receiver=PartyRef(country_code, party_id))


def render_error_record_delivery(delivery: Delivery) -> outbound.Outbound | None:
    record = _record(delivery.object_key)
    if record is None:
        return None
    if delivery.receiver_id not in {platform.pk for platform in error_record_receivers(record=record)}:
        return None
    body = render_error_record(record.document, delivery.receiver.render_version)
    url = outbound.receiver_url(delivery.receiver, MODULE, record.country_code, record.party_id, record.record_id)
    return outbound.Outbound(method="PUT", url=url, body=body, routing=_routing(record, delivery))


outbound.register_renderer(MODULE, render_error_record_delivery)
