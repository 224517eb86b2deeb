from __future__ import annotations

from django.apps import AppConfig


class LocationsConfig(AppConfig):
    name = "locations"
    label = "locations"
    verbose_name = "Locations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from locations import outbound  # noqa: F401 - registers the Locations delivery renderer
        from locations.services import agreement_backfill
        from ocpi_hub.api import versions
        from parties import policy

        policy.register_backfill(agreement_backfill)  # Locations and Tariffs of a CPO with a new agreement

        versions.register("locations", "RECEIVER", "receiver/locations")
        versions.register("locations", "SENDER", "sender/locations")
