"""The outbound proxy of the hub's OCPI client (``parties.client``), for hubs whose network reaches parties
only through an HTTP forward proxy.

``OCPI_HUB_OUTBOUND_PROXY`` is ``http://[user:password@]host:port`` (by default the ``HTTPS_PROXY``
environment variable, as ``requests`` read it before the client was written here). An ``https`` party is
reached through a ``CONNECT`` tunnel (TLS runs end to end: the proxy sees the host and port, never the
token or the body); an ``http`` party gets its request in absolute form from the proxy. User and password
are sent as ``Proxy-Authorization: Basic``.

``OCPI_HUB_OUTBOUND_NO_PROXY`` (by default ``NO_PROXY``) lists the hosts called directly, comma-separated:
a host name also matches its subdomains (``example.com`` and ``.example.com`` both match
``ocpi.example.com``), an address or a network (``10.0.0.0/8``) matches the hosts written as such an
address, a ``:port`` suffix is ignored, and ``*`` means no host is proxied.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote, urlsplit

from django.conf import settings


@dataclass(frozen=True)
class Proxy:
    host: str
    port: int
    authorization: str  # the Proxy-Authorization header's value, or ""

    @property
    def key(self) -> str:
        """What tells connections through this proxy from direct ones (the client's pool key)."""
        return f"{self.host}:{self.port}"


class ProxySettingError(ValueError):
    pass


def proxy_for(host: str) -> Proxy | None:
    """The proxy a call to ``host`` goes through; None to connect directly."""
    return _proxy_for(host, settings.OCPI_HUB_OUTBOUND_PROXY, settings.OCPI_HUB_OUTBOUND_NO_PROXY)


@cache
def _proxy_for(host: str, proxy_url: str, no_proxy: str) -> Proxy | None:
    if not proxy_url or _bypassed(host.strip("[]").lower(), no_proxy):
        return None
    return parse_proxy(proxy_url)


def parse_proxy(url: str) -> Proxy:
    """The proxy named by ``url`` (``http://[user:password@]host[:port]``, port 80 when absent)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port or 80
    except ValueError:
        raise ProxySettingError(f"OCPI_HUB_OUTBOUND_PROXY: bad port in {url!r}") from None
    if parts.scheme != "http" or not parts.hostname:
        raise ProxySettingError(f"OCPI_HUB_OUTBOUND_PROXY: must be http://host:port, not {url!r}")
    authorization = ""
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    return Proxy(parts.hostname, port, authorization)


def _bypassed(host: str, no_proxy: str) -> bool:
    for entry in (item.strip().lower() for item in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if _matches(host, entry):
            return True
    return False


def _matches(host: str, entry: str) -> bool:
    address = _address(host)
    if entry.startswith("["):  # [::1] or [::1]:8080
        entry = entry[1 : entry.find("]")]
    elif entry.count(":") == 1:  # name:port or v4:port
        entry = entry.split(":")[0]
    if address is not None:
        try:
            return address in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    name = entry.lstrip(".")
    return host == name or host.endswith("." + name)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
