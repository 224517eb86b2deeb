from __future__ import annotations

from django.apps import AppConfig


class PartiesConfig(AppConfig):
    name = "parties"
    label = "parties"
    verbose_name = "Platforms and delivery"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from parties import modules
        from parties.models import Platform
        from parties.services import clientinfo  # noqa: F401 - registers the ClientInfo renderer
        from parties.services.dispatch import queue_for_new_platform

        modules.register_hub_modules()
        post_save.connect(queue_for_new_platform, sender=Platform, dispatch_uid="parties.receiver_queue")
