"""ChargingProfiles endpoints. Thin: one service call, the relayed answer or an empty envelope."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from chargingprofiles import services, wire
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.middleware import correlation_id
from parties.forwarding import ForwardingApi, relayed_response

DURATION = OpenApiParameter("duration", int, OpenApiParameter.QUERY, required=True, description="Seconds.")
RESPONSE_URL = OpenApiParameter(
    "response_url", str, OpenApiParameter.QUERY, required=True, description="Where the result is POSTed."
)


@extend_schema_view(
    get=extend_schema(parameters=[DURATION, RESPONSE_URL]), delete=extend_schema(parameters=[RESPONSE_URL])
)
class ChargingProfileReceiverApi(ForwardingApi):
    """Receiver interface for eMSPs/SCSPs: ``receiver/chargingprofiles/{session_id}``, forwarded to the CPO."""

    ocpi_request = wire.SetChargingProfile
    ocpi_response = wire.ChargingProfileResponse
    requester_roles = services.REQUESTER_ROLES

    def get(self, request: Request, version: str, session_id: str) -> Response:
        return self._forward(request, version, session_id)

    def put(self, request: Request, version: str, session_id: str) -> Response:
        return self._forward(request, version, session_id)

    def delete(self, request: Request, version: str, session_id: str) -> Response:
        return self._forward(request, version, session_id)

    def _forward(self, request: Request, version: str, session_id: str) -> Response:
        relayed = services.profile_request(
            services.ProfileRequest(
                platform=self.caller(request),
                version=version,
                method=request.method or "GET",
                session_id=session_id,
                body=request.data if request.method == "PUT" else None,
                query={name: str(value) for name, value in request.query_params.items()},
                routing=self.routing(request),
                correlation_id=correlation_id(request),
            )
        )
        return relayed_response(relayed)


class ActiveChargingProfileApi(ForwardingApi):
    """Sender interface for CPOs: ``PUT sender/chargingprofiles/{session_id}``, routed to the profile's setter."""

    ocpi_request = wire.ActiveChargingProfile
    ocpi_response = None
    requester_roles = services.CPO_ROLES

    def put(self, request: Request, version: str, session_id: str) -> Response:
        relayed = services.active_profile_put(
            platform=self.caller(request),
            session_id=session_id,
            body=request.data,
            routing=self.routing(request),
            correlation_id=correlation_id(request),
        )
        return relayed_response(relayed)


class ChargingProfileResultApi(ForwardingApi):
    """Sender interface for CPOs: ``POST sender/chargingprofiles/{session_id}/{key}``, the hub's response_url."""

    ocpi_request = wire.AnyProfileResult
    ocpi_response = None
    requester_roles = services.CPO_ROLES

    def post(self, request: Request, version: str, session_id: str, key: str) -> Response:
        services.profile_result(platform=self.caller(request), session_id=session_id, key=key, payload=request.data)
        return ocpi_response()
