"""Which URLs a party may make the hub call (server-side request forgery guard).

During registration a party names URLs (its versions URL, the version details URL, every endpoint URL) that
the hub then calls. With ``OCPI_HUB_REFUSE_PRIVATE_URLS`` on (the default unless ``DJANGO_DEBUG``), a URL is
refused unless it is http(s) and every address its host resolves to is public: no loopback, private,
link-local (cloud metadata), shared, multicast or reserved address, except the networks listed in
``OCPI_HUB_ALLOWED_PRIVATE_NETWORKS``. The reason given to the party is one fixed sentence, so the guard
tells it nothing about the hub's network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

REFUSAL = "the hub calls only http(s) URLs whose host is a public address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in settings.OCPI_HUB_ALLOWED_PRIVATE_NETWORKS]


def _is_allowed(address: IPAddress, allowed: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_global and not address.is_multicast:
        return True
    return any(address.version == network.version and address in network for network in allowed)


def _addresses(host: str, port: int) -> list[IPAddress] | None:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def url_is_refused(url: str) -> bool:
    """True when the hub must not call ``url`` (always False with the guard off)."""
    if not settings.OCPI_HUB_REFUSE_PRIVATE_URLS:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return True
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return True
    addresses = _addresses(parts.hostname, port)
    if not addresses:
        return True
    allowed = _allowed_networks()
    return not all(_is_allowed(address, allowed) for address in addresses)
