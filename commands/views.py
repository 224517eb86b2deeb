"""Commands endpoints. Thin: one service call, the relayed answer or an empty envelope."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from commands import services, wire
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.middleware import correlation_id
from parties.forwarding import ForwardingApi, relayed_response


class CommandReceiverApi(ForwardingApi):
    """Receiver interface for eMSPs: ``POST receiver/commands/{command}``, forwarded live to the CPO."""

    ocpi_request = wire.ANY_COMMAND_MODELS
    ocpi_response = wire.CommandResponse
    requester_roles = services.EMSP_ROLES

    def post(self, request: Request, version: str, command: str) -> Response:
        relayed = services.command_send(
            services.CommandRequest(
                platform=self.caller(request),
                version=version,
                command=command,
                payload=request.data,
                routing=self.routing(request),
                correlation_id=correlation_id(request),
            )
        )
        return relayed_response(relayed)


class CommandResultApi(ForwardingApi):
    """Sender interface for CPOs: ``POST sender/commands/{command}/{key}``, the response_url the hub gave out."""

    ocpi_request = wire.CommandResult
    ocpi_response = None
    requester_roles = services.CPO_ROLES

    def post(self, request: Request, version: str, command: str, key: str) -> Response:
        services.command_result(
            platform=self.caller(request), version=version, command=command, key=key, payload=request.data
        )
        return ocpi_response()
