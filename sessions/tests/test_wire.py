"""Sessions wire models: official examples of both versions, canonical document, rendering per version."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocpi_hub.api.wire import format_validation_error
from sessions.services import merge_patch
from sessions.tests.charging import example, period, price, session_body
from sessions.wire import parse_charging_preferences, parse_session, render_session
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
