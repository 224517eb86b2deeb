"""How each module turns a queued Delivery into an HTTP request for its receiver.

Functional apps register a renderer per module in ``AppConfig.ready()``. A renderer reads the hub's
current state of the object and returns the request to make (or None when there is nothing to send).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


def hub_party() -> PartyRef:
    return PartyRef(settings.OCPI_HUB_COUNTRY_CODE, settings.OCPI_HUB_PARTY_ID)


def receiver_url(receiver: Platform, identifier: str, *segments: str) -> str:
    base = receiver.endpoint_url(identifier, "RECEIVER")
    if base is None:
        raise NoEndpoint(f"{receiver} has no {identifier} receiver endpoint")
    return "/".join([base.rstrip("/"), *segments])


def broadcast_routing(receiver: Platform, *, roles: tuple[str, ...] = ()) -> Routing:
    """Hub -> receiver hop of a broadcast push: the hub in the from-headers, the receiver in the to-headers."""
    target = next((r for r in receiver.roles.all() if not roles or r.role in roles), None)
    to = PartyRef(target.country_code, target.party_id) if target else hub_party()
    return Routing(sender=hub_party(), receiver=to)
