"""Forward compatibility (issue 12): fields the hub does not know travel between parties of the same OCPI version
(a newer 2.3.x minor, a peer's extension), never into another version's rendering; the known part of every push
still validates against the official schema. Real HTTP between the hub and test parties."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ocpi_hub.api.unknown import UNKNOWN, add_unknown, keep_unknown
from ocpi_party.party import OcpiParty
from parties.outbound import join_url
from sessions.tests.charging import deliver_pending
from tests.bodies import (
    CPO_A,
    CPO_ROLE,
    EMSP_221_ROLE,
    EMSP_230_ROLE,
    EMSP_Y,
    cdr_body,
    cdr_token,
    connector,
    evse,
    location,
    session_body,
    tariff,
)
from tests.factories import register
from tests.ocpi_schema import requires_openapi, validate_object
from tokens.wire import Token221, Token230

pytestmark = pytest.mark.django_db(transaction=True)

FUTURE = {"future_field": {"nested": [1, "two"]}, "x_vendor_flag": True}


def _without(body: dict[str, Any], names: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in names}


@pytest.fixture
def location_parties(hub):
    with (
        OcpiParty(version="2.3.0", roles=[CPO_ROLE]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_230_ROLE]) as same,
        OcpiParty(version="2.2.1", roles=[EMSP_221_ROLE]) as other,
    ):
        register(hub.url, cpo, "CPO 2.3.0")
        register(hub.url, same, "eMSP 2.3.0")
        register(hub.url, other, "eMSP 2.2.1")
        yield cpo, same, other


def _last_push(party: OcpiParty, module: str) -> dict[str, Any]:
    return party.requests_to(module, "PUT")[-1].body


@requires_openapi
def test_unknown_location_evse_and_connector_fields_reach_the_same_version_only(location_parties):
    cpo, same, other = location_parties
    plug = connector("1", **{"x_vendor_plug": "TYPE_FUTURE"})
    body = location("LOC1", evses=[evse("E1", connectors=[plug], evse_future={"level": 2})], **FUTURE)
    base = cpo.hub_url("locations", "RECEIVER")
    assert cpo.call("PUT", join_url(base, "NL", "CPO", "LOC1"), body).json()["status_code"] == 1000

    assert deliver_pending("locations") == ["succeeded", "succeeded"]
    to_same = _last_push(same, "locations")
    assert {key: to_same[key] for key in FUTURE} == FUTURE
    assert to_same["evses"][0]["evse_future"] == {"level": 2}
    assert to_same["evses"][0]["connectors"][0]["x_vendor_plug"] == "TYPE_FUTURE"
    validate_object("2.3.0", "location", to_same)
    to_other = _last_push(other, "locations")
    assert not FUTURE.keys() & to_other.keys()
    assert "evse_future" not in to_other["evses"][0]
    assert "x_vendor_plug" not in to_other["evses"][0]["connectors"][0]
    validate_object("2.2.1", "location", to_other)

    pulled_same = same.call("GET", same.hub_url("locations", "SENDER")).json()["data"][0]
    pulled_other = other.call("GET", other.hub_url("locations", "SENDER")).json()["data"][0]
    assert (pulled_same["future_field"], "future_field" in pulled_other) == (FUTURE["future_field"], False)


def test_a_patch_keeps_the_unknown_fields_and_may_add_some(location_parties):
    cpo, same, _ = location_parties
    body = location("LOC1", evses=[evse("E1", evse_future={"level": 2})], **FUTURE)
    base = cpo.hub_url("locations", "RECEIVER")
    cpo.call("PUT", join_url(base, "NL", "CPO", "LOC1"), body)
    patch = {"status": "CHARGING", "evse_more": "yes", "last_updated": "2024-05-01T13:00:00Z"}
    assert cpo.call("PATCH", join_url(base, "NL", "CPO", "LOC1", "E1"), patch).json()["status_code"] == 1000

    stored = cpo.call("GET", join_url(base, "NL", "CPO", "LOC1")).json()["data"]
    assert stored["future_field"] == FUTURE["future_field"]
    assert (stored["evses"][0]["evse_future"], stored["evses"][0]["evse_more"]) == ({"level": 2}, "yes")
    assert "_unknown" not in stored
    assert "_unknown" not in stored["evses"][0]


def test_unknown_tariff_fields_reach_the_same_version_only(location_parties):
    cpo, same, other = location_parties
    url = join_url(cpo.hub_url("tariffs", "RECEIVER"), "NL", "CPO", "T1")
    assert cpo.call("PUT", url, tariff("T1", **FUTURE)).json()["status_code"] == 1000

    assert deliver_pending("tariffs") == ["succeeded", "succeeded"]
    assert {key: _last_push(same, "tariffs")[key] for key in FUTURE} == FUTURE
    assert not FUTURE.keys() & _last_push(other, "tariffs").keys()


def test_unknown_token_fields_reach_cpos_of_the_same_version_only(hub):
    emsp_role = {"role": "EMSP", "country_code": "DE", "party_id": "TNM"}
    with (
        OcpiParty(version="2.2.1", roles=[emsp_role]) as emsp,
        OcpiParty(version="2.2.1", roles=[CPO_A]) as same,
        OcpiParty(version="2.3.0", roles=[{**CPO_A, "party_id": "CPB"}]) as other,
    ):
        for party, name in ((emsp, "eMSP"), (same, "CPO 2.2.1"), (other, "CPO 2.3.0")):
            register(hub.url, party, name)
        token = {
            "country_code": "DE",
            "party_id": "TNM",
            "uid": "U1",
            "type": "RFID",
            "contract_id": "DE8ACC12E46L89",
            "issuer": "TNM",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": "2024-03-01T10:00:00Z",
            **FUTURE,
        }
        url = join_url(emsp.hub_url("tokens", "RECEIVER"), "DE", "TNM", "U1")
        assert emsp.call("PUT", url, token).json()["status_code"] == 1000

        assert deliver_pending("tokens") == ["succeeded", "succeeded"]
        assert _last_push(same, "tokens") == token
        assert _last_push(other, "tokens") == _without(token, FUTURE)


def test_unknown_session_and_cdr_fields_reach_an_emsp_of_the_same_version_only(parties):
    cpo, other, same = parties  # CPO A 2.2.1; eMSP X 2.3.0 owns TOKEN1; eMSP Y 2.2.1
    sessions = cpo.hub_url("sessions", "RECEIVER")
    for session_id, owner in (("S-SAME", EMSP_Y), ("S-OTHER", None)):
        extra = {"cdr_token": cdr_token(owner)} if owner else {}
        body = session_body(session_id=session_id, **extra, **FUTURE)
        assert cpo.call("PUT", join_url(sessions, "NL", "CPA", session_id), body).json()["status_code"] == 1000
    for cdr_id, owner in (("C-SAME", EMSP_Y), ("C-OTHER", None)):
        extra = {"cdr_token": cdr_token(owner)} if owner else {}
        body = cdr_body(cdr_id=cdr_id, session_id=None, **extra, **FUTURE)
        assert cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), body).status_code == 201

    assert deliver_pending("sessions") == ["succeeded", "succeeded"]
    assert deliver_pending("cdrs") == ["succeeded", "succeeded"]
    assert {key: _last_push(same, "sessions")[key] for key in FUTURE} == FUTURE
    assert not FUTURE.keys() & _last_push(other, "sessions").keys()
    assert {key: same.requests_to("cdrs", "POST")[-1].body[key] for key in FUTURE} == FUTURE
    assert not FUTURE.keys() & other.requests_to("cdrs", "POST")[-1].body.keys()
    pulled = same.call("GET", same.hub_url("cdrs", "SENDER")).json()["data"]
    assert [cdr["future_field"] for cdr in pulled] == [FUTURE["future_field"]]


def test_kept_fields_belong_to_the_version_of_the_last_write():
    stored = keep_unknown({"uid": "U1"}, {"uid": "U1", "a": 1}, "2.3.0", Token230)
    assert stored[UNKNOWN] == {"version": "2.3.0", "fields": {"a": 1}}
    patched = keep_unknown({"uid": "U1"}, {**stored, "b": 2}, "2.3.0", Token230)
    assert patched[UNKNOWN] == {"version": "2.3.0", "fields": {"a": 1, "b": 2}}
    assert UNKNOWN not in keep_unknown({"uid": "U1"}, stored, "2.2.1", Token221)  # another version's write
    smuggled = {"uid": "U1", UNKNOWN: {"version": "2.2.1", "fields": {"x": 1}}}
    assert UNKNOWN not in keep_unknown({"uid": "U1"}, smuggled, "2.3.0", Token230)
    assert add_unknown({"uid": "U1"}, {UNKNOWN: {"version": "2.3.0", "fields": {"uid": "X"}}}, "2.3.0", Token230) == {
        "uid": "U1"
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'"a\\u0000b"', "future: must not contain NUL characters"),
        (b'{"k\\u0000": 1}', "future: field names must not contain NUL characters"),
        (b"[1e309]", "future: must hold finite numbers only"),
        (b"[" * 40 + b"]" * 40, "future: nested more than 32 levels deep"),
    ],
)
def test_unknown_fields_the_database_cannot_hold_are_2001_and_nothing_is_stored(location_parties, raw, message):
    cpo, _, _ = location_parties
    body = json.dumps(location("LOC1", evses=[evse("E1")])).encode()
    url = join_url(cpo.hub_url("locations", "RECEIVER"), "NL", "CPO", "LOC1")
    top = cpo.call("PUT", url, data=body[:-1] + b', "future": ' + raw + b"}")
    nested = body.replace(b'"uid": "E1"', b'"uid": "E1", "future": ' + raw)
    below = cpo.call("PUT", url, data=nested)

    assert (top.status_code, top.json()["status_code"], top.json()["status_message"]) == (200, 2001, message)
    assert (below.json()["status_code"], below.json()["status_message"]) == (2001, f"evses[0].{message}")
    assert cpo.call("GET", url).status_code == 404
