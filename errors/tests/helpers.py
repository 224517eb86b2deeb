"""Helpers shared by the errors tests: platforms, and Location/Session rows as their apps store them (the
ErrorRecord body builder is ``tests.bodies.record_body``)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from parties.extension import MODULE
from parties.models import Platform
from parties.tokens import hash_token
from tests.bodies import BASE, ts
from tests.factories import EndpointFactory, party_platform

CPO = ("NL", "CPO")


def make_platform(
    name: str,
    role: str = "CPO",
    country_code: str = "NL",
    party_id: str = "CPO",
    *,
    opted_in: bool = False,
    version: str = "2.2.1",
) -> Platform:
    """A connected platform with one role; ``token-<name>`` authenticates it; opted-in = lists chargex-errors."""
    platform = party_platform(
        name,
        role,
        country_code,
        party_id,
        business_details={"name": name},
        version=version,
        token_out=f"out-{name}",
        token_in_hash=hash_token(f"token-{name}"),
        versions_url=f"https://{name}.example/versions",
    )
    if opted_in:
        EndpointFactory(platform=platform, identifier=MODULE, url=f"https://{name}.example/{MODULE}")
    return platform


def auth(name: str) -> dict[str, str]:
    """Headers of a request by the platform ``name`` (Django test client)."""
    token = base64.b64encode(f"token-{name}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Token {token}"}


def make_location(
    owner: Platform,
    location_id: str = "LOC1",
    evses: dict[str, list[str]] | None = None,
    country_code: str = "NL",
    party_id: str = "CPO",
) -> Any:
    """A Location (with EVSE rows) as the locations app stores it; default EVSEs E1 and E2 with connectors 1, 2."""
    from locations.models import Evse, Location

    evses = evses if evses is not None else {"E1": ["1", "2"], "E2": ["1"]}
    document = {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "last_updated": ts(0),
        "evses": [
            {"uid": uid, "status": "AVAILABLE", "connectors": [{"id": c} for c in connectors], "last_updated": ts(0)}
            for uid, connectors in evses.items()
        ],
    }
    location = Location.objects.create(
        owner=owner,
        country_code=country_code,
        party_id=party_id,
        location_id=location_id,
        location_key=location_id.upper(),
        last_updated=BASE,
        document=document,
    )
    for uid in evses:
        Evse.objects.create(location=location, uid=uid, uid_key=uid.upper(), status="AVAILABLE", last_updated=BASE)
    return location


def make_session(
    owner: Platform,
    receiver: Platform,
    session_id: str = "S1",
    *,
    location_id: str = "LOC1",
    kwh: float = 10.0,
    start: datetime | None = None,
    country_code: str = "NL",
    party_id: str = "CPO",
    receiver_party: tuple[str, str] = ("NL", "EMS"),
) -> Any:
    """A Session row as the sessions app stores it (only the columns the errors app reads matter)."""
    from sessions.models import Session

    start = start or BASE
    return Session.objects.create(
        owner=owner,
        country_code=country_code,
        party_id=party_id,
        session_id=session_id,
        session_key=session_id.upper(),
        receiver=receiver,
        receiver_country_code=receiver_party[0],
        receiver_party_id=receiver_party[1],
        status="COMPLETED",
        start_date_time=start,
        token_uid_key="TOK1",
        location_key=location_id.upper(),
        evse_uid_key="E1",
        last_updated=start,
        document={"id": session_id, "kwh": kwh, "location_id": location_id},
    )
