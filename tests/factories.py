"""factory_boy factories for the hub's platforms, their party roles and endpoints (one place for every test that
needs a registered platform without the credentials handshake).

``party_platform(...)`` is the usual shape: a connected platform with one party role that implements the
receiver interface of some modules. Everything else (status, version, tokens) is a keyword of the factories.
``register(hub_url, party, name)`` is the other way to get a platform: a test party (``ocpi_party``) runs the real
credentials handshake with the hub over HTTP. The OCPI bodies the tests send are built in ``tests.bodies``.
"""

from __future__ import annotations

from typing import Any

import factory
from factory.django import DjangoModelFactory

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole
from parties.services.credentials import platform_invite


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


def register(hub_url: str, party: OcpiParty, name: str | None = None) -> Platform:
    """Invite a platform named ``name`` (the party's first party_id unless told), run ``party``'s credentials
    handshake with the hub at ``hub_url`` (the ``hub`` fixture's ``.url``) and return the hub's Platform row."""
    platform, token_a = platform_invite(name=name or party.roles[0]["party_id"])
    party.register_with(f"{hub_url}/ocpi/versions", token_a)
    platform.refresh_from_db()
    return platform
