"""System checks for production settings: the built-in SECRET_KEY, or a loopback OCPI_HUB_BASE_URL (every
URL handed to parties would point at 127.0.0.1), while DEBUG is off. A warning on every command (``make
run``, ``manage.py check``); an error under ``manage.py check --deploy``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from ocpi_hub.api.versions import is_loopback_url


def _problems() -> list[tuple[str, str, str]]:
    if settings.DEBUG:
        return []
    found = []
    if settings.SECRET_KEY == settings.BUILTIN_SECRET_KEY:
        found.append(
            ("001", "SECRET_KEY is the built-in development key.", "Set DJANGO_SECRET_KEY or DJANGO_SECRET_KEY_FILE.")
        )
    if is_loopback_url(settings.OCPI_HUB_BASE_URL):
        found.append(
            (
                "002",
                f"OCPI_HUB_BASE_URL is a loopback address ({settings.OCPI_HUB_BASE_URL}): parties cannot reach it.",
                "Set OCPI_HUB_BASE_URL to the hub's public URL, e.g. https://hub.example.com.",
            )
        )
    return found


@register(Tags.security)
def production_settings_warnings(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    return [Warning(msg, hint=hint, id=f"ops.W{number}") for number, msg, hint in _problems()]


@register(Tags.security, deploy=True)
def production_settings_errors(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    return [Error(msg, hint=hint, id=f"ops.E{number}") for number, msg, hint in _problems()]
