"""OpenAPI (drf-spectacular): one schema per OCPI version, envelope and headers described."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from ocpi_hub.api.versions import SUPPORTED_VERSIONS


class OcpiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ocpi_hub.api.authentication.OcpiTokenAuthentication"
    name = "OcpiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <base64 of the credentials token>`",
        }


schema_urlpatterns = []
for _version in SUPPORTED_VERSIONS:
    _slug = _version.replace(".", "")
    schema_urlpatterns += [
        path(f"api/schema/{_version}", SpectacularAPIView.as_view(api_version=_version), name=f"schema-{_slug}"),
        path(f"api/docs/{_version}", SpectacularRedocView.as_view(url_name=f"schema-{_slug}"), name=f"docs-{_slug}"),
    ]
