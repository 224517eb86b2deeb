"""Tokens endpoints. Thin: call one service or selector, render in the URL's version, answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.views import FunctionalApi
from ocpi_hub.exceptions import NotFound
from parties.forwarding import ForwardingApi, relayed_response
from parties.routing import is_hub
from tokens import selectors, services, wire
from tokens.authorization import token_authorize
from tokens.services import TokenRef

TYPE_PARAMETER = OpenApiParameter(
    "type",
    {"type": "string", "default": wire.DEFAULT_TYPE},
    OpenApiParameter.QUERY,
    required=False,
    description="TokenType of the Token (default RFID); `uid` + `type` identify a Token of an eMSP.",
)
with_type = extend_schema(parameters=[TYPE_PARAMETER])


def addressed_owner(routing: RoutingHeaders) -> PartyRef | None:
    """The eMSP named in OCPI-to-* (None when absent or when it names the hub itself)."""
    receiver = routing.receiver
    return None if receiver is None or is_hub(receiver) else receiver


@extend_schema_view(get=with_type, put=with_type, patch=with_type)
class TokenReceiverApi(FunctionalApi):
    """Receiver interface for eMSPs: ``receiver/tokens/{cc}/{pid}/{token_uid}[?type=RFID]``."""

    ocpi_request = wire.TOKEN_MODELS
    ocpi_response = {"GET": wire.TOKEN_MODELS, "PUT": None, "PATCH": None}

    def get(self, request: Request, version: str, country_code: str, party_id: str, token_uid: str) -> Response:
        token = selectors.token_get_own(
            platform=self.caller(request),
            country_code=country_code,
            party_id=party_id,
            uid=token_uid,
            token_type=request.query_params.get("type") or wire.DEFAULT_TYPE,
        )
        data = wire.render_token(token.document, version)
        if data is None:
            raise NotFound(f"Token {token_uid} of type {token.type} does not exist in OCPI {version}")
        return ocpi_response(data)

    def put(self, request: Request, version: str, **ids: str) -> Response:
        services.token_put(**self._push(request, version, ids))
        return ocpi_response()  # HTTP 200, new or replaced: the PUT rule of every receiver interface

    def patch(self, request: Request, version: str, **ids: str) -> Response:
        services.token_patch(**self._push(request, version, ids))
        return ocpi_response()

    def _push(self, request: Request, version: str, ids: dict[str, str]) -> dict[str, Any]:
        ref = TokenRef(ids["country_code"], ids["party_id"], ids["token_uid"], request.query_params.get("type"))
        return {
            "platform": self.caller(request),
            "version": version,
            "ref": ref,
            "payload": request.data,
            "lenient": self.lenient(request),
            "correlation_id": self.correlation_id(request),
            "routing": self.routing(request),
        }


class TokenSenderListApi(FunctionalApi):
    """Sender interface for CPOs: every eMSP's Tokens (of the eMSP named in OCPI-to-*, if any)."""

    ocpi_many = True
    ocpi_response = wire.TOKEN_MODELS

    def get(self, request: Request, version: str) -> Response:
        paginator = OcpiPagination()
        queryset = selectors.token_list_for_cpo(
            platform=self.caller(request), version=version, owner=addressed_owner(self.routing(request))
        )
        page, _ = paginator.paginate(queryset, request)
        return paginator.response([wire.render_token(token.document, version) for token in page])


@extend_schema_view(post=with_type)
class TokenAuthorizeApi(ForwardingApi):
    """Real-time authorization for CPOs: ``sender/tokens/{token_uid}/authorize[?type=RFID]``, forwarded live."""

    ocpi_request = wire.LocationReferences
    ocpi_request_required = False
    ocpi_response = wire.AUTHORIZATION_INFO_MODELS
    requester_roles = ("CPO",)

    def post(self, request: Request, version: str, token_uid: str) -> Response:
        relayed = token_authorize(
            platform=self.caller(request),
            version=version,
            uid=token_uid,
            token_type=request.query_params.get("type"),
            payload=request.data,
            routing=self.routing(request),
            correlation_id=self.correlation_id(request),
        )
        return relayed_response(relayed)
