from __future__ import annotations

from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "parties"
    label = "parties"
    verbose_name = "Platforms and delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from parties import modules
        from parties.services import clientinfo  # noqa: F401 - registers the ClientInfo renderer

        modules.register_hub_modules()
