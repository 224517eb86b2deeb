from __future__ import annotations

from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "sessions"
    label = "ocpi_sessions"  # django.contrib.sessions owns "sessions"
    verbose_name = "Charging sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ocpi_hub.api import versions
        from sessions import outbound  # noqa: F401 - registers the Sessions delivery renderer

        versions.register("sessions", "RECEIVER", "receiver/sessions")
        versions.register("sessions", "SENDER", "sender/sessions")
