"""CDRs wire models: official examples of both versions, canonical document, rendering per version."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from pydantic import ValidationError

from cdrs.wire import SessionType, parse_cdr, render_cdr, render_cdr_for
from ocpi_hub.api.wire import format_validation_error
from sessions.tests.charging import PLATFORM_OPTED_IN, PLATFORM_PLAIN
from tests.bodies import cdr_body, example
from tests.ocpi_schema import requires_examples, requires_openapi, validate_object

VERSIONS = ("2.2.1", "2.3.0")


def _tariff(**changes) -> dict:
    tariff = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.55, "vat": 10.0, "step_size": 1}]}],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    tariff.update(changes)
    return tariff


@requires_examples
@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
def test_official_example_parses_and_renders_valid_in_both_versions(version):
    doc = parse_cdr(version, example(version, "cdr_example.json"))
    for target in VERSIONS:
        validate_object(target, "cdr", render_cdr(doc, target))
    if version == "2.2.1":
        assert render_cdr(doc, version) == example(version, "cdr_example.json")  # lossless round trip


def test_230_tariff_without_tax_included_is_read_as_no():
    doc = parse_cdr("2.3.0", cdr_body("2.3.0", tariffs=[_tariff()]))
    assert doc["tariffs"][0]["tax_included"] == "NO"


def test_221_tariffs_and_prices_become_canonical_and_back():
    body = cdr_body("2.2.1", tariffs=[_tariff()])
    doc = parse_cdr("2.2.1", body)
    assert doc["tariffs"][0]["tax_included"] == "NO"
    assert doc["total_cost"] == {"before_taxes": 5.0, "taxes": [{"name": "VAT", "amount": 1.05}]}
    assert doc["total_energy_cost"] == {"before_taxes": 4.0}
    rendered = render_cdr(doc, "2.2.1")
    assert rendered["total_cost"] == body["total_cost"]
    assert "tax_included" not in rendered["tariffs"][0]


def test_tax_included_tariff_prices_are_made_exclusive_for_221():
    doc = parse_cdr("2.3.0", cdr_body("2.3.0", tariffs=[_tariff(tax_included="YES")], booking_id="B1"))
    rendered = render_cdr(doc, "2.2.1")
    assert rendered["tariffs"][0]["elements"][0]["price_components"][0]["price"] == 0.5
    assert "booking_id" not in rendered
    assert render_cdr(doc, "2.3.0")["booking_id"] == "B1"


def test_liberal_fields():
    body = cdr_body("2.2.1", id="CDR1-" + "C" * 34, remark=None, tariffs=None)
    body["cdr_location"]["connector_standard"] = "MCS"  # a 2.3.0 standard, kept: the field is required
    doc = parse_cdr("2.2.1", body)
    assert len(doc["id"]) == 39
    assert render_cdr(doc, "2.2.1")["cdr_location"]["connector_standard"] == "MCS"
    assert "remark" not in doc
    assert "tariffs" not in render_cdr(doc, "2.2.1")


def test_invalid_cdr_names_the_field():
    body = cdr_body("2.2.1", charging_periods=[])
    with pytest.raises(ValidationError) as error:
        parse_cdr("2.2.1", body)
    assert format_validation_error(error.value).startswith("charging_periods:")


# --- chargex-errors extension fields --------------------------------------------------------------------------

EXTENSION: dict[str, Any] = {
    "energy_exported_kwh": 2.0,
    "direction": "BIDIRECTIONAL",
    "error_records": [{"id": "ERR1", "code": "CX019", "severity": 2}],
    "session_type": "CHARGING",
}


@pytest.mark.parametrize("version", VERSIONS)
def test_extension_fields_are_stored_and_sent_only_to_platforms_that_opted_in(version):
    doc = parse_cdr(version, cdr_body(version, **EXTENSION))
    assert {name: doc[name] for name in EXTENSION} == EXTENSION
    for target in VERSIONS:
        opted_in = render_cdr_for(doc, target, PLATFORM_OPTED_IN)
        assert {name: opted_in[name] for name in EXTENSION} == EXTENSION
        assert render_cdr_for(doc, target, PLATFORM_PLAIN).keys().isdisjoint(EXTENSION)


def test_credit_reference_id_is_standard_ocpi_and_never_stripped():
    doc = parse_cdr("2.2.1", cdr_body(credit=True, credit_reference_id="CDR0", session_type="FAILED"))
    plain = render_cdr_for(doc, "2.2.1", PLATFORM_PLAIN)
    assert (plain["credit"], plain["credit_reference_id"]) == (True, "CDR0")
    assert "session_type" not in plain


def test_session_type_is_a_closed_set():
    assert get_args(SessionType) == ("CHARGING", "AUTHORIZATION_ONLY", "RESERVATION_ONLY", "PARKING_ONLY", "FAILED")
    for session_type in get_args(SessionType):
        assert parse_cdr("2.2.1", cdr_body(session_type=session_type))["session_type"] == session_type


@pytest.mark.parametrize("value", ["IDLE", "authorization_only", 1])
def test_unknown_session_type_names_the_field(value):
    with pytest.raises(ValidationError) as error:
        parse_cdr("2.3.0", cdr_body("2.3.0", session_type=value))
    assert format_validation_error(error.value).startswith("session_type:")


def test_cdr_extension_fields_are_validated_like_the_session_ones():
    with pytest.raises(ValidationError) as error:
        parse_cdr("2.2.1", cdr_body(energy_exported_kwh=-1, direction="BOTH"))
    assert format_validation_error(error.value) == (
        "energy_exported_kwh: Input should be greater than or equal to 0; "
        "direction: Input should be 'IMPORT', 'EXPORT' or 'BIDIRECTIONAL'"
    )
