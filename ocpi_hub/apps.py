from __future__ import annotations

from django.apps import AppConfig


class OcpiHubConfig(AppConfig):
    name = "ocpi_hub"
    label = "ocpi_hub"
    verbose_name = "OCPI hub"

    def ready(self) -> None:
        from ocpi_hub.api import schema  # noqa: F401 - registers the OpenAPI extensions
