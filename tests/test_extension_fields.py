"""chargex-errors extension fields on Sessions and CDRs, end to end over real HTTP (docs/modules/sessions.md,
docs/modules/cdrs.md, docs/data-quality.md).

eMSP X (2.3.0) opted in: it lists ``("chargex-errors", "RECEIVER")`` in its version details. eMSP Y (2.2.1) did
not, so it must get plain OCPI: no extension key at all. The official 2.2.1 schema allows additional properties,
so ``assert_plain_ocpi`` checks the keys against the schema's properties explicitly as well.
The quality checks are covered one by one in ``cdrs/tests/test_quality.py``; here each is seen through HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from cdrs.models import Cdr
from errors.models import ErrorRecord
from ocpi_party.party import OcpiParty
from parties.extension import CDR_EXTENSION_FIELDS, SESSION_EXTENSION_FIELDS, STRIPPED_FIELDS
from parties.models import Platform
from sessions.models import Session
from sessions.tests.charging import deliver_pending
from tests.bodies import CPO_A, CPO_B, EMSP_X, EMSP_Y, cdr_body, cdr_token, period, session_body
from tests.factories import register
from tests.ocpi_schema import component_index, requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)

OPTED_IN_MODULES = [
    ("sessions", "RECEIVER"),
    ("cdrs", "RECEIVER"),
    ("hubclientinfo", "RECEIVER"),
    ("chargex-errors", "RECEIVER"),
]
V2G: dict[str, Any] = {"energy_exported_kwh": 1.5, "direction": "BIDIRECTIONAL"}
ERROR_SUMMARY: dict[str, Any] = {"id": "ERR1", "scheme": "MREC", "code": "CX019", "severity": 2}
V2G_PERIODS = [period("2024-05-01T10:00:00Z", ENERGY=10.0, TIME=1.5), period("2024-05-01T11:30:00Z", PARKING_TIME=0.5)]


@pytest.fixture
def parties(hub):
    """CPO A (2.2.1), eMSP X (2.3.0, opted in) and eMSP Y (2.2.1, plain OCPI), registered with the hub."""
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X], modules=OPTED_IN_MODULES) as emsp_x,
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        register(hub.url, emsp_y, "eMSP Y")
        yield cpo, emsp_x, emsp_y


def stored_error_record(owner: str, record_id: str = "ERR1", *, party: dict = CPO_A, **changes: Any) -> ErrorRecord:
    """An ErrorRecord row as the errors app stores it (only the columns the checks read matter)."""
    moment = datetime(2024, 5, 1, 10, 15, tzinfo=UTC)
    fields = {"scheme": "MREC", "code": "CX019", "severity": 2, **changes}
    return ErrorRecord.objects.create(
        owner=Platform.objects.get(name=owner),
        country_code=party["country_code"],
        party_id=party["party_id"],
        record_id=record_id,
        record_key=record_id.upper(),
        location_id="LOC1",
        evse_uid="EVSE1",
        source="EVSE",
        occurred_at=moment,
        last_updated=moment,
        document={"id": record_id},
        **fields,
    )


def session_url(cpo: OcpiParty, session_id: str = "S1", owner: dict = CPO_A) -> str:
    return f"{cpo.hub_url('sessions', 'RECEIVER')}/{owner['country_code']}/{owner['party_id']}/{session_id}"


def put_session(cpo: OcpiParty, body: dict, *, owner: dict = CPO_A) -> dict:
    response = cpo.call("PUT", session_url(cpo, body["id"], owner), body)
    assert response.status_code == 200, response.text
    return response.json()


def post_cdr(cpo: OcpiParty, body: dict) -> dict:
    return cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), body).json()


def sender_list(party: OcpiParty, module: str) -> list[dict]:
    answer = party.call("GET", party.hub_url(module, "SENDER")).json()
    assert answer["status_code"] == 1000
    return answer["data"]


def codes(answer: dict) -> str:
    return answer.get("status_message") or ""


def official_properties(version: str, schema_name: str) -> set[str]:
    uri, name = component_index(version)[schema_name]
    with open(unquote(urlsplit(uri).path), encoding="utf-8") as handle:
        schema = yaml.safe_load(handle)["components"]["schemas"][name]
    return set(schema["properties"])


def assert_plain_ocpi(version: str, schema_name: str, payload: dict) -> None:
    """Valid against the official schema, and without any key the official object does not have (the schema
    itself allows additional properties, a strict receiver does not)."""
    validate_object(version, schema_name, payload)
    assert payload.keys().isdisjoint(STRIPPED_FIELDS), payload.keys() & set(STRIPPED_FIELDS)
    assert payload.keys() <= official_properties(version, schema_name), payload.keys() - official_properties(
        version, schema_name
    )


def extension_of(payload: dict, fields: tuple[str, ...]) -> dict:
    return {name: payload[name] for name in fields if name in payload}


# --- opt-in on output ---------------------------------------------------------------------------------------------


@requires_openapi
def test_sessions_carry_extension_fields_only_to_the_emsp_that_opted_in(parties):
    cpo, emsp_x, emsp_y = parties
    stored_error_record("CPO A")
    extension: dict[str, Any] = {**V2G, "error_records": [ERROR_SUMMARY]}
    completed: dict[str, Any] = {"status": "COMPLETED", "end_date_time": "2024-05-01T11:00:00Z"}
    v2g_periods = [period("2024-05-01T10:00:00Z", ENERGY=2.0, ENERGY_EXPORT=1.5)]
    for_x = session_body(charging_periods=v2g_periods, **completed, **extension)
    for_y = session_body(
        session_id="S2", cdr_token=cdr_token(EMSP_Y), charging_periods=v2g_periods, **completed, **extension
    )
    for body in (for_x, for_y):
        answer = put_session(cpo, body)
        assert (answer["status_code"], answer.get("status_message")) == (1000, None)  # consistent: no warnings
    assert extension_of(Session.objects.get(session_id="S2").document, SESSION_EXTENSION_FIELDS) == extension
    assert deliver_pending("sessions") == ["succeeded", "succeeded"]

    pushed_x = emsp_x.requests_to("sessions", "PUT")[-1].body
    assert extension_of(pushed_x, SESSION_EXTENSION_FIELDS) == extension
    validate_object("2.3.0", "session", pushed_x)
    assert extension_of(sender_list(emsp_x, "sessions")[0], SESSION_EXTENSION_FIELDS) == extension

    assert_plain_ocpi("2.2.1", "session", emsp_y.requests_to("sessions", "PUT")[-1].body)
    assert_plain_ocpi("2.2.1", "session", sender_list(emsp_y, "sessions")[0])
    # the owner's GET follows the same rule: CPO A did not opt in
    assert_plain_ocpi("2.2.1", "session", cpo.call("GET", session_url(cpo)).json()["data"])


@requires_openapi
def test_cdrs_carry_extension_fields_only_to_the_emsp_that_opted_in(parties):
    cpo, emsp_x, emsp_y = parties
    stored_error_record("CPO A")
    extension: dict[str, Any] = {**V2G, "error_records": [ERROR_SUMMARY], "session_type": "CHARGING"}
    assert post_cdr(cpo, cdr_body(session_id=None, **extension))["status_code"] == 1000
    for_y = cdr_body(cdr_id="CDR2", session_id=None, cdr_token=cdr_token(EMSP_Y), **extension)
    assert post_cdr(cpo, for_y)["status_code"] == 1000
    credit = cdr_body(cdr_id="CDR2-C", session_id=None, cdr_token=cdr_token(EMSP_Y), credit=True)
    assert post_cdr(cpo, {**credit, "credit_reference_id": "CDR2", "session_type": "FAILED"})["status_code"] == 1000
    stored = Cdr.objects.get(cdr_id="CDR2").document
    breakdown = stored["cost_breakdown"]  # the hub's tariff check, an extension field too
    assert extension_of(stored, CDR_EXTENSION_FIELDS) == {**extension, "cost_breakdown": breakdown}
    assert deliver_pending("cdrs") == ["succeeded"] * 3

    pushed_x = emsp_x.requests_to("cdrs", "POST")[-1].body
    assert extension_of(pushed_x, CDR_EXTENSION_FIELDS) == {**extension, "cost_breakdown": breakdown}
    validate_object("2.3.0", "cdr", pushed_x)
    assert extension_of(sender_list(emsp_x, "cdrs")[0], CDR_EXTENSION_FIELDS) == {
        **extension,
        "cost_breakdown": breakdown,
    }

    to_y = [request.body for request in emsp_y.requests_to("cdrs", "POST")]
    for payload in [*to_y, *sender_list(emsp_y, "cdrs")]:
        assert_plain_ocpi("2.2.1", "cdr", payload)
    # credit_reference_id is standard OCPI: kept for everyone
    assert [payload.get("credit_reference_id") for payload in to_y] == [None, "CDR2"]
    location = f"{cpo.hub_url('cdrs', 'RECEIVER')}/NL/CPA/CDR2"
    assert_plain_ocpi("2.2.1", "cdr", cpo.call("GET", location).json()["data"])


def test_patched_extension_fields_are_pushed_in_full_to_the_opted_in_emsp(parties):
    cpo, emsp_x, _ = parties
    stored_error_record("CPO A")
    put_session(cpo, session_body(direction="IMPORT"))
    patch = {"error_records": [ERROR_SUMMARY], "last_updated": "2024-05-01T10:40:00Z"}
    assert cpo.call("PATCH", session_url(cpo), patch).json()["status_code"] == 1000
    removal = {"direction": None, "last_updated": "2024-05-01T10:50:00Z"}
    assert cpo.call("PATCH", session_url(cpo), removal).json()["status_code"] == 1000
    assert deliver_pending("sessions") == ["succeeded"]  # the newest state supersedes the queued ones

    pushed = emsp_x.requests_to("sessions", "PUT")[-1].body
    assert pushed["error_records"] == [ERROR_SUMMARY]
    assert "direction" not in pushed
    assert Session.objects.get().quality_warnings == []


# --- validation (2001 naming the field) --------------------------------------------------------------------------

INVALID: list[tuple[dict[str, Any], str]] = [
    ({"energy_exported_kwh": -1}, "energy_exported_kwh"),
    ({"direction": "SIDEWAYS"}, "direction"),
    ({"error_records": [{"id": "ERR1", "code": "CX019", "severity": 12}]}, "error_records[0].severity"),
]


def test_invalid_extension_fields_are_2001_in_both_versions(parties, hub):
    cpo_a, _, _ = parties
    with OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo_b:
        register(hub.url, cpo_b, "CPO B")
        for cpo, owner, version in ((cpo_a, CPO_A, "2.2.1"), (cpo_b, CPO_B, "2.3.0")):
            cases: list[tuple[dict[str, Any], str]] = [*INVALID, ({"session_type": "IDLE"}, "session_type")]
            for changes, field in cases:
                cdr = post_cdr(cpo, cdr_body(version, cpo=owner, **changes))
                assert (cdr["status_code"], cdr["status_message"].split(":")[0]) == (2001, field), (version, cdr)
            for changes, field in INVALID:
                session = put_session(cpo, session_body(version, cpo=owner, **changes), owner=owner)
                assert (session["status_code"], session["status_message"].split(":")[0]) == (2001, field)
            assert not Session.objects.filter(country_code=owner["country_code"]).exists()
            assert not Cdr.objects.filter(country_code=owner["country_code"]).exists()
            valid: dict[str, Any] = {"energy_exported_kwh": 0, "direction": "IMPORT", "session_type": "CHARGING"}
            assert post_cdr(cpo, cdr_body(version, cpo=owner, session_id=None, **valid))["status_code"] == 1000
            del valid["session_type"]
            assert put_session(cpo, session_body(version, cpo=owner, **valid), owner=owner)["status_code"] == 1000


# --- quality checks that need stored error records ---------------------------------------------------------------


def test_error_records_must_name_stored_records_of_the_same_cpo(parties, hub):
    cpo, _, _ = parties
    stored_error_record("CPO A", "ERR1")
    with OcpiParty(version="2.2.1", roles=[CPO_B]) as cpo_b:
        register(hub.url, cpo_b, "CPO B")
        stored_error_record("CPO B", "ERR9", party=CPO_B)
    unknown = {"id": "ERR9", "code": "CX019", "severity": 2}  # a record of CPO B, not of CPO A

    answer = put_session(cpo, session_body(error_records=[ERROR_SUMMARY, unknown]))
    assert answer["status_code"] == 1000
    assert "error_records[1].id: no error record NL/CPA/ERR9 [ERROR_RECORD_UNKNOWN]" in codes(answer)
    assert Session.objects.get().warning_codes == "|ERROR_RECORD_UNKNOWN|"
    cdr = post_cdr(cpo, cdr_body(error_records=[dict(ERROR_SUMMARY, id="err1", severity=5)]))
    assert cdr["status_code"] == 1000
    assert "error_records[0].severity: 5, but error record NL/CPA/err1 has 2 [ERROR_RECORD_MISMATCH]" in codes(cdr)

    clean = post_cdr(cpo, cdr_body(cdr_id="CDR2", error_records=[ERROR_SUMMARY]))
    assert (clean["status_code"], clean.get("status_message")) == (1000, None)
    Platform.objects.filter(name="CPO A").update(strictness="strict")
    strict = post_cdr(cpo, cdr_body(cdr_id="CDR3", error_records=[unknown]))
    assert strict["status_code"] == 2001
    assert strict["status_message"].startswith("error_records[0].id:")


def test_v2g_and_session_type_warnings_are_stored_and_told_to_the_cpo(parties):
    cpo, _, _ = parties
    v2g = [period("2024-05-01T10:00:00Z", ENERGY=10.0, TIME=1.5, ENERGY_EXPORT=1.0), V2G_PERIODS[1]]
    mismatched = post_cdr(cpo, cdr_body(session_id=None, charging_periods=v2g, energy_exported_kwh=2.5))
    assert "ENERGY_EXPORT_MISMATCH" in codes(mismatched)
    importing = post_cdr(cpo, cdr_body(cdr_id="CDR2", session_id=None, direction="IMPORT", energy_exported_kwh=1))
    assert "direction: IMPORT, but 1 kWh were exported [DIRECTION_MISMATCH]" in codes(importing)
    zero = [period("2024-05-01T10:00:00Z", TIME=1.5), V2G_PERIODS[1]]
    untyped = post_cdr(cpo, cdr_body(cdr_id="CDR3", session_id=None, total_energy=0, charging_periods=zero))
    assert "ZERO_ENERGY" in codes(untyped)
    typed = cdr_body(cdr_id="CDR4", session_id=None, total_energy=0, charging_periods=zero)
    assert "ZERO_ENERGY" not in codes(post_cdr(cpo, {**typed, "session_type": "AUTHORIZATION_ONLY"}))
    consistent = cdr_body(cdr_id="CDR5", session_id=None, charging_periods=v2g, energy_exported_kwh=1.0)
    assert "DIRECTION_MISMATCH" not in codes(post_cdr(cpo, {**consistent, "direction": "BIDIRECTIONAL"}))

    warnings = dict(Cdr.objects.values_list("cdr_id", "warning_codes"))
    assert warnings == {
        "CDR1": "|ENERGY_EXPORT_MISMATCH|SESSION_UNLINKED|",
        "CDR2": "|DIRECTION_MISMATCH|SESSION_UNLINKED|",
        # CDR3 and CDR4 bill 5.00 for what their tariff prices at 1.00 (parking only): COST_MISMATCH
        "CDR3": "|COST_MISMATCH|SESSION_UNLINKED|ZERO_ENERGY|",
        "CDR4": "|COST_MISMATCH|SESSION_UNLINKED|",
        "CDR5": "|SESSION_UNLINKED|",
    }
    session = put_session(cpo, session_body(direction="EXPORT"))  # 2 kWh charged
    assert "direction: EXPORT, but 2 kWh were imported [DIRECTION_MISMATCH]" in codes(session)
