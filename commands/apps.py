from __future__ import annotations

from django.apps import AppConfig


class CommandsConfig(AppConfig):
    name = "commands"
    label = "commands"
    verbose_name = "Commands"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from commands import outbound  # noqa: F401 - registers the CommandResult renderer
        from ocpi_hub.api import versions

        versions.register("commands", "RECEIVER", "receiver/commands")
        versions.register("commands", "SENDER", "sender/commands")
