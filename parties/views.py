"""Versions, Credentials and HubClientInfo endpoints. Thin: parse, call a service or selector, answer."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api import versions
from ocpi_hub.api.authentication import decode_token, header_token
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.views import OcpiApi
from parties import policy, selectors
from parties.services import credentials as credentials_service
from parties.services.clientinfo import client_info
from parties.wire import CLIENT_INFO, CREDENTIALS, Version, VersionDetails


class VersionsApi(OcpiApi):
    allow_registration_token = True
    ocpi_response = [Version]

    def get(self, request: Request) -> Response:
        data = [{"version": v, "url": versions.version_details_url(v)} for v in versions.SUPPORTED_VERSIONS]
        return ocpi_response(data)


class VersionDetailsApi(OcpiApi):
    allow_registration_token = True
    ocpi_response = VersionDetails

    def get(self, request: Request, version: str) -> Response:
        platform = self.caller(request)
        endpoints = [
            {"identifier": item.identifier, "role": item.role, "url": versions.interface_url(version, item)}
            for item in versions.interfaces(
                version, custom=lambda module: selectors.custom_module_opted_in(platform, module)
            )
        ]
        return ocpi_response({"version": version, "endpoints": endpoints})


class CredentialsApi(OcpiApi):
    allow_registration_token = True
    ocpi_request = CREDENTIALS
    ocpi_response = CREDENTIALS

    def get(self, request: Request, version: str) -> Response:
        token = header_token(request) or ""
        own_token = token if request.auth.raw_token else (decode_token(token) or token)  # type: ignore[union-attr]
        platform = self.caller(request)
        return ocpi_response(
            credentials_service.hub_credentials(version=version, token=own_token, for_platform=platform)
        )

    def post(self, request: Request, version: str) -> Response:
        data = credentials_service.credentials_register(
            platform=self.caller(request), version=version, payload=request.data
        )
        return ocpi_response(data)

    def put(self, request: Request, version: str) -> Response:
        data = credentials_service.credentials_update(
            platform=self.caller(request), version=version, payload=request.data
        )
        return ocpi_response(data)

    def delete(self, request: Request, version: str) -> Response:
        credentials_service.credentials_unregister(platform=self.caller(request))
        return ocpi_response()


class HubClientInfoListApi(OcpiApi):
    """Sender interface of HubClientInfo: every party the hub knows, with its connection status."""

    ocpi_response = CLIENT_INFO
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        paginator = OcpiPagination()
        known = selectors.client_info_roles()
        agreed = policy.reachable(self.caller(request))  # routing policy "agreements": the agreed parties only
        if agreed is not None:
            known = known.filter(policy.party_in(agreed))
        page, _ = paginator.paginate(known, request, field="updated_at")
        roles = [role for role in page if version != "2.3.0" or role.role != "HUB"]
        return paginator.response([client_info(role) for role in roles])
