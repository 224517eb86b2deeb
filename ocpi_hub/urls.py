"""Root URLs: /ocpi/ for the OCPI API (JSON envelopes only), /admin/ for hub admins, /api/ for the docs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path, register_converter

from ocpi_hub.api.converters import OcpiVersionConverter
from ocpi_hub.api.exception_handler import json_not_found
from ocpi_hub.api.schema import schema_urlpatterns
from parties import views as party_views

register_converter(OcpiVersionConverter, "ocpiv")

# Each OCPI module app contributes its URLs below /ocpi/{version}/.
module_urls = [
    path("", include("parties.urls")),
    path("", include("sessions.urls")),
    path("", include("cdrs.urls")),
    path("", include("locations.urls")),
    path("", include("tariffs.urls")),
    path("", include("tokens.urls")),
    path("", include("commands.urls")),
    path("", include("chargingprofiles.urls")),
    path("", include("errors.urls")),
]

urlpatterns = [
    path("ocpi/versions", party_views.VersionsApi.as_view(), name="versions"),
    path("ocpi/<ocpiv:version>", party_views.VersionDetailsApi.as_view(), name="version-details"),
    path("ocpi/<ocpiv:version>/", include(module_urls)),
    path("", include("ops.urls")),
    path("admin/", admin.site.urls),
    *schema_urlpatterns,
    path("ocpi/bench/", include("ocpi_hub.api.bench")),  # empty unless settings.OCPI_HUB_BENCH_ENDPOINT
    re_path(r"^ocpi(/.*)?$", json_not_found),
]

handler400 = "ocpi_hub.api.exception_handler.json_bad_request"
handler404 = "ocpi_hub.api.exception_handler.json_not_found"
handler500 = "ocpi_hub.api.exception_handler.json_server_error"
