"""Locations endpoints. Thin: call one service or selector, render in the URL's version, answer."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from locations import selectors, services
from locations.documents import LocationRef, render_part
from locations.models import Location
from locations.wire import CONNECTOR_MODELS, EVSE_MODELS, LOCATION_MODELS, render_location
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.views import FunctionalApi
from ocpi_hub.exceptions import NotFound
from parties.outbound import hub_party

# OpenAPI declarations (docs/api-guide.md, "Describing a view"): the model per URL shape and version.
_LOCATION_PARTS = {"location_id": LOCATION_MODELS, "evse_uid": EVSE_MODELS, "connector_id": CONNECTOR_MODELS}


def addressed_owner(routing: RoutingHeaders) -> PartyRef | None:
    """The CPO named in OCPI-to-* (None when absent or when it names the hub itself)."""
    return None if routing.receiver in (None, hub_party()) else routing.receiver


def rendered(location: Location, version: str, evse_uid: str | None, connector_id: str | None) -> dict:
    """The addressed object in ``version``; 404 when it is unknown or not expressible in that version."""
    data = render_part(location.document, version, evse_uid, connector_id)
    if data is None:
        raise NotFound(f"Unknown object {'/'.join(filter(None, [location.location_id, evse_uid, connector_id]))}")
    return data


class LocationReceiverApi(FunctionalApi):
    """Receiver interface for CPOs: ``receiver/locations/{cc}/{pid}/{location_id}[/{evse_uid}[/{connector_id}]]``."""

    ocpi_request = _LOCATION_PARTS
    ocpi_response = {"GET": _LOCATION_PARTS}

    def get(self, request: Request, version: str, **ids: str) -> Response:
        ref = LocationRef(**ids)
        location = selectors.location_get_own(platform=self.caller(request), ref=ref)
        return ocpi_response(rendered(location, version, ref.evse_uid, ref.connector_id))

    def put(self, request: Request, version: str, **ids: str) -> Response:
        result = services.location_put(**self._push(request, version, ids), routing=self.routing(request))
        return ocpi_response(status_message=result.message)

    def patch(self, request: Request, version: str, **ids: str) -> Response:
        result = services.location_patch(**self._push(request, version, ids))
        return ocpi_response(status_message=result.message)

    def _push(self, request: Request, version: str, ids: dict[str, str]) -> dict[str, Any]:
        return {
            "platform": self.caller(request),
            "version": version,
            "ref": LocationRef(**ids),
            "body": request.data,
            "lenient": self.lenient(request),
            "correlation_id": self.correlation_id(request),
        }


class LocationSenderListApi(FunctionalApi):
    """Sender interface for eMSPs: every published Location (of the CPO named in OCPI-to-*, if any)."""

    ocpi_response = LOCATION_MODELS
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        paginator = OcpiPagination()
        queryset = selectors.location_list_published(
            owner=addressed_owner(self.routing(request)), visible_to=self.caller(request)
        )
        page, _ = paginator.paginate(queryset, request)
        return paginator.response([render_location(location.document, version) for location in page])


class LocationSenderObjectApi(FunctionalApi):
    """Sender interface for eMSPs: ``sender/locations/{location_id}[/{evse_uid}[/{connector_id}]]``."""

    ocpi_response = _LOCATION_PARTS

    def get(
        self,
        request: Request,
        version: str,
        location_id: str,
        evse_uid: str | None = None,
        connector_id: str | None = None,
    ) -> Response:
        owner = addressed_owner(self.routing(request))
        location = selectors.location_published_get(
            location_id=location_id, owner=owner, visible_to=self.caller(request)
        )
        return ocpi_response(rendered(location, version, evse_uid, connector_id))
