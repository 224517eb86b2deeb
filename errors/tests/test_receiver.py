"""Receiver interface (CPO -> hub): every validation rule with a failing and a passing case, over HTTP
(Django test client), asserting that a rejected push stores nothing and queues nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from errors.models import ErrorRecord
from errors.tests.helpers import auth, make_location, make_platform, make_session
from parties.models import Delivery
from tests.bodies import MINUTE, record_body, ts

pytestmark = pytest.mark.django_db
BASE = "/ocpi/{version}/receiver/chargex-errors"


@pytest.fixture
def cpo():
    platform = make_platform("cpo", "CPO", "NL", "CPO")
    make_location(platform)
    make_platform("emsp", "EMSP", "NL", "EMS", opted_in=True)  # a receiver, so a stored record queues a delivery
    return platform


def push(
    client,
    body: Any,
    *,
    record_id: str = "ERR1",
    method: str = "put",
    version: str = "2.2.1",
    who: str = "cpo",
    owner: str = "NL/CPO",
) -> dict[str, Any]:
    url = f"{BASE.format(version=version)}/{owner}/{record_id}"
    response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json", **auth(who))
    assert response.status_code == 200, response.content
    return response.json()


def assert_rejected(reply: dict[str, Any], field: str) -> None:
    assert reply["status_code"] == 2001, reply
    assert reply["status_message"].startswith(f"{field}:") or f" {field}" in reply["status_message"], reply
    assert ErrorRecord.objects.count() == 0
    assert Delivery.objects.count() == 0


def assert_stored(reply: dict[str, Any], record_id: str = "ERR1") -> ErrorRecord:
    assert reply["status_code"] == 1000, reply
    record = ErrorRecord.objects.get(record_key=record_id.upper())
    assert Delivery.objects.filter(module="chargex-errors", object_key=record.object_key).count() == 1
    return record


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_valid_record_is_stored_in_both_versions(client, cpo, version):
    record = assert_stored(push(client, record_body(code="cx003"), version=version))
    assert (record.scheme, record.code, record.severity, record.source) == ("MREC", "CX003", 6, "EVSE")
    assert record.document["code"] == "CX003"
    assert (record.location_id, record.evse_uid, record.connector_id) == ("LOC1", "E1", "1")
    assert record.cleared_at is None
    assert record.owner == cpo
    assert not record.is_private


def test_unknown_location_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(location_id="LOC9")), "location_id")


def test_location_of_another_cpo_is_rejected(client, cpo):
    other = make_platform("other", "CPO", "DE", "CPB")
    make_location(other, "LOC7", country_code="DE", party_id="CPB")
    assert_rejected(push(client, record_body(location_id="LOC7")), "location_id")


def test_unknown_evse_and_connector_are_rejected(client, cpo):
    assert_rejected(push(client, record_body(evse_uid="E9")), "evse_uid")
    assert_rejected(push(client, record_body(evse_uid="E2", connector_id="2")), "connector_id")
    assert_stored(push(client, record_body(location_id="loc1", evse_uid="e2", connector_id=None)))


def test_cleared_before_occurred_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(occurred_at=ts(10 * MINUTE), cleared_at=ts(9 * MINUTE))), "cleared_at")
    record = assert_stored(
        push(client, record_body(occurred_at=ts(10 * MINUTE), cleared_at=ts(10 * MINUTE), last_updated=ts(10 * MINUTE)))
    )
    assert record.cleared_at == record.occurred_at


def test_cause_must_be_a_stored_record_of_the_same_cpo(client, cpo):
    assert_rejected(push(client, record_body("ERR2", cause_id="ERR1"), record_id="ERR2"), "cause_id")
    assert_rejected(push(client, record_body(cause_id="err1")), "cause_id")  # itself
    assert_stored(push(client, record_body()))
    effect = assert_stored(push(client, record_body("ERR2", cause_id="err1"), record_id="ERR2"), "ERR2")
    assert effect.cause == ErrorRecord.objects.get(record_key="ERR1")


def test_cause_of_another_cpo_is_rejected(client, cpo):
    other = make_platform("other", "CPO", "DE", "CPB")
    make_location(other, "LOC1", country_code="DE", party_id="CPB")
    body = record_body("X1", country_code="DE", party_id="CPB")
    assert push(client, body, record_id="X1", who="other", owner="DE/CPB")["status_code"] == 1000
    reply = push(client, record_body(cause_id="X1"))
    assert reply["status_code"] == 2001
    assert reply["status_message"].startswith("cause_id:")
    assert not ErrorRecord.objects.filter(country_code="NL").exists()


@pytest.mark.parametrize("severity", [10, -1, "3", True, 2.5, None])
def test_severity_outside_0_9_is_rejected(client, cpo, severity):
    body = record_body(severity=severity)
    if severity is None:
        body.pop("severity", None)
    assert_rejected(push(client, body), "severity")


@pytest.mark.parametrize("severity", [0, 9])
def test_severity_bounds_are_accepted(client, cpo, severity):
    assert assert_stored(push(client, record_body(severity=severity))).severity == severity


def test_unknown_scheme_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(scheme="OCPP201")), "scheme")
    assert_rejected(push(client, record_body(scheme="mrec")), "scheme")  # enums are case-sensitive


@pytest.mark.parametrize(
    ("scheme", "code"),
    [("DIN_DKE_99003", "InsulationFault"), ("OCPP16", "GroundFailure"), ("VENDOR", "E-4711"), ("MREC", "CX026")],
)
def test_every_scheme_is_accepted(client, cpo, scheme, code):
    record = assert_stored(push(client, record_body(scheme=scheme, code=code, vendor_id="com.example")))
    assert (record.scheme, record.code) == (scheme, code)


@pytest.mark.parametrize("code", ["CX027", "CX000", "CX1", "GroundFailure"])
def test_code_outside_the_mrec_catalog_is_rejected_naming_it(client, cpo, code):
    reply = push(client, record_body(code=code))
    assert_rejected(reply, "code")
    assert code in reply["status_message"]


def test_unknown_source_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(source="CAR")), "source")


@pytest.mark.parametrize("source", ["EVSE", "EV", "GRID", "NETWORK", "USER"])
def test_every_source_is_accepted(client, cpo, source):
    assert assert_stored(push(client, record_body(source=source))).source == source


@pytest.mark.parametrize(
    "field", ["id", "location_id", "evse_uid", "scheme", "code", "source", "occurred_at", "last_updated"]
)
def test_missing_required_field_is_named(client, cpo, field):
    body = record_body()
    del body[field]
    assert_rejected(push(client, body), field)


def test_optional_fields_may_be_null(client, cpo):
    body = record_body(connector_id=None)
    body.update({"connector_id": None, "cleared_at": None, "cause_id": None, "session_id": None, "description": None})
    assert_stored(push(client, body))


def test_non_utc_timestamp_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(occurred_at="2024-05-01T14:00:00+02:00")), "occurred_at")


def test_url_and_body_must_agree(client, cpo):
    assert_rejected(push(client, record_body("ERR2")), "id")
    assert_rejected(push(client, record_body(party_id="CPX")), "party_id")


def test_cpo_cannot_push_for_another_party(client, cpo):
    make_platform("other", "CPO", "DE", "CPB")
    reply = push(client, record_body(country_code="DE", party_id="CPB"), owner="DE/CPB")
    assert reply["status_code"] == 2001
    assert "not one of your registered roles" in reply["status_message"]
    assert ErrorRecord.objects.count() == 0


def test_unknown_cdr_is_rejected(client, cpo):
    assert_rejected(push(client, record_body(cdr_id="CDR9")), "cdr_id")


def test_session_must_exist_for_that_cpo(client, cpo):
    emsp = make_platform("emsp2", "EMSP", "BE", "EMB", opted_in=True)
    assert_rejected(push(client, record_body(session_id="S1")), "session_id")
    make_session(cpo, emsp, "S1", receiver_party=("BE", "EMB"))
    record = assert_stored(push(client, record_body(session_id="s1")))
    assert (record.is_private, record.private_to, record.private_to_party) == (True, emsp, "BE/EMB")
    assert Delivery.objects.get().receiver == emsp  # only that session's eMSP


def test_stale_put_is_acknowledged_but_ignored(client, cpo):
    assert_stored(push(client, record_body(severity=3, last_updated=ts(5 * MINUTE))))
    reply = push(client, record_body(severity=1, last_updated=ts(4 * MINUTE)))
    assert reply["status_code"] == 1000
    assert "older" in reply["status_message"]
    assert ErrorRecord.objects.get().severity == 3
    assert Delivery.objects.count() == 1
