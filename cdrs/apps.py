from __future__ import annotations

from django.apps import AppConfig


class CdrsConfig(AppConfig):
    name = "cdrs"
    label = "cdrs"
    verbose_name = "Charge detail records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cdrs import outbound  # noqa: F401 - registers the CDRs delivery renderer
        from ocpi_hub.api import versions

        versions.register("cdrs", "RECEIVER", "receiver/cdrs")
        versions.register("cdrs", "SENDER", "sender/cdrs")
