"""Tests of the official-OpenAPI validation utility (tests/ocpi_schema.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests import bodies, ocpi_schema
from tests.ocpi_schema import (
    component_names,
    example_names,
    example_path,
    need_shared,
    requires_examples,
    requires_openapi,
    validate_object,
)

VERSIONS = ("2.2.1", "2.3.0")
SHORT_NAMES = (
    "location",
    "evse",
    "connector",
    "tariff",
    "session",
    "cdr",
    "token",
    "clientInfo",
    "credentials",
    "version",
    "versionDetails",
)


# Minimal valid objects for the validator tests: the shared builders of tests.bodies, trimmed to the fields
# these tests are about (no tariff_ids, names, operator or parking type).
SCHEMA_OWNER = {"country_code": "NL", "party_id": "ABC"}
SCHEMA_TIME = "2024-01-01T00:00:00Z"


def _connector(**changes: Any) -> dict[str, Any]:
    return {**bodies.without(bodies.connector("1", last_updated=SCHEMA_TIME), "tariff_ids"), **changes}


def _location(**changes: Any) -> dict[str, Any]:
    minimal_evse = bodies.without(
        bodies.evse("E1", connectors=[_connector()], last_updated=SCHEMA_TIME), "evse_id", "capabilities"
    )
    item = bodies.location(
        owner=SCHEMA_OWNER,
        address="Street 1",
        city="Town",
        coordinates={"latitude": "52.123456", "longitude": "4.123456"},
        evses=[minimal_evse],
        last_updated=SCHEMA_TIME,
    )
    return {**bodies.without(item, "name", "postal_code", "parking_type", "operator"), **changes}


def _tariff(**changes: Any) -> dict[str, Any]:
    elements = [{"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}]
    item = bodies.tariff(owner={"country_code": "DE", "party_id": "ALL"}, elements=elements, last_updated=SCHEMA_TIME)
    return {**bodies.without(item, "max_price"), **changes}


def _load(version: str, name: str) -> Any:
    path = example_path(version, name)
    if path is None:
        need_shared(False, f"example {version}/{name}")
    return json.loads(path.read_text(encoding="utf-8"))


# --- locating the shared folder -----------------------------------------------------------------------------


def test_shared_dir_honours_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "ocpi" / "openapi").mkdir(parents=True)
    monkeypatch.setenv("OCPI_SHARED_DIR", str(tmp_path))
    assert ocpi_schema.shared_ocpi_dir() == tmp_path / "ocpi"
    monkeypatch.setenv("OCPI_SHARED_DIR", str(tmp_path / "ocpi"))
    assert ocpi_schema.shared_ocpi_dir() == tmp_path / "ocpi"


def test_shared_dir_defaults_next_to_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OCPI_SHARED_DIR", raising=False)
    expected = Path(ocpi_schema.__file__).resolve().parents[2] / "shared" / "ocpi"
    assert ocpi_schema.shared_ocpi_dir() == expected


def test_missing_shared_material_skips_with_the_reason_and_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocpi_schema, "REQUIRE_SHARED", False)
    with pytest.raises(pytest.skip.Exception, match="openapi not present"):
        need_shared(False, "../shared/ocpi/openapi")
    monkeypatch.setattr(ocpi_schema, "REQUIRE_SHARED", True)
    with pytest.raises(pytest.fail.Exception, match="OCPI_HUB_REQUIRE_SHARED=1"):
        need_shared(False, "../shared/ocpi/openapi")
    need_shared(True, "../shared/ocpi/openapi")  # present: nothing happens


def test_example_path_missing_file_is_none() -> None:
    assert example_path("2.2.1", "no_such_example.json") is None
    assert example_path("9.9.9", "location_example.json") is None


@requires_examples
def test_example_path_and_names_find_official_examples() -> None:
    path = example_path("2.3.0", "location_example.json")
    assert path is not None
    assert path.is_file()
    names = example_names("2.3.0", "tariff_*.json")
    assert "tariff_20_simple_north_american_inclusive.json" in names
    assert all(name.startswith("tariff_") for name in names)


# --- component lookup ---------------------------------------------------------------------------------------


@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", SHORT_NAMES)
def test_short_component_names_resolve(version: str, name: str) -> None:
    uri, component = ocpi_schema._find_component(version, name)
    assert component.lower() == name.lower()
    assert uri.startswith("file://")
    assert uri.endswith("schema.yaml")


@requires_openapi
def test_component_lookup_ignores_case_and_separators() -> None:
    assert ocpi_schema._find_component("2.3.0", "client_info")[1] == "ClientInfo"
    assert ocpi_schema._find_component("2.3.0", "hubclientinfo")[1] == "ClientInfo"
    assert ocpi_schema._find_component("2.3.0", "VERSION_DETAILS")[1] == "VersionDetails"
    assert ocpi_schema._find_component("2.3.0", "tariffs.PriceComponent")[1] == "PriceComponent"
    assert "PriceLimit" in component_names("2.3.0")
    assert "PriceLimit" not in component_names("2.2.1")


@requires_openapi
def test_unknown_component_is_reported() -> None:
    with pytest.raises(AssertionError, match="unknown OCPI 2.3.0 component 'nosuchthing'"):
        validate_object("2.3.0", "nosuchthing", {})
    with pytest.raises(AssertionError, match="no official OpenAPI"):
        validate_object("1.0", "location", {})


# --- validation ---------------------------------------------------------------------------------------------


@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
def test_valid_payloads_pass(version: str) -> None:
    validate_object(version, "location", _location())
    validate_object(version, "evse", _location()["evses"][0])
    validate_object(version, "connector", _connector())


@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
def test_error_names_nested_path(version: str) -> None:
    location = _location()
    location["evses"][0]["connectors"].append(_connector(id="2", max_voltage="abc"))
    with pytest.raises(AssertionError) as info:
        validate_object(version, "location", location)
    message = str(info.value)
    assert f"not a valid OCPI {version} Location" in message
    assert "evses[0].connectors[1].max_voltage: 'abc' is not of type 'integer'" in message


@requires_openapi
def test_required_fields_and_refs_across_files_are_checked() -> None:
    location = _location(directions=[{"language": "english", "text": "Go left"}])
    del location["city"]
    location["publish_allowed_to"] = [{"uid": "U1", "type": "NOT_A_TOKEN_TYPE"}]
    with pytest.raises(AssertionError) as info:
        validate_object("2.3.0", "location", location)
    message = str(info.value)
    assert "(root): 'city' is a required property" in message
    assert "directions[0].language: 'english' is too long" in message  # components/schema.yaml
    assert "publish_allowed_to[0].type: 'NOT_A_TOKEN_TYPE' is not one of" in message  # tokens/schema.yaml


@requires_openapi
def test_tax_included_yes_no_are_strings_not_booleans() -> None:
    validate_object("2.3.0", "tariff", _tariff(tax_included="YES"))
    validate_object("2.3.0", "tariff", _tariff(tax_included="NO"))
    validate_object("2.3.0", "tariff", _tariff(tax_included="N/A"))
    with pytest.raises(AssertionError, match="tax_included"):
        validate_object("2.3.0", "tariff", _tariff(tax_included=True))


@requires_openapi
def test_versions_differ_where_the_spec_does() -> None:
    tariff = _tariff()
    with pytest.raises(AssertionError, match="'tax_included' is a required property"):
        validate_object("2.3.0", "tariff", {k: v for k, v in tariff.items() if k != "tax_included"})
    validate_object("2.2.1", "tariff", {k: v for k, v in tariff.items() if k != "tax_included"})
    mcs = _connector(standard="MCS")
    validate_object("2.3.0", "connector", mcs)
    with pytest.raises(AssertionError, match="standard: 'MCS' is not one of"):
        validate_object("2.2.1", "connector", mcs)


@requires_openapi
@pytest.mark.parametrize(
    "value", ["2024-01-01T00:00:00", "2024-01-01T00:00:00+02:00", "2024-13-01T00:00:00Z", "yesterday"]
)
def test_date_time_must_be_utc_with_z(value: str) -> None:
    with pytest.raises(AssertionError, match="last_updated: .* is not a 'date-time'"):
        validate_object("2.3.0", "connector", _connector(last_updated=value))


@requires_openapi
@pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123Z"])
def test_date_time_with_z_passes(value: str) -> None:
    validate_object("2.3.0", "connector", _connector(last_updated=value))


@requires_openapi
def test_uri_format_is_checked() -> None:
    validate_object("2.3.0", "connector", _connector(terms_and_conditions="https://example.com/tc"))
    with pytest.raises(AssertionError, match="terms_and_conditions: 'not a url' is not a 'uri'"):
        validate_object("2.3.0", "connector", _connector(terms_and_conditions="not a url"))


@requires_openapi
def test_open_enums_strict_by_default_and_relaxable() -> None:
    location = _location(facilities=["PLAYGROUND"])
    with pytest.raises(AssertionError, match="facilities\\[0\\]: 'PLAYGROUND' is not one of"):
        validate_object("2.3.0", "location", location)
    validate_object("2.3.0", "location", location, strict_enums=False)
    closed = copy.deepcopy(location)
    closed["evses"][0]["status"] = "available"
    with pytest.raises(AssertionError, match="evses\\[0\\].status: 'available' is not one of"):
        validate_object("2.3.0", "location", closed, strict_enums=False)


@requires_openapi
@requires_examples
@pytest.mark.parametrize("version", VERSIONS)
def test_official_configuration_examples_pass(version: str) -> None:
    validate_object(version, "credentials", _load(version, "credentials_example.json"))
    for item in _load(version, "versions_info_example.json"):
        validate_object(version, "version", item)
    envelope = _load(version, "transport_and_format_version_details_example.json")
    validate_object(version, "versionDetails", envelope["data"])


@requires_openapi
@pytest.mark.parametrize("version", VERSIONS)
def test_validators_are_cached(version: str) -> None:
    validate_object(version, "location", _location())
    before = ocpi_schema._validator.cache_info().hits
    validate_object(version, "location", _location())
    assert ocpi_schema._validator.cache_info().hits == before + 1
