"""Parties of a benchmark run: registered directly through the ORM (fast, when the handshake is not what is
measured) or through the real credentials handshake with ``ocpi_party.party.OcpiParty``."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from django.utils import timezone

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole
from parties.services.credentials import platform_invite
from parties.tokens import generate_token, hash_token


@dataclass
class BenchParty:
    """A platform the harness calls the hub as: its token (token C) and its first role."""

    platform: Platform
    token: str
    country_code: str
    party_id: str

    @property
    def key(self) -> tuple[str, str]:
        return self.country_code, self.party_id


def orm_party(
    name: str,
    *,
    role: str,
    country_code: str,
    party_id: str,
    version: str = "2.2.1",
    endpoints: list[tuple[str, str, str]] | None = None,
) -> BenchParty:
    """A CONNECTED platform with one role and the given (identifier, role, url) endpoints, no handshake."""
    token = generate_token()
    now = timezone.now()
    platform = Platform.objects.create(
        name=name,
        status=ConnectionStatus.CONNECTED,
        version=version,
        versions_url=f"http://127.0.0.1:9/{name}/versions",
        token_in_hash=hash_token(token),
        token_in_is_registration=False,
        token_out=generate_token(),
        registered_at=now,
        last_seen_at=now,
    )
    PlatformRole.objects.create(
        platform=platform,
        role=role,
        country_code=country_code,
        party_id=party_id,
        business_details={"name": name},
    )
    Endpoint.objects.bulk_create(
        Endpoint(platform=platform, identifier=identifier, role=interface, url=url)
        for identifier, interface, url in endpoints or []
    )
    return BenchParty(platform, token, country_code, party_id)


def started(party: OcpiParty) -> OcpiParty:
    """Start an OcpiParty with TCP_NODELAY on its listening socket (inherited by the accepted connections).

    ``ocpi_party.party`` answers in two writes (headers, then body); with Nagle's algorithm on, the body waits
    until the client ACKs the headers, which a keep-alive client delays by up to 40 ms (delayed ACK): every
    answer would take ~44 ms on loopback instead of ~0.3 ms. Newer versions of ocpi_party/party.py switch Nagle
    off themselves (``disable_nagle_algorithm``); this keeps the benchmarks right with any version.
    """
    party.start()
    server = getattr(party, "_server", None)
    if server is not None:
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return party


def handshake(party: OcpiParty, hub_versions_url: str, name: str) -> BenchParty:
    """Register a running OcpiParty with the hub through the real credentials handshake (token A -> C)."""
    platform, token_a = platform_invite(name=name)
    party.register_with(hub_versions_url, token_a)
    role = party.roles[0]
    platform.refresh_from_db()
    assert party.token_c is not None
    return BenchParty(platform, party.token_c, role["country_code"], role["party_id"])


def suspend(parties: list[BenchParty]) -> None:
    """Take parties out of every later fan-out (their endpoints are gone with the scenario)."""
    Platform.objects.filter(pk__in=[p.platform.pk for p in parties]).update(status=ConnectionStatus.SUSPENDED)
