"""factory_boy factories for the hub's platforms, their party roles and endpoints (one place for every test that
needs a registered platform without the credentials handshake).

``party_platform(...)`` is the usual shape: a connected platform with one party role that implements the
receiver interface of some modules. Everything else (status, version, tokens) is a keyword of the factories.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole


class PlatformFactory(DjangoModelFactory):
    class Meta:
        model = Platform

    name = factory.Sequence(lambda number: f"platform-{number}")
    status = ConnectionStatus.CONNECTED
    version = "2.2.1"
    token_out = factory.LazyAttribute(lambda platform: f"token-{platform.name}")


class PlatformRoleFactory(DjangoModelFactory):
    class Meta:
        model = PlatformRole

    platform = factory.SubFactory(PlatformFactory)
    role = "CPO"
    country_code = "NL"
    party_id = "CPO"


class EndpointFactory(DjangoModelFactory):
    """A module interface in the platform's version details (RECEIVER unless told)."""

    class Meta:
        model = Endpoint

    platform = factory.SubFactory(PlatformFactory)
    identifier = "locations"
    role = "RECEIVER"
    url = factory.LazyAttribute(lambda endpoint: f"http://127.0.0.1:9/{endpoint.platform.name}/{endpoint.identifier}")


def party_platform(
    name: str,
    role: str = "CPO",
    country_code: str = "NL",
    party_id: str = "CPO",
    *,
    receives: tuple[str, ...] = (),
    business_details: dict[str, Any] | None = None,
    **fields: Any,
) -> Platform:
    """A platform (connected, 2.2.1, ``token-<name>`` unless ``fields`` say otherwise) holding one party role,
    with a RECEIVER endpoint for each module in ``receives``."""
    platform: Platform = PlatformFactory(name=name, **fields)
    PlatformRoleFactory(
        platform=platform,
        role=role,
        country_code=country_code,
        party_id=party_id,
        business_details=business_details or {},
    )
    for module in receives:
        EndpointFactory(platform=platform, identifier=module)
    return platform
