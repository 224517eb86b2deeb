"""The configuration modules the parties app serves."""

from __future__ import annotations

from ocpi_hub.api import versions


def register_hub_modules() -> None:
    versions.register("credentials", "SENDER", "credentials")
    versions.register("hubclientinfo", "SENDER", "sender/hubclientinfo")
