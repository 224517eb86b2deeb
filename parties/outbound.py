"""How each module turns a queued Delivery into an HTTP request for its receiver.

Functional apps register a renderer per module in ``AppConfig.ready()``. A renderer reads the hub's
current state of the object and returns the request to make (or None when there is nothing to send).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from django.conf import settings

from ocpi_hub.api.routing import PartyRef
from parties.client import Routing
from parties.models import Delivery, Platform


@dataclass(frozen=True)
class Outbound:
    method: str
    url: str
    body: Any = None
    routing: Routing | None = None


class NoEndpoint(Exception):
    """The receiver does not (or no longer) implement the receiver interface."""


Renderer = Callable[[Delivery], Outbound | None]
_renderers: dict[str, Renderer] = {}


def register_renderer(module: str, renderer: Renderer) -> None:
    _renderers[module] = renderer


def modules() -> list[str]:
    """The modules deliveries are rendered for (the admin's filter and search)."""
    return sorted(_renderers)


def render(delivery: Delivery) -> Outbound | None:
    return _renderers[delivery.module](delivery)


# --- Work shared by the deliveries of one drain (one broadcast reaches many receivers in one drain) -----

_shared: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar("ocpi_shared_renders", default=None)
T = TypeVar("T")


@contextlib.contextmanager
def shared_renders() -> Iterator[None]:
    """Within this block, ``shared(key, build)`` builds each key once (the stored object a broadcast
    pushes, its rendering per version): the drain of many receivers reads and renders it once."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def shared(key: Any, build: Callable[[], T]) -> T:
    """``build()``, or what it gave for ``key`` earlier in the enclosing ``shared_renders`` block. What it
    gives is shared between receivers: treat it as read-only."""
    memo = _shared.get()
    if memo is None:
        return build()
    if key not in memo:
        memo[key] = build()
    return memo[key]  # type: ignore[no-any-return]


def hub_party() -> PartyRef:
    return PartyRef(settings.OCPI_HUB_COUNTRY_CODE, settings.OCPI_HUB_PARTY_ID)


# "." and ".." would be removed by URL normalisation (RFC 3986 5.2.4) and change the path.
_DOT_SEGMENTS = {".": "%2E", "..": "%2E%2E"}


def path_segment(value: str) -> str:
    """``value`` as exactly one URL path segment: every reserved character percent-encoded."""
    return _DOT_SEGMENTS.get(value) or quote(value, safe="")


def join_url(base: str, *segments: str, query: dict[str, str] | None = None) -> str:
    """The URL a party advertised, used as given, followed by one encoded path segment per value.

    ``.../cdrs`` and ``.../cdrs/`` both stay what they are when nothing is appended (a framework that
    answers 307 on the other form is called on the form it listed); appended segments get exactly one ``/``.
    """
    url = base
    if segments:
        url = base.rstrip("/") + "/" + "/".join(path_segment(segment) for segment in segments)
    return f"{url}?{urlencode(query)}" if query else url


def receiver_url(receiver: Platform, identifier: str, *segments: str, query: dict[str, str] | None = None) -> str:
    base = receiver.endpoint_url(identifier, "RECEIVER")
    if base is None:
        raise NoEndpoint(f"{receiver} has no {identifier} receiver endpoint")
    return join_url(base, *segments, query=query)


def broadcast_routing(receiver: Platform, *, roles: tuple[str, ...] = ()) -> Routing:
    """Hub -> receiver hop of a broadcast push: the hub in the from-headers, the receiver in the to-headers."""
    target = next((r for r in receiver.prefetched("roles") if not roles or r.role in roles), None)
    to = PartyRef(target.country_code, target.party_id) if target else hub_party()
    return Routing(sender=hub_party(), receiver=to)
