"""No request, however hostile, gets a 500 or a stack trace: every OCPI endpoint, every method, bad bodies."""

from __future__ import annotations

import base64

import pytest
from django.utils import timezone

from parties.models import ConnectionStatus, Platform, PlatformRole
from parties.tokens import hash_token

TOKEN = "hostile-test-token"

PATHS = [
    "credentials",
    "sender/hubclientinfo",
    "receiver/locations/NL/CPO/L1",
    "receiver/locations/NL/CPO/L1/E1",
    "receiver/locations/NL/CPO/L1/E1/C1",
    "sender/locations",
    "sender/locations/L1/E1/C1",
    "receiver/tariffs/NL/CPO/T1",
    "sender/tariffs",
    "receiver/sessions/NL/CPO/S1",
    "sender/sessions",
    "sender/sessions/S1/charging_preferences",
    "receiver/cdrs",
    "receiver/cdrs/NL/CPO/C1",
    "sender/cdrs",
    "receiver/tokens/NL/EMS/U1",
    "sender/tokens",
    "sender/tokens/U1/authorize",
    "receiver/commands/START_SESSION",
    "receiver/commands/STOP_SESSION",
    "receiver/commands/RESERVE_NOW",
    "receiver/commands/CANCEL_RESERVATION",
    "receiver/commands/UNLOCK_CONNECTOR",
    "receiver/commands/NOT_A_COMMAND",
    "sender/commands/START_SESSION/some-key",
    "receiver/chargingprofiles/S1",
    "sender/chargingprofiles/S1",
    "sender/chargingprofiles/S1/some-key",
    "receiver/chargex-errors/NL/CPO/ER1",
    "sender/chargex-errors",
]

BODIES = [
    b"{",
    b"[]",
    b'"text"',
    b"null",
    b"\xff\xfe\x00garbage",
    b"[" * 5000 + b"]" * 5000,
    b'{"id": {"$gt": ""}, "last_updated": ["x"], "evses": "x", "cdr_token": 7, "publish": "yes"}',
    b'{"last_updated": "2024-13-45T99:99:99Z", "country_code": "NL", "party_id": "CPO", "id": "L1"}',
    b'{"id": "' + b"A" * 200_000 + b'", "last_updated": "2024-01-01T00:00:00Z"}',
    b'{"id": null, "country_code": null, "party_id": null, "last_updated": null, "charging_periods": null}',
]


@pytest.fixture
def caller(db):
    platform = Platform.objects.create(
        name="both",
        status=ConnectionStatus.CONNECTED,
        version="2.2.1",
        token_in_hash=hash_token(TOKEN),
        registered_at=timezone.now(),
        token_out="peer-token",
        versions_url="http://127.0.0.1:9/versions",
    )
    for role, party in (("CPO", "CPO"), ("EMSP", "EMS")):
        PlatformRole.objects.create(platform=platform, role=role, country_code="NL", party_id=party)
    return platform


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("path", PATHS)
def test_every_endpoint_answers_hostile_input_with_an_envelope(client, caller, settings, path, version):
    settings.OCPI_HUB_CONNECT_TIMEOUT = 0.2  # forwarded calls (authorize, preferences) fail fast
    auth = "Token " + base64.b64encode(TOKEN.encode()).decode()
    methods = ["GET", "POST", "PUT", "PATCH"] + ([] if path == "credentials" else ["DELETE"])
    for method in methods:
        for body in BODIES:
            response = client.generic(
                method, f"/ocpi/{version}/{path}", body, content_type="application/json", HTTP_AUTHORIZATION=auth
            )
            where = f"{method} {path} with {body[:40]!r}"
            assert response.status_code < 500, where
            assert response["Content-Type"].startswith("application/json"), where
            envelope = response.json()
            assert isinstance(envelope["status_code"], int), where
            assert "Traceback" not in response.content.decode(errors="replace"), where
