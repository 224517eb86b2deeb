"""Base classes of the OCPI views."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from ocpi_hub.api.autoschema import OcpiPathVersioning
from ocpi_hub.api.routing import RoutingHeaders


class OcpiApi(APIView):
    """Base of every OCPI endpoint. Configuration modules (versions, credentials, hubclientinfo)."""

    allow_registration_token = False
    functional_module = False
    versioning_class = OcpiPathVersioning  # request.version; one OpenAPI document per OCPI version
    # OpenAPI declarations, read by OcpiAutoSchema (docs/api-guide.md, "Describing a view"):
    # ocpi_request, ocpi_response (wire models), ocpi_many (paginated list), ocpi_versions.
    ocpi_many = False

    def caller(self, request: Request) -> Any:
        """The calling Platform (authenticated by its token)."""
        return request.auth.platform  # type: ignore[union-attr]

    def lenient(self, request: Request) -> bool:
        """Whether the caller is set to lenient parsing (non-UTC offsets converted, not rejected)."""
        return self.caller(request).strictness == "lenient"


class FunctionalApi(OcpiApi):
    """Functional modules (locations, sessions, ...): OCPI-from-* is checked against the caller's roles."""

    functional_module = True

    def routing(self, request: Request) -> RoutingHeaders:
        return request.ocpi_routing  # type: ignore[attr-defined,no-any-return]
