from __future__ import annotations

from django.apps import AppConfig


class TariffsConfig(AppConfig):
    name = "tariffs"
    label = "tariffs"
    verbose_name = "Tariffs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ocpi_hub.api import versions
        from tariffs import outbound  # noqa: F401 - registers the Tariffs delivery renderer

        versions.register("tariffs", "RECEIVER", "receiver/tariffs")
        versions.register("tariffs", "SENDER", "sender/tariffs")
