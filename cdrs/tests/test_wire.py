"""CDRs wire models: official examples of both versions, canonical document, rendering per version."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cdrs.wire import parse_cdr, render_cdr
from ocpi_hub.api.wire import format_validation_error
from sessions.tests.charging import cdr_body, example
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
