"""Tests of the Tariffs wire models and of the shared Price conversion helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from ocpi_hub.api.wire import format_validation_error
from ocpi_hub.api.wire_common import price_221_to_230, price_230_to_221
from tariffs.wire import parse_tariff, render_tariff
from tests.ocpi_schema import (
    example_names,
    example_path,
    requires_examples,
    requires_openapi,
    validate_object,
)

VERSIONS = ("2.2.1", "2.3.0")
# tariff_put_example.json has no last_updated (required), so it is not a complete Tariff object.
PARTIAL_EXAMPLES = {"tariff_put_example.json"}


def _full_examples(version: str) -> list[str]:
    names = example_names(version, "tariff*.json")
    return [name for name in names if name not in PARTIAL_EXAMPLES]


def _example_cases() -> list[tuple[str, str]]:
    return [(version, name) for version in VERSIONS for name in _full_examples(version)]


def _load(version: str, name: str) -> Any:
    path = example_path(version, name)
    assert path is not None, f"{version}/{name} missing"
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and "status_code" in data and "data" in data:
        data = data["data"]
    return data


def _objects(version: str, name: str) -> list[Any]:
    data = _load(version, name)
    return data if isinstance(data, list) else [data]


def _component(type_: str = "ENERGY", price: float = 0.25, vat: float | None = 10.0, step: int = 1) -> dict:
    component: dict[str, Any] = {"type": type_, "price": price, "step_size": step}
    if vat is not None:
        component["vat"] = vat
    return component


def _tariff_230(**changes: Any) -> dict[str, Any]:
    tariff = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "T1",
        "currency": "EUR",
        "type": "REGULAR",
        "min_price": {"before_taxes": 1.0, "after_taxes": 1.19},
        "max_price": {"before_taxes": 20.0},
        "elements": [
            {"price_components": [_component("FLAT", 1.15, 15.0), _component("ENERGY", 0.60, 20.0)]},
            {
                "price_components": [_component("PARKING_TIME", 2.0, None, 60)],
                "restrictions": {"start_time": "09:00", "end_time": "18:00", "day_of_week": ["MONDAY"]},
            },
        ],
        "tax_included": "YES",
        "last_updated": "2024-05-01T10:00:00Z",
    }
    return {**tariff, **changes}


def _tariff_221(**changes: Any) -> dict[str, Any]:
    tariff = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "T1",
        "currency": "EUR",
        "min_price": {"excl_vat": 1.0, "incl_vat": 1.19},
        "max_price": {"excl_vat": 20.0},
        "elements": [{"price_components": [_component()], "restrictions": {"max_power": 22.0}}],
        "last_updated": "2024-05-01T10:00:00Z",
    }
    return {**tariff, **changes}


# --- official examples --------------------------------------------------------------------------------------


@requires_examples
def test_every_tariff_example_is_classified() -> None:
    for version in VERSIONS:
        assert set(example_names(version, "tariff*.json")) >= PARTIAL_EXAMPLES
        assert len(_full_examples(version)) >= 19
        for name in PARTIAL_EXAMPLES:
            with pytest.raises(ValidationError, match="last_updated"):
                parse_tariff(version, _load(version, name))


@requires_examples
@pytest.mark.parametrize(("version", "name"), _example_cases())
def test_official_example_parses_and_round_trips(version: str, name: str) -> None:
    for data in _objects(version, name):
        doc = parse_tariff(version, data)
        assert doc["tax_included"] in ("YES", "NO", "N/A")
        assert render_tariff(doc, version) == data
        assert parse_tariff(version, render_tariff(doc, version)) == doc


@requires_examples
@requires_openapi
@pytest.mark.parametrize(("version", "name"), _example_cases())
@pytest.mark.parametrize("target", VERSIONS)
def test_official_example_renders_valid_for_both_versions(version: str, name: str, target: str) -> None:
    for data in _objects(version, name):
        validate_object(target, "tariff", render_tariff(parse_tariff(version, data), target))


@requires_examples
@pytest.mark.parametrize("name", _full_examples("2.2.1"))
def test_official_examples_translate_between_versions(name: str) -> None:
    old, new = _load("2.2.1", name), _load("2.3.0", name)
    assert render_tariff(parse_tariff("2.2.1", old), "2.3.0") == new
    assert render_tariff(parse_tariff("2.3.0", new), "2.2.1") == old


@requires_examples
def test_north_american_inclusive_example_to_221() -> None:
    doc = parse_tariff("2.3.0", _load("2.3.0", "tariff_20_simple_north_american_inclusive.json"))
    assert doc["tax_included"] == "YES"
    component = render_tariff(doc, "2.2.1")["elements"][0]["price_components"][0]
    assert component["price"] == 2.10  # no vat given: the price cannot be split and is kept


# --- 2.2.1 <-> canonical ------------------------------------------------------------------------------------


def test_221_tariff_becomes_tax_excluded_with_price_limits() -> None:
    doc = parse_tariff("2.2.1", _tariff_221())
    assert doc["tax_included"] == "NO"
    assert doc["min_price"] == {"before_taxes": 1.0, "after_taxes": 1.19}
    assert doc["max_price"] == {"before_taxes": 20.0}
    assert render_tariff(doc, "2.2.1") == _tariff_221()
    assert render_tariff(doc, "2.3.0")["min_price"] == {"before_taxes": 1.0, "after_taxes": 1.19}


def test_230_round_trip_is_lossless() -> None:
    data = _tariff_230(preauthorize_amount=50.0, energy_mix={"is_green_energy": True})
    assert render_tariff(parse_tariff("2.3.0", data), "2.3.0") == data


def test_tax_included_yes_rendered_to_221_as_excl_prices() -> None:
    wire = render_tariff(parse_tariff("2.3.0", _tariff_230()), "2.2.1")
    flat, energy = wire["elements"][0]["price_components"]
    assert flat == {"type": "FLAT", "price": 1.0, "vat": 15.0, "step_size": 1}
    assert energy == {"type": "ENERGY", "price": 0.5, "vat": 20.0, "step_size": 1}
    parking = wire["elements"][1]["price_components"][0]
    assert parking["price"] == 2.0  # no vat: unchanged
    assert wire["min_price"] == {"excl_vat": 1.0, "incl_vat": 1.19}
    assert wire["max_price"] == {"excl_vat": 20.0}
    assert "tax_included" not in wire


def test_tax_excl_price_rounded_to_4_decimals() -> None:
    data = _tariff_230(elements=[{"price_components": [_component("ENERGY", 0.35, 19.0)]}])
    wire = render_tariff(parse_tariff("2.3.0", data), "2.2.1")
    assert wire["elements"][0]["price_components"][0]["price"] == 0.2941


@pytest.mark.parametrize("tax_included", ["NO", "N/A"])
def test_tax_not_included_prices_unchanged_for_221(tax_included: str) -> None:
    wire = render_tariff(parse_tariff("2.3.0", _tariff_230(tax_included=tax_included)), "2.2.1")
    prices = [c["price"] for element in wire["elements"] for c in element["price_components"]]
    assert prices == [1.15, 0.60, 2.0]


def test_booking_elements_left_out_of_221() -> None:
    booking = {"price_components": [_component("FLAT", 5.0)], "restrictions": {"booking": "BOOKING"}}
    data = _tariff_230(tax_included="NO")
    data["elements"] = [booking, *data["elements"]]
    doc = parse_tariff("2.3.0", data)
    assert render_tariff(doc, "2.3.0")["elements"][0] == booking
    wire = render_tariff(doc, "2.2.1")
    assert len(wire["elements"]) == 2
    assert wire["elements"][0]["price_components"][0]["type"] == "FLAT"
    assert wire["elements"][0]["price_components"][0]["price"] == 1.15


@requires_openapi
@pytest.mark.parametrize("target", VERSIONS)
def test_converted_tariffs_valid_per_official_schema(target: str) -> None:
    for doc in (parse_tariff("2.3.0", _tariff_230()), parse_tariff("2.2.1", _tariff_221())):
        validate_object(target, "tariff", render_tariff(doc, target))


# --- validation ---------------------------------------------------------------------------------------------


def test_230_requires_tax_included() -> None:
    data = _tariff_230()
    del data["tax_included"]
    with pytest.raises(ValidationError) as info:
        parse_tariff("2.3.0", data)
    assert format_validation_error(info.value) == "tax_included: Field required"
    with pytest.raises(ValidationError) as info:
        parse_tariff("2.3.0", _tariff_230(tax_included="yes"))
    assert format_validation_error(info.value).startswith("tax_included: Input should be 'YES', 'NO' or 'N/A'")


def test_221_rejects_230_price_shapes() -> None:
    with pytest.raises(ValidationError) as info:
        parse_tariff("2.2.1", _tariff_221(min_price={"before_taxes": 1.0}))
    assert format_validation_error(info.value).startswith("min_price.excl_vat: Field required")


def test_nested_error_paths() -> None:
    data = _tariff_230()
    data["elements"][1]["price_components"][0]["step_size"] = "abc"
    data["elements"][1]["restrictions"]["start_time"] = "9:00"
    data["elements"][1]["restrictions"]["day_of_week"] = ["monday"]
    with pytest.raises(ValidationError) as info:
        parse_tariff("2.3.0", data)
    message = format_validation_error(info.value)
    assert "elements[1].price_components[0].step_size: " in message
    assert "elements[1].restrictions.start_time: String should match pattern" in message
    assert "elements[1].restrictions.day_of_week[0]: Input should be" in message


@pytest.mark.parametrize("version", VERSIONS)
def test_elements_and_price_components_need_one_item(version: str) -> None:
    data = _tariff_221() if version == "2.2.1" else _tariff_230()
    with pytest.raises(ValidationError) as info:
        parse_tariff(version, {**data, "elements": []})
    assert format_validation_error(info.value).startswith("elements: ")
    with pytest.raises(ValidationError) as info:
        parse_tariff(version, {**data, "elements": [{"price_components": []}]})
    assert format_validation_error(info.value).startswith("elements[0].price_components: ")


@pytest.mark.parametrize("value", ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00", "2024-05-01T10:00:00+00:00"])
def test_datetimes_normalised_to_z(value: str) -> None:
    doc = parse_tariff("2.2.1", _tariff_221(start_date_time=value))
    assert doc["start_date_time"] == "2024-05-01T10:00:00Z"
    assert render_tariff(doc, "2.3.0")["start_date_time"] == "2024-05-01T10:00:00Z"


def test_offset_datetime_rejected_unless_lenient() -> None:
    data = _tariff_230(end_date_time="2024-05-01T12:00:00+02:00")
    with pytest.raises(ValidationError) as info:
        parse_tariff("2.3.0", data)
    assert format_validation_error(info.value).startswith("end_date_time: ")
    assert parse_tariff("2.3.0", data, lenient=True)["end_date_time"] == "2024-05-01T10:00:00Z"


# --- Price helpers ------------------------------------------------------------------------------------------


def test_price_221_to_230() -> None:
    assert price_221_to_230({"excl_vat": 10.0, "incl_vat": 12.1}) == {
        "before_taxes": 10.0,
        "taxes": [{"name": "VAT", "amount": 2.1}],
    }
    assert price_221_to_230({"excl_vat": 10.0}) == {"before_taxes": 10.0}
    assert price_221_to_230({"excl_vat": 0.123456, "incl_vat": 0.2}) == {
        "before_taxes": 0.1235,
        "taxes": [{"name": "VAT", "amount": 0.0765}],
    }


def test_price_230_to_221() -> None:
    taxes = [{"name": "GST", "amount": 0.5}, {"name": "QST", "percentage": 9.975, "amount": 0.9975}]
    assert price_230_to_221({"before_taxes": 10.0, "taxes": taxes}) == {"excl_vat": 10.0, "incl_vat": 11.4975}
    assert price_230_to_221({"before_taxes": 10.0, "taxes": []}) == {"excl_vat": 10.0}
    assert price_230_to_221({"before_taxes": 10.0}) == {"excl_vat": 10.0}


@pytest.mark.parametrize(("excl", "incl"), [(0.1, 0.3), (1.0, 1.0), (12.3456, 14.9382), (7.0, None)])
def test_price_221_round_trip(excl: float, incl: float | None) -> None:
    price = {"excl_vat": excl} if incl is None else {"excl_vat": excl, "incl_vat": incl}
    assert price_230_to_221(price_221_to_230(price)) == price
