from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating the hub: health and readiness, Prometheus metrics, process heartbeats, structured logs."""

    name = "ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        from ops import checks, heartbeat  # noqa: F401 - registers the system checks and the worker signals
