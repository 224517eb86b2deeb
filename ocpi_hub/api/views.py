"""Base classes of the OCPI views."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ocpi_hub.api.autoschema import OcpiPathVersioning
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.middleware import correlation_id
from ocpi_hub.api.routing import RoutingHeaders
from ocpi_hub.exceptions import InvalidParameters

# CiString length of each id in a module URL (country_code/party_id per the spec, CDR ids 39, others 36).
_URL_ID_LENGTHS = {"country_code": 2, "party_id": 3, "cdr_id": 39, "key": 64}  # key: a relay's result URL id


class OcpiApi(APIView):
    """Base of every OCPI endpoint. Configuration modules (versions, credentials, hubclientinfo)."""

    allow_registration_token = False
    functional_module = False
    versioning_class = OcpiPathVersioning  # request.version; one OpenAPI document per OCPI version
    # OpenAPI declarations, read by OcpiAutoSchema (docs/api-guide.md, "Describing a view"):
    # ocpi_request, ocpi_response (wire models), ocpi_many (paginated list), ocpi_versions.
    ocpi_many = False

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        _refuse_nul(kwargs, "URL")
        _refuse_nul(request.query_params, "query")

    def options(self, request: Request, *args: Any, **kwargs: Any) -> Response:  # type: ignore[override]
        """An envelope (the methods in the ``Allow`` header), not DRF's metadata."""
        return ocpi_response()

    def caller(self, request: Request) -> Any:
        """The calling Platform (authenticated by its token)."""
        return request.auth.platform  # type: ignore[union-attr]

    def lenient(self, request: Request) -> bool:
        """Whether the caller is set to lenient parsing (non-UTC offsets converted, not rejected)."""
        return bool(self.caller(request).is_lenient)

    def correlation_id(self, request: Request) -> str:
        """The request's X-Correlation-ID (given or created by the middleware), carried into its deliveries."""
        return correlation_id(request)


class FunctionalApi(OcpiApi):
    """Functional modules (locations, sessions, ...): OCPI-from-* is checked against the caller's roles."""

    functional_module = True

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        check_url_ids(kwargs)

    def routing(self, request: Request) -> RoutingHeaders:
        return request.ocpi_routing  # type: ignore[attr-defined,no-any-return]


def _refuse_nul(values: Any, where: str) -> None:
    """2001 naming the URL segment or query parameter holding a NUL character (PostgreSQL cannot store it)."""
    for name, value in values.items():
        if "\x00" in str(value) or "\x00" in name:
            raise InvalidParameters(f"{name.replace(chr(0), '')}: must not contain NUL characters ({where})")


def check_url_ids(ids: dict[str, Any]) -> None:
    """2001 naming the URL parameter when an id in the URL cannot be the CiString the module needs."""
    for name, value in ids.items():
        if name == "version":
            continue
        limit = _URL_ID_LENGTHS.get(name, 36)
        if len(value) > limit or not (value.isascii() and value.isprintable()):
            raise InvalidParameters(f"{name} (URL): must be a CiString({limit}), printable ASCII of at most {limit}")
