from __future__ import annotations

from django.apps import AppConfig


class ChargingProfilesConfig(AppConfig):
    name = "chargingprofiles"
    label = "chargingprofiles"
    verbose_name = "Charging profiles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chargingprofiles import outbound  # noqa: F401 - registers the result renderer
        from ocpi_hub.api import versions

        versions.register("chargingprofiles", "RECEIVER", "receiver/chargingprofiles")
        versions.register("chargingprofiles", "SENDER", "sender/chargingprofiles")
