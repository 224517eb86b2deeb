"""Tests of the Locations wire models: parsing into the canonical document and rendering per version."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pydantic import ValidationError

from locations.wire import (
    Hours,
    parse_connector,
    parse_evse,
    parse_location,
    render_connector,
    render_evse,
    render_location,
)
from ocpi_hub.api.wire import format_validation_error, render
from ocpi_hub.api.wire_common import EnergyMix221, EnergyMix230
from tests import bodies
from tests.ocpi_schema import (
    example_names,
    example_path,
    requires_examples,
    requires_openapi,
    validate_object,
)

VERSIONS = ("2.2.1", "2.3.0")
# Official location_* examples that are not complete Location objects (they become PATCH fragments or
# sub-objects): PATCH bodies, an EVSE PUT body with incomplete connectors, and single fields of a Location.
PARTIAL_EXAMPLES = {
    "location_patch_example_location.json": "PATCH Location",
    "location_patch_example_remove_evse.json": "PATCH EVSE",
    "location_patch_example_status.json": "PATCH EVSE",
    "location_patch_example_tariff.json": "PATCH Connector",
    "location_put_example_add_evse.json": "EVSE (connectors lack required fields)",
    "location_energymix_example_complete.json": "energy_mix",
    "location_energymix_example_energy_provider.json": "energy_mix",
    "location_energymix_example_simple.json": "energy_mix",
    "location_hours_247_open_exception_closing.json": "Hours",
    "location_hours_opening_hours_with_exceptional_closing.json": "Hours",
    "location_hours_opening_hours_with_exceptional_opening.json": "Hours",
    "location_regularhours_example.json": "opening_times",
}
# The 2.2.1 and 2.3.0 location_example.json also differ in parking_type, so no cross-version equality there.
CROSS_VERSION_EXCLUDED = {"location_example.json"}


def _full_examples(version: str) -> list[str]:
    return [name for name in example_names(version, "location_*.json") if name not in PARTIAL_EXAMPLES]


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


# The wire tests' objects: the shared builders of tests.bodies with one EVSE and the fields these tests probe.
WIRE_OWNER = {"country_code": "NL", "party_id": "ABC"}
WIRE_TIME = "2024-05-01T10:00:00Z"


def _connector(**changes: Any) -> dict[str, Any]:
    return bodies.connector(**{"max_amperage": 32, "last_updated": WIRE_TIME, **changes})


def _evse(**changes: Any) -> dict[str, Any]:
    defaults = {"evse_id": "NL*ABC*E1", "connectors": [_connector()], "parking_restrictions": ["EV_ONLY"]}
    return bodies.evse(**{"uid": "E1", **defaults, "last_updated": WIRE_TIME, **changes})


def _location(**changes: Any) -> dict[str, Any]:
    item = bodies.location(
        owner=WIRE_OWNER,
        address="Street 1",
        city="Town",
        coordinates={"latitude": "52.123456", "longitude": "4.123456"},
        evses=[_evse()],
        facilities=["HOTEL"],
        last_updated=WIRE_TIME,
    )
    return {**bodies.without(item, "name", "postal_code", "parking_type", "operator"), **changes}


def _location_230() -> dict[str, Any]:
    """A 2.3.0 Location using every 2.3.0-only field and value."""
    evse = _evse(
        capabilities=["RFID_READER", "PLUG_AND_CHARGE_SOMEDAY"],
        connectors=[
            _connector(capabilities=["ISO_15118_20_PLUG_AND_CHARGE"]),
            _connector(id="2", standard="MCS", power_type="DC", max_voltage=1250, max_amperage=3000),
        ],
        parking_restrictions=["EV_ONLY", "TAXIS"],
        parking=[{"parking_id": "P1", "evse_position": "LEFT"}],
        accepted_service_providers=["Some eMSP"],
        images=[{"url": "https://example.com/a.png", "category": "DRONE_VIEW", "type": "png"}],
    )
    mcs_only = _evse(uid="E2", connectors=[_connector(standard="SAE_J3400")])
    parking = {
        "id": "P1",
        "vehicle_types": ["PERSONAL_VEHICLE", "CARGO_BIKE"],  # an unknown OpenEnum value
        "restricted_to_type": False,
        "reservation_required": False,
        "direction": "PARALLEL",
    }
    return _location(
        evses=[evse, mcs_only],
        parking_places=[parking],
        help_phone="+31201234567",
        parking_type="BOAT_DOCK",
        facilities=["HOTEL", "PLAYGROUND"],
        publish=False,
        publish_allowed_to=[{"uid": "U1", "type": "EMAID"}, {"uid": "U2", "type": "RFID"}],
    )


# --- official examples --------------------------------------------------------------------------------------


@requires_examples
def test_every_location_example_is_classified() -> None:
    for version in VERSIONS:
        names = example_names(version, "location_*.json")
        assert set(PARTIAL_EXAMPLES) <= set(names)
        assert len(_full_examples(version)) == 6


@requires_examples
@pytest.mark.parametrize(("version", "name"), _example_cases())
def test_official_example_parses_and_round_trips(version: str, name: str) -> None:
    for data in _objects(version, name):
        doc = parse_location(version, data)
        assert render_location(doc, version) == data
        assert parse_location(version, render_location(doc, version)) == doc


@requires_examples
@requires_openapi
@pytest.mark.parametrize(("version", "name"), _example_cases())
@pytest.mark.parametrize("target", VERSIONS)
def test_official_example_renders_valid_for_both_versions(version: str, name: str, target: str) -> None:
    for data in _objects(version, name):
        wire = render_location(parse_location(version, data), target)
        validate_object(target, "location", wire)
        for evse in wire.get("evses", []):
            validate_object(target, "evse", evse)


@requires_examples
@pytest.mark.parametrize("name", sorted(set(_full_examples("2.2.1")) - CROSS_VERSION_EXCLUDED))
def test_official_230_example_renders_to_the_221_example(name: str) -> None:
    doc = parse_location("2.3.0", _load("2.3.0", name))
    assert render_location(doc, "2.2.1") == _load("2.2.1", name)


@requires_examples
@pytest.mark.parametrize("version", VERSIONS)
def test_official_partial_examples_parse_as_fragments(version: str) -> None:
    for name, kind in PARTIAL_EXAMPLES.items():
        data = _load(version, name)
        if kind == "Hours":
            assert render(Hours.model_validate(data)) == data
        elif kind == "opening_times":
            assert render(Hours.model_validate(data["opening_times"])) == data["opening_times"]
        elif kind == "energy_mix":
            model = EnergyMix221 if version == "2.2.1" else EnergyMix230
            assert render(model.model_validate(data["energy_mix"])) == data["energy_mix"]
        else:
            for parse in (parse_location, parse_evse, parse_connector):
                with pytest.raises(ValidationError):
                    parse(version, data)


@requires_examples
@pytest.mark.parametrize("version", VERSIONS)
def test_evse_and_connector_of_official_example(version: str) -> None:
    location = _load(version, "location_example.json")
    evse = location["evses"][0]
    assert render_evse(parse_evse(version, evse), version) == evse
    connector = evse["connectors"][1]
    assert render_connector(parse_connector(version, connector), version) == connector


# --- validation errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_error_path_names_nested_field(version: str) -> None:
    location = _location()
    location["evses"][0]["connectors"].append(_connector(id="2", max_voltage="abc"))
    with pytest.raises(ValidationError) as info:
        parse_location(version, location)
    message = format_validation_error(info.value)
    assert message.startswith("evses[0].connectors[1].max_voltage: ")
    assert "integer" in message


@pytest.mark.parametrize("version", VERSIONS)
def test_missing_required_fields_are_named(version: str) -> None:
    location = _location()
    del location["city"]
    del location["evses"][0]["connectors"][0]["power_type"]
    location["evses"][0]["connectors"][0]["max_amperage"] = None
    with pytest.raises(ValidationError) as info:
        parse_location(version, location)
    message = format_validation_error(info.value)
    assert "city: Field required" in message
    assert "evses[0].connectors[0].power_type: Field required" in message
    assert "evses[0].connectors[0].max_amperage: " in message


@pytest.mark.parametrize("version", VERSIONS)
def test_evse_needs_at_least_one_connector(version: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_evse(version, _evse(connectors=[]))
    assert format_validation_error(info.value).startswith("connectors: ")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("field", "limit"), [("id", 36), ("country_code", 2), ("party_id", 3), ("city", 45), ("address", 255)]
)
def test_max_lengths(version: str, field: str, limit: int) -> None:
    parse_location(version, _location(**{field: "A" * limit}))
    with pytest.raises(ValidationError) as info:
        parse_location(version, _location(**{field: "A" * (limit + 1)}))
    message = format_validation_error(info.value)
    assert message.startswith(f"{field}: ")
    assert f"at most {limit}" in message


def test_errata_lengths_accepted() -> None:
    doc = parse_location("2.2.1", _location(address="a" * 255, state="s" * 45))
    assert doc["address"] == "a" * 255
    assert doc["state"] == "s" * 45


def test_cistring_rejects_non_ascii() -> None:
    with pytest.raises(ValidationError) as info:
        parse_location("2.3.0", _location(id="LOCÄ"))
    assert format_validation_error(info.value).startswith("id: must contain printable ASCII")


@pytest.mark.parametrize("latitude", ["52.123456", "-52.1234567", "5.12345", "-12.1234567"])
def test_latitude_accepted(latitude: str) -> None:
    doc = parse_location("2.3.0", _location(coordinates={"latitude": latitude, "longitude": "-123.1234567"}))
    assert doc["coordinates"] == {"latitude": latitude, "longitude": "-123.1234567"}


@pytest.mark.parametrize("latitude", ["52.1234", "52.12345678", "152.123456", "52,123456", "52.123456 "])
def test_latitude_rejected(latitude: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_location("2.3.0", _location(coordinates={"latitude": latitude, "longitude": "4.123456"}))
    assert format_validation_error(info.value).startswith("coordinates.latitude: ")


def test_publish_token_needs_an_identifier() -> None:
    with pytest.raises(ValidationError) as info:
        parse_location("2.2.1", _location(publish=False, publish_allowed_to=[{"issuer": "X"}]))
    assert "publish_allowed_to[0]: Value error, at least one of uid" in format_validation_error(info.value)


@pytest.mark.parametrize("empty", [[], None])
def test_empty_optional_lists_are_left_out_at_every_level(empty: list[Any] | None) -> None:
    evse = _evse(capabilities=empty, parking_restrictions=empty, connectors=[_connector(tariff_ids=empty)])
    doc = parse_location("2.2.1", _location(facilities=empty, related_locations=empty, evses=[evse]))
    assert not {"facilities", "related_locations"} & doc.keys()
    assert not {"capabilities", "parking_restrictions"} & doc["evses"][0].keys()
    assert "tariff_ids" not in doc["evses"][0]["connectors"][0]
    assert render_location(doc, "2.3.0")["evses"][0]["connectors"][0]["standard"] == "IEC_62196_T2"
    kept = parse_location("2.2.1", _location())
    assert kept["facilities"] == ["HOTEL"]
    assert kept["evses"][0]["connectors"][0]["tariff_ids"] == ["T1"]


# --- DateTime handling --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-05-01T10:00:00Z", "2024-05-01T10:00:00", "2024-05-01T10:00:00+00:00"])
def test_utc_datetimes_accepted_and_rendered_with_z(value: str) -> None:
    doc = parse_connector("2.2.1", _connector(last_updated=value))
    assert doc["last_updated"] == "2024-05-01T10:00:00Z"
    wire = render_connector(doc, "2.3.0")
    assert wire is not None
    assert wire["last_updated"] == "2024-05-01T10:00:00Z"


def test_fractional_seconds_rendered_as_milliseconds() -> None:
    doc = parse_connector("2.3.0", _connector(last_updated="2016-12-29T17:45:09.2Z"))
    assert doc["last_updated"] == "2016-12-29T17:45:09.200Z"


@pytest.mark.parametrize("version", VERSIONS)
def test_non_utc_offset_rejected_unless_lenient(version: str) -> None:
    location = _location()
    location["evses"][0]["last_updated"] = "2024-05-01T12:00:00+02:00"
    with pytest.raises(ValidationError) as info:
        parse_location(version, location)
    assert format_validation_error(info.value).startswith("evses[0].last_updated: ")
    assert "not UTC" in format_validation_error(info.value)
    doc = parse_location(version, location, lenient=True)
    assert doc["evses"][0]["last_updated"] == "2024-05-01T10:00:00Z"


# --- enums --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_closed_enums_reject_lowercase_and_unknown(version: str) -> None:
    for status in ("available", "BROKEN"):
        with pytest.raises(ValidationError) as info:
            parse_evse(version, _evse(status=status))
        assert format_validation_error(info.value).startswith("status: Input should be")
    with pytest.raises(ValidationError) as info:
        parse_connector(version, _connector(power_type="ac_3_phase"))
    assert format_validation_error(info.value).startswith("power_type: ")


def test_221_enums_are_closed() -> None:
    with pytest.raises(ValidationError) as info:
        parse_location("2.2.1", _location(facilities=["HOTEL", "hotel"]))
    assert format_validation_error(info.value).startswith("facilities[1]: Input should be")
    for standard in ("MCS", "SAE_J3400", "iec_62196_t2"):
        with pytest.raises(ValidationError):
            parse_connector("2.2.1", _connector(standard=standard))
    with pytest.raises(ValidationError) as info:
        parse_evse("2.2.1", _evse(parking_restrictions=["TAXIS"]))
    assert format_validation_error(info.value).startswith("parking_restrictions[0]: ")


def test_230_open_enums_accept_any_string() -> None:
    doc = parse_location("2.3.0", _location(facilities=["HOTEL", "hotel", "PLAYGROUND"], parking_type="X"))
    assert doc["facilities"] == ["HOTEL", "hotel", "PLAYGROUND"]
    assert render_location(doc, "2.3.0")["parking_type"] == "X"
    assert render_location(doc, "2.2.1")["facilities"] == ["HOTEL"]
    assert "parking_type" not in render_location(doc, "2.2.1")


def test_mixed_case_connector_standard_is_exact() -> None:
    doc = parse_connector("2.2.1", _connector(standard="IEC_60309_2_single_16"))
    wire = render_connector(doc, "2.2.1")
    assert wire is not None
    assert wire["standard"] == "IEC_60309_2_single_16"


# --- version conversion -------------------------------------------------------------------------------------


def test_230_location_round_trip_is_lossless() -> None:
    data = _location_230()
    doc = parse_location("2.3.0", data)
    assert render_location(doc, "2.3.0") == data


def test_230_only_fields_dropped_for_221() -> None:
    wire = render_location(parse_location("2.3.0", _location_230()), "2.2.1")
    assert "parking_places" not in wire
    assert "help_phone" not in wire
    evse = wire["evses"][0]
    assert "parking" not in evse
    assert "accepted_service_providers" not in evse
    assert all("capabilities" not in connector for connector in evse["connectors"])
    assert parse_location("2.2.1", wire) == wire  # a valid 2.2.1 Location, parsed back unchanged


def test_values_unknown_to_221_dropped() -> None:
    wire = render_location(parse_location("2.3.0", _location_230()), "2.2.1")
    evse = wire["evses"][0]
    assert evse["capabilities"] == ["RFID_READER"]
    assert evse["parking_restrictions"] == ["EV_ONLY"]
    assert evse["images"][0]["category"] == "OTHER"
    assert wire["facilities"] == ["HOTEL"]
    assert wire["publish_allowed_to"] == [{"uid": "U2", "type": "RFID"}]


def test_mcs_connector_dropped_from_221() -> None:
    doc = parse_location("2.3.0", _location_230())
    wire = render_location(doc, "2.2.1")
    assert [evse["uid"] for evse in wire["evses"]] == ["E1"]  # E2 had only a SAE_J3400 connector
    assert [connector["id"] for connector in wire["evses"][0]["connectors"]] == ["1"]
    mcs = doc["evses"][0]["connectors"][1]
    assert render_connector(mcs, "2.2.1") is None
    assert render_connector(mcs, "2.3.0") == mcs
    assert render_evse(doc["evses"][1], "2.2.1") is None
    evse = render_evse(doc["evses"][0], "2.2.1")
    assert evse is not None
    assert [connector["id"] for connector in evse["connectors"]] == ["1"]


@requires_openapi
@pytest.mark.parametrize("target", VERSIONS)
def test_230_features_render_valid_per_official_schema(target: str) -> None:
    data = copy.deepcopy(_location_230())
    # Official schemas list OpenEnum values; use known values only for this check.
    data["facilities"] = ["HOTEL"]
    data["parking_type"] = "ON_STREET"
    data["evses"][0]["capabilities"] = ["RFID_READER"]
    data["evses"][0]["images"][0]["category"] = "CHARGER"
    data["parking_places"][0]["vehicle_types"] = ["PERSONAL_VEHICLE"]
    wire = render_location(parse_location("2.3.0", data), target)
    validate_object(target, "location", wire)


def test_221_location_is_a_valid_canonical_230_document() -> None:
    data = _location(
        directions=[{"language": "en", "text": "Left"}],
        opening_times={
            "twentyfourseven": False,
            "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "18:00"}],
        },
    )
    doc = parse_location("2.2.1", data)
    assert parse_location("2.3.0", doc) == doc
    assert render_location(doc, "2.2.1") == data


def test_null_lists_and_optionals_are_dropped() -> None:
    data = _location(evses=None, facilities=None, images=None, name=None)
    doc = parse_location("2.2.1", data)
    assert "evses" not in doc
    assert "facilities" not in doc
    assert "name" not in doc
    assert render_location(doc, "2.3.0")["city"] == "Town"


def test_unknown_fields_ignored() -> None:
    doc = parse_connector("2.2.1", _connector(vendor_extension={"a": 1}))
    assert "vendor_extension" not in doc


def test_unsupported_version_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported OCPI version '2.1.1'"):
        parse_location("2.1.1", _location())
    with pytest.raises(ValueError, match="unsupported OCPI version"):
        render_evse(_evse(), "3.0")
