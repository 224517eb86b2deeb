"""Sessions wire models: official examples of both versions, canonical document, rendering per version."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ocpi_hub.api.wire import format_validation_error
from sessions.services import merge_patch, session_patched
from sessions.tests.charging import PLATFORM_OPTED_IN, PLATFORM_PLAIN
from sessions.wire import parse_charging_preferences, parse_session, render_session, render_session_for
from tests.bodies import example, period, price, session_body, ts
from tests.ocpi_schema import requires_examples, requires_openapi, validate_object

VERSIONS = ("2.2.1", "2.3.0")
EXAMPLES = ("session_example_1_simple_start.json", "session_example_2_short_finished.json")


@requires_examples
@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_official_examples_parse_and_render_valid_in_both_versions(version, name):
    doc = parse_session(version, example(version, name))
    for target in VERSIONS:
        validate_object(target, "session", render_session(doc, target))
    assert render_session(doc, version) == example(version, name)  # lossless round trip


def test_221_price_becomes_canonical_and_back():
    doc = parse_session("2.2.1", session_body("2.2.1", total_cost={"excl_vat": 8.5, "incl_vat": 9.35}))
    assert doc["total_cost"] == {"before_taxes": 8.5, "taxes": [{"name": "VAT", "amount": 0.85}]}
    assert render_session(doc, "2.2.1")["total_cost"] == {"excl_vat": 8.5, "incl_vat": 9.35}
    assert render_session(doc, "2.3.0")["total_cost"] == doc["total_cost"]


def test_230_only_values_are_translated_for_221():
    body = session_body("2.3.0", total_cost=price("2.3.0", 2.0))
    body["cdr_token"]["type"] = "EMAID"
    body["charging_periods"] = [
        period("2024-05-01T10:00:00Z", ENERGY=2.0, RESERVATION_OVERTIME=0.1),
        period("2024-05-01T10:10:00Z", RESERVATION_EXPIRES=0.2),
    ]
    doc = parse_session("2.3.0", body)
    rendered = render_session(doc, "2.2.1")
    assert rendered["cdr_token"]["type"] == "OTHER"
    assert rendered["charging_periods"] == [period("2024-05-01T10:00:00Z", ENERGY=2.0)]
    assert rendered["total_cost"] == {"excl_vat": 2.0}
    assert len(render_session(doc, "2.3.0")["charging_periods"]) == 2


def test_invalid_session_names_the_field():
    body = session_body(status="RUNNING")
    with pytest.raises(ValidationError) as error:
        parse_session("2.2.1", body)
    assert format_validation_error(error.value).startswith("status:")


def test_non_utc_offset_rejected_unless_lenient():
    body = session_body(last_updated="2024-05-01T12:30:00+02:00")
    with pytest.raises(ValidationError):
        parse_session("2.2.1", body)
    assert parse_session("2.2.1", body, lenient=True)["last_updated"] == "2024-05-01T10:30:00Z"


def test_patch_merge_appends_periods_replaces_objects_and_removes_nulls():
    stored = render_session(parse_session("2.2.1", session_body(meter_id="M1")), "2.2.1")
    patch = {
        "charging_periods": [period("2024-05-01T10:30:00Z", ENERGY=1.0)],
        "total_cost": {"excl_vat": 3.0},
        "meter_id": None,
        "last_updated": "2024-05-01T10:45:00Z",
    }
    merged = merge_patch(stored, patch)
    assert [p["start_date_time"] for p in merged["charging_periods"]] == [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:30:00Z",
    ]
    assert merged["total_cost"] == {"excl_vat": 3.0}
    assert "meter_id" not in merged
    assert (
        merge_patch(stored, {"charging_periods": [], "last_updated": "x"})["charging_periods"]
        == stored["charging_periods"]
    )


def test_charging_preferences():
    assert parse_charging_preferences({"profile_type": "GREEN", "discharge_allowed": None}) == {"profile_type": "GREEN"}
    with pytest.raises(ValidationError):
        parse_charging_preferences({"energy_need": 10})


# --- chargex-errors extension fields --------------------------------------------------------------------------

EXTENSION: dict[str, Any] = {
    "energy_exported_kwh": 1.5,
    "direction": "BIDIRECTIONAL",
    "error_records": [{"id": "ERR1", "scheme": "MREC", "code": "CX019", "severity": 2}],
}


@pytest.mark.parametrize("version", VERSIONS)
def test_extension_fields_are_stored_in_the_canonical_document(version):
    doc = parse_session(version, session_body(version, **EXTENSION))
    assert {name: doc[name] for name in EXTENSION} == EXTENSION
    absent = parse_session(version, session_body(version, error_records=None, direction=None))
    assert absent.keys().isdisjoint(EXTENSION)  # optional; null is absent


@pytest.mark.parametrize("version", VERSIONS)
def test_extension_fields_only_for_platforms_that_opted_in(version):
    doc = parse_session("2.2.1", session_body(**EXTENSION))
    opted_in = render_session_for(doc, version, PLATFORM_OPTED_IN)
    assert {name: opted_in[name] for name in EXTENSION} == EXTENSION
    plain = render_session_for(doc, version, PLATFORM_PLAIN)
    assert plain.keys().isdisjoint(EXTENSION)
    assert plain == render_session(parse_session("2.2.1", session_body()), version)
    assert render_session_for(doc, version, None).keys().isdisjoint(EXTENSION)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"energy_exported_kwh": -0.1}, "energy_exported_kwh"),
        ({"energy_exported_kwh": "1.5"}, "energy_exported_kwh"),
        ({"energy_exported_kwh": True}, "energy_exported_kwh"),
        ({"direction": "SIDEWAYS"}, "direction"),
        ({"direction": "import"}, "direction"),
        ({"error_records": {"id": "ERR1"}}, "error_records"),
        ({"error_records": [{"code": "CX019", "severity": 2}]}, "error_records[0].id"),
        ({"error_records": [{"id": "ERR1", "severity": 2}]}, "error_records[0].code"),
        ({"error_records": [{"id": "ERR1", "code": "CX019", "severity": 10}]}, "error_records[0].severity"),
        ({"error_records": [{"id": "ERR1", "code": "CX019", "severity": "2"}]}, "error_records[0].severity"),
        ({"error_records": [{"id": "ERR1", "code": "CX019", "severity": 2, "scheme": "X"}]}, "error_records[0].scheme"),
    ],
)
def test_invalid_extension_fields_name_the_field(changes, field):
    with pytest.raises(ValidationError) as error:
        parse_session("2.2.1", session_body(**changes))
    assert format_validation_error(error.value).startswith(f"{field}:")


def test_valid_extension_values_pass():
    for direction in ("IMPORT", "EXPORT", "BIDIRECTIONAL"):
        assert parse_session("2.2.1", session_body(direction=direction))["direction"] == direction
    assert parse_session("2.2.1", session_body(energy_exported_kwh=0))["energy_exported_kwh"] == 0
    summary = {"id": "ERR1", "code": "CX019", "severity": 0}  # scheme is optional
    assert parse_session("2.2.1", session_body(error_records=[summary]))["error_records"] == [summary]


def test_patch_merge_keeps_and_replaces_extension_fields():
    stored = render_session(parse_session("2.2.1", session_body(**EXTENSION)), "2.2.1")
    merged = merge_patch(stored, {"error_records": None, "energy_exported_kwh": 2.0, "last_updated": "x"})
    assert (merged["direction"], merged["energy_exported_kwh"]) == ("BIDIRECTIONAL", 2.0)
    assert "error_records" not in merged


def _stored_230() -> dict[str, Any]:
    """A canonical Session with values 2.2.1 cannot express: an EMAID token, a tax breakdown, a period
    dimension 2.2.1 has no name for, and a period of such dimensions only."""
    body = session_body("2.3.0", total_cost={"before_taxes": 2.0, "taxes": [{"name": "VAT", "amount": 0.4}]})
    body["cdr_token"]["type"] = "EMAID"
    body["charging_periods"] = [
        period("2024-05-01T10:00:00Z", ENERGY=2.0, RESERVATION_OVERTIME=0.1),
        period("2024-05-01T10:10:00Z", RESERVATION_EXPIRES=0.2),
    ]
    return parse_session("2.3.0", body)


def test_221_patch_keeps_what_221_cannot_express():
    stored = _stored_230()
    body = {"kwh": 3.0, "charging_periods": [period("2024-05-01T10:20:00Z", ENERGY=1.0)], "last_updated": ts(60)}
    doc = session_patched("2.2.1", stored, body)
    assert doc["cdr_token"]["type"] == "EMAID"
    assert doc["total_cost"] == stored["total_cost"]
    assert doc["charging_periods"] == stored["charging_periods"] + [period("2024-05-01T10:20:00Z", ENERGY=1.0)]
    assert (doc["kwh"], doc["last_updated"]) == (3.0, ts(60))


def test_221_patch_fields_sent_are_stored_canonical_and_null_removes():
    stored = _stored_230()
    body = {"total_cost": {"excl_vat": 3.0, "incl_vat": 3.6}, "meter_id": None, "last_updated": ts(60)}
    doc = session_patched("2.2.1", {**stored, "meter_id": "M1"}, body)
    assert doc["total_cost"] == {"before_taxes": 3.0, "taxes": [{"name": "VAT", "amount": 0.6}]}
    assert "meter_id" not in doc
    assert doc["charging_periods"] == stored["charging_periods"]


def test_221_patch_is_still_validated_in_context():
    with pytest.raises(ValidationError) as error:
        session_patched("2.2.1", _stored_230(), {"status": "RUNNING", "last_updated": ts(60)})
    assert format_validation_error(error.value).startswith("status:")
