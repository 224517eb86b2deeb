"""No request, however hostile, gets a 500 or a stack trace: every OCPI endpoint, every method, bad bodies."""

from __future__ import annotations

import base64

import pytest
from django.utils import timezone

from parties.tokens import hash_token
from tests.factories import PlatformRoleFactory, party_platform

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
    b'{"id": "L1", "kwh": 1e309, "total_energy": -1e309, "last_updated": "9999-12-31T23:59:59Z"}',
    b'{"id": "L\\u0000", "country_code": "N\\u0000", "\\u0000": 1}',
    b'{"max_voltage": true, "evses": [{"uid": "E1", "connectors": [{"max_voltage": "230"}]}], "offset": 1e400}',
]


@pytest.fixture
def caller(db):
    platform = party_platform(
        "both",
        "CPO",
        "NL",
        "CPO",
        version="2.2.1",
        token_in_hash=hash_token(TOKEN),
        registered_at=timezone.now(),
        token_out="peer-token",
        versions_url="http://127.0.0.1:9/versions",
    )
    PlatformRoleFactory(platform=platform, role="EMSP", country_code="NL", party_id="EMS")
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


# --- each input class of issue 13, field by field across the modules ---------------------------------------------

NL_CPO = {"country_code": "NL", "party_id": "CPO"}
NL_EMS = {"country_code": "NL", "party_id": "EMS"}
FAR_FUTURE = "9999-12-31T23:59:59Z"


def _bodies(version: str) -> dict[str, tuple[str, str, dict]]:
    """A valid body of every module the caller can push: path, method, body."""
    from tests.bodies import cdr_body, location, record_body, session_body, tariff

    token = {
        **NL_EMS,
        "uid": "U1",
        "type": "RFID",
        "contract_id": "NL-EMS-C0001",
        "issuer": "eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-05-01T10:00:00Z",
    }
    return {
        "location": ("receiver/locations/NL/CPO/L1", "PUT", location("L1")),
        "tariff": ("receiver/tariffs/NL/CPO/T1", "PUT", tariff("T1", version=version)),
        "session": ("receiver/sessions/NL/CPO/S1", "PUT", session_body(version, cpo=NL_CPO, session_id="S1")),
        "cdr": ("receiver/cdrs", "POST", cdr_body(version, cpo=NL_CPO, cdr_id="C1")),
        "token": ("receiver/tokens/NL/EMS/U1", "PUT", token),
        "error": ("receiver/chargex-errors/NL/CPO/ER1", "PUT", record_body("ER1", location_id="L1")),
    }


# (module, field path, value as JSON text, what the message says): every value must answer 2001 naming the field
CASES = [
    # numbers beyond the float range (parsed as infinity)
    ("location", "evses.0.connectors.0.max_voltage", "1e309", "valid integer"),
    ("tariff", "elements.0.price_components.0.price", "1e309", "finite"),
    ("tariff", "elements.0.price_components.0.price", "-1e309", "finite"),
    ("session", "kwh", "1e309", "finite"),
    ("session", "charging_periods.0.dimensions.0.volume", "-1e309", "finite"),
    ("cdr", "total_energy", "1e309", "finite"),
    ("cdr", "total_time", "-1e309", "finite"),
    # NUL characters in strings and ids
    ("location", "name", '"Station\\u0000"', "NUL"),
    ("location", "evses.0.status_text", '"x\\u0000"', "NUL"),  # even in a field the hub ignores
    ("tariff", "currency", '"E\\u0000R"', "NUL"),
    ("session", "meter_id", '"\\u0000"', "NUL"),
    ("cdr", "cdr_location.evse_id", '"NL*CPO\\u0000"', "NUL"),
    ("token", "issuer", '"eMSP\\u0000"', "NUL"),
    ("error", "description", '"hot\\u0000"', "NUL"),
    # booleans and strings as numbers
    ("location", "evses.0.connectors.0.max_voltage", "true", "valid integer"),
    ("location", "evses.0.connectors.0.max_voltage", '"230"', "valid integer"),
    ("tariff", "elements.0.price_components.0.step_size", "false", "valid integer"),
    ("session", "kwh", '"2.0"', "valid number"),
    ("cdr", "total_energy", "true", "valid number"),
    ("location", "publish", '"yes"', "valid boolean"),
    # impossible values
    ("location", "evses.0.connectors.0.max_voltage", "-230", "greater than or equal to 0"),
    ("location", "evses.0.connectors.0.max_amperage", "1000000000000000000000000000000", "less than or equal"),
    ("location", "evses.0.connectors.0.max_electric_power", "-1", "greater than or equal to 0"),
    ("tariff", "elements.0.price_components.0.price", "1e30", "less than or equal"),
    ("session", "kwh", "-2", "greater than or equal to 0"),
    # last_updated far in the future
    ("location", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("location", "evses.0.last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("tariff", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("session", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("cdr", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("token", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
    ("error", "last_updated", f'"{FAR_FUTURE}"', "hub's clock"),
]

_MARK = "__hostile_value__"


def _with_value(body: dict, path: str, value: str) -> bytes:
    """The body as JSON text with ``value`` (JSON text, e.g. ``1e309``) at ``path``."""
    import json

    node = body
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = _MARK
    return json.dumps(body).replace(f'"{_MARK}"', value).encode()


def _named(path: str) -> str:
    """How the hub names the field: ``evses[0].connectors[0].max_voltage``."""
    import re

    return re.sub(r"\.(\d+)", r"[\1]", path)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize(("module", "path", "value", "says"), CASES)
def test_hostile_values_answer_2001_naming_the_field_and_store_nothing(
    client, caller, version, module, path, value, says
):
    from cdrs.models import Cdr
    from errors.models import ErrorRecord
    from locations.models import Location
    from parties.models import Delivery
    from sessions.models import Session
    from tariffs.models import Tariff
    from tokens.models import Token

    url, method, body = _bodies(version)[module]
    response = client.generic(
        method, f"/ocpi/{version}/{url}", _with_value(body, path, value), content_type="application/json", **_auth()
    )
    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["status_code"] == 2001, answer
    assert _named(path) in answer["status_message"], answer
    assert says in answer["status_message"], answer
    for model in (Location, Tariff, Session, Cdr, Token, ErrorRecord, Delivery):
        assert not model.objects.exists(), model


def _auth() -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Token " + base64.b64encode(TOKEN.encode()).decode()}


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_the_valid_bodies_of_the_cases_above_are_accepted(client, caller, version):
    """The refusals above are the hostile values', not the bodies' (Sessions and CDRs need their eMSP to be
    known: their valid forms are covered by the module flows)."""
    for module in ("location", "tariff", "token", "error"):
        url, method, body = _bodies(version)[module]
        import json

        response = client.generic(method, f"/ocpi/{version}/{url}", json.dumps(body), **_auth())
        assert response.json()["status_code"] == 1000, (module, response.content)


NUL_PATHS = [
    "sender/locations/L%00",
    "sender/locations/L1/E%001",
    "receiver/locations/NL/CPO/L%001",
    "receiver/tariffs/NL/CPO/T%00",
    "receiver/sessions/NL/CP%00/S1",
    "receiver/cdrs/NL/CPO/C%001",
    "receiver/tokens/NL/EMS/U%00",
    "sender/tokens/U%00/authorize",
    "sender/sessions/S%00/charging_preferences",
    "receiver/chargex-errors/NL/CPO/E%00",
    "sender/locations?date_from=2024-01-01T00:00:00Z%00",
    "sender/cdrs?offset=1&x=%00",
]


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("path", NUL_PATHS)
def test_nul_characters_in_the_url_answer_2001(client, caller, version, path):
    answered = {}
    for method in ("GET", "PUT", "PATCH", "DELETE", "POST"):
        response = client.generic(method, f"/ocpi/{version}/{path}", b"{}", content_type="application/json", **_auth())
        if response.status_code != 405:  # methods the endpoint has
            answered[method] = (response.status_code, response.json()["status_code"], response.json()["status_message"])
    assert answered, path
    for method, (http_status, ocpi_status, message) in answered.items():
        assert (http_status, ocpi_status) == (200, 2001), (method, path, message)
        assert "NUL" in message, (method, path, message)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize(
    "path", ["sender/locations", "sender/tariffs", "sender/sessions", "sender/cdrs", "sender/tokens"]
)
def test_paging_filters_and_offsets_at_the_edges(client, caller, version, path):
    for query in ("offset=18573898069036597248", f"offset={2**64}", f"offset={2**200}&limit={2**70}"):
        response = client.get(f"/ocpi/{version}/{path}?{query}", **_auth())
        assert response.status_code == 200, (query, response.content)
        assert (response.json()["status_code"], response.json()["data"]) == (1000, []), query
    for query in ("date_from=", "date_to=", "date_from=&date_to=2024-01-01T00:00:00Z", "date_to=%20"):
        response = client.get(f"/ocpi/{version}/{path}?{query}", **_auth())
        answer = response.json()
        assert answer["status_code"] == 2001, (query, answer)
        assert query.split("=")[0] in answer["status_message"], (query, answer)


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize("path", PATHS)
def test_options_answers_an_envelope(client, caller, version, path):
    response = client.options(f"/ocpi/{version}/{path}", **_auth())
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == {"status_code", "timestamp"}, answer
    assert answer["status_code"] == 1000, answer
    assert "OPTIONS" in response["Allow"]


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
@pytest.mark.parametrize(("path", "method"), [("receiver/locations/NL/CPO/L1", "PUT"), ("receiver/cdrs", "POST")])
def test_oversized_bodies_answer_413_with_2001(client, caller, settings, version, path, method):
    settings.OCPI_HUB_MAX_BODY_BYTES = 10_000
    body = b'{"id": "' + b"A" * 10_000 + b'"}'
    response = client.generic(method, f"/ocpi/{version}/{path}", body, content_type="application/json", **_auth())
    assert response.status_code == 413, response.content
    answer = response.json()
    assert answer["status_code"] == 2001, answer
    assert "10000 bytes" in answer["status_message"], answer


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_too_many_nested_objects_answer_2001_naming_the_list(client, caller, settings, version):
    import json

    settings.OCPI_HUB_MAX_EVSES = settings.OCPI_HUB_MAX_CHARGING_PERIODS = settings.OCPI_HUB_MAX_TARIFF_ELEMENTS = 2
    bodies = _bodies(version)
    bodies["location"][2]["evses"] = [{**bodies["location"][2]["evses"][0], "uid": f"E{i}"} for i in range(3)]
    for module in ("session", "cdr"):
        bodies[module][2]["charging_periods"] *= 3
    bodies["tariff"][2]["elements"] *= 3
    lists = {"location": "evses", "session": "charging_periods", "cdr": "charging_periods", "tariff": "elements"}
    for module, field in lists.items():
        url, method, body = bodies[module]
        response = client.generic(method, f"/ocpi/{version}/{url}", json.dumps(body), **_auth())
        answer = response.json()
        assert answer["status_code"] == 2001, (module, answer)
        assert answer["status_message"].startswith(f"{field}: at most 2 items"), (module, answer)


def test_the_allowed_clock_skew_is_a_setting_and_only_inbound_objects_are_checked(settings):
    from datetime import UTC, datetime, timedelta

    from pydantic import ValidationError

    from locations.wire import parse_location, render_location
    from tests.bodies import location

    soon = (datetime.now(UTC) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = location("L1", last_updated=soon)
    with pytest.raises(ValidationError, match=r"last_updated\n.*hub's clock \(\+300"):
        parse_location("2.2.1", body)
    settings.OCPI_HUB_MAX_CLOCK_SKEW = 3600
    assert parse_location("2.2.1", body)["last_updated"] == soon
    settings.OCPI_HUB_MAX_CLOCK_SKEW = 60
    with pytest.raises(ValidationError, match=r"hub's clock \(\+60"):
        parse_location("2.2.1", body)
    assert render_location(body, "2.2.1")["last_updated"] == soon  # what the hub stored is rendered as it is


PARKING = {"id": "P1", "vehicle_types": ["BUS"], "restricted_to_type": False, "reservation_required": False}
PATCHES = [
    ("location", {"parking_places": [{**PARKING, "max_vehicle_weight": float("inf")}]}, "parking_places[0]"),
    ("location", {"publish": "false"}, "publish"),
    ("location", {"last_updated": FAR_FUTURE}, "last_updated"),
    ("token", {"valid": "yes"}, "valid"),
    ("token", {"last_updated": FAR_FUTURE}, "last_updated"),
    ("error", {"last_updated": FAR_FUTURE}, "last_updated"),
]


def _stored_models() -> dict:
    from errors.models import ErrorRecord
    from locations.models import Location
    from tokens.models import Token

    return {"location": Location, "token": Token, "error": ErrorRecord}


@pytest.mark.parametrize(("module", "patch", "field"), PATCHES)
def test_hostile_patches_of_stored_objects_answer_2001_and_change_nothing(client, caller, module, patch, field):
    import json

    bodies = _bodies("2.3.0")
    for name in ("location", module):
        url, method, body = bodies[name]
        assert client.generic(method, f"/ocpi/2.3.0/{url}", json.dumps(body), **_auth()).json()["status_code"] == 1000
    url, _, body = bodies[module]
    patch = {"last_updated": "2024-06-01T00:00:00Z", **patch}
    models = _stored_models()
    stored = {name: list(model.objects.values_list("last_updated")) for name, model in models.items()}
    text = json.dumps(patch).replace("Infinity", "1e309")
    response = client.generic("PATCH", f"/ocpi/2.3.0/{url}", text, **_auth())
    answer = response.json()
    assert (response.status_code, answer["status_code"]) == (200, 2001), answer
    assert answer["status_message"].startswith(field), answer
    assert stored == {name: list(model.objects.values_list("last_updated")) for name, model in models.items()}
