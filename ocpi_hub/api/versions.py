"""The versions the hub speaks and the module interfaces it offers in each (its version details).

Apps register their interfaces in ``AppConfig.ready()``. The hub serves both interfaces of most modules
(receiver for the data owners' pushes, sender for the other side's pulls); their paths are
``/ocpi/{version}/receiver/{module}`` and ``/ocpi/{version}/sender/{module}``, so they never collide.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

SUPPORTED_VERSIONS: tuple[str, ...] = ("2.3.0", "2.2.1")  # preferred first
# The ModuleIDs of the official OCPI 2.2.1 and 2.3.0 (the VersionDetails enum). Any other module the hub
# offers is custom (``chargex-errors``) and is advertised only to platforms that opted in.
STANDARD_MODULES: frozenset[str] = frozenset(
    {
        "cdrs",
        "chargingprofiles",
        "commands",
        "credentials",
        "hubclientinfo",
        "locations",
        "sessions",
        "tariffs",
        "tokens",
    }
)


@dataclass(frozen=True)
class ModuleInterface:
    identifier: str
    role: str  # the hub's interface role as advertised: SENDER or RECEIVER
    path: str  # below /ocpi/{version}/
    versions: tuple[str, ...] = SUPPORTED_VERSIONS


_registry: dict[tuple[str, str], ModuleInterface] = {}


def register(identifier: str, role: str, path: str, versions: tuple[str, ...] = SUPPORTED_VERSIONS) -> None:
    _registry[(identifier, role)] = ModuleInterface(identifier, role, path, versions)


def interfaces(version: str, *, custom: Callable[[str], bool] = lambda identifier: True) -> list[ModuleInterface]:
    """The interfaces offered in ``version``; custom modules only where ``custom(identifier)`` says so."""
    return sorted(
        (
            item
            for item in _registry.values()
            if version in item.versions and (item.identifier in STANDARD_MODULES or custom(item.identifier))
        ),
        key=lambda item: (item.identifier, item.role),
    )


def base_url() -> str:
    return settings.OCPI_HUB_BASE_URL.rstrip("/")


def versions_url() -> str:
    return f"{base_url()}/ocpi/versions"


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine only (localhost, 127.0.0.0/8, ::1): no party could reach it."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def version_details_url(version: str) -> str:
    return f"{base_url()}/ocpi/{version}"


def interface_url(version: str, interface: ModuleInterface) -> str:
    return f"{version_details_url(version)}/{interface.path}"


def pick_version(offered: list[str]) -> str | None:
    """The highest version both sides speak."""
    for version in SUPPORTED_VERSIONS:
        if version in offered:
            return version
    return None
