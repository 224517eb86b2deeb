"""A Location, EVSE or Connector PATCH changes the fields it sends and nothing else (``documents.patched``):
validated as the caller's version sees the object, while the stored values that version cannot express stay
(a 2.3.0 capability or connector standard under a 2.2.1 PATCH)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from locations.documents import merge_patch, patched
from locations.tests.helpers import official_locations
from locations.wire import parse_evse, parse_location
from ocpi_hub.api.unknown import UNKNOWN
from tests.bodies import connector, evse, location
from tests.ocpi_schema import requires_examples

STAMP = "2026-01-02T03:04:05Z"


def _stored(**changes: Any) -> dict[str, Any]:
    """A Location stored from 2.3.0 with values 2.2.1 cannot express: a capability of its own and an EVSE
    whose only connector is MCS."""
    mcs = evse("E2", connectors=[connector("1", standard="MCS", power_type="DC")])
    body = location(evses=[evse("E1", capabilities=["RFID_READER", "A_2_3_0_CAPABILITY"]), mcs], **changes)
    return parse_location("2.3.0", body)


def test_a_2_2_1_evse_patch_keeps_the_values_2_2_1_cannot_express():
    stored = _stored()["evses"][0]
    body = {"floor_level": "2", "last_updated": STAMP}
    with pytest.raises(ValidationError):  # the stored EVSE re-validated with the 2.2.1 model
        parse_evse("2.2.1", merge_patch(stored, body))
    assert patched("2.2.1", "evse", stored, body) == {**stored, "floor_level": "2", "last_updated": STAMP}


def test_a_2_2_1_location_patch_keeps_the_evses_2_2_1_cannot_show():
    stored = _stored()
    result = patched("2.2.1", "location", stored, {"name": "Renamed", "last_updated": STAMP})
    assert result == {**stored, "name": "Renamed", "last_updated": STAMP}
    assert [item["uid"] for item in result["evses"]] == ["E1", "E2"]


def test_a_patch_is_still_checked_in_context_and_names_the_field():
    with pytest.raises(ValidationError, match="longitude"):
        patched("2.2.1", "location", _stored(), {"coordinates": {"latitude": "52.10000"}, "last_updated": STAMP})
    with pytest.raises(ValidationError, match="capabilities"):  # what the body sends must be 2.2.1
        patched("2.2.1", "evse", _stored()["evses"][0], {"capabilities": ["NEW"], "last_updated": STAMP})


def test_null_removes_a_field_and_the_body_s_fields_replace_the_stored_ones():
    stored = _stored(name="Plaza")
    result = patched("2.3.0", "location", stored, {"name": None, "city": "Utrecht", "last_updated": STAMP})
    assert "name" not in result
    assert (result["city"], result["last_updated"]) == ("Utrecht", STAMP)


_PATCHES = {
    "location": [{"name": "Other name"}, {"coordinates": {"latitude": "51.00000", "longitude": "4.50000"}}],
    "evse": [{"floor_level": "-1"}, {"physical_reference": "P9", "status": "CHARGING"}],
}


@requires_examples
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_within_one_version_a_patch_gives_what_merging_and_the_model_give(version: str):
    """For the official examples, stored and patched in the same version, the result is the one of merging
    the body into the stored object and running the model over it (the way before ``patched``)."""
    compared = 0
    for stored in official_locations(version):
        parts = [("location", stored)] + [("evse", item) for item in stored.get("evses") or []]
        for level, part in parts:
            for change in _PATCHES[level]:
                body = {**change, "last_updated": STAMP}
                parse = parse_location if level == "location" else parse_evse
                assert patched(version, level, part, body) == parse(version, merge_patch(part, body))
                compared += 1
    assert compared > 10


def test_unknown_fields_of_another_version_survive_a_patch_that_sends_none():
    stored = parse_location("2.3.0", location(a_future_field={"x": 1}))
    assert stored[UNKNOWN] == {"version": "2.3.0", "fields": {"a_future_field": {"x": 1}}}
    result = patched("2.2.1", "location", stored, {"name": "Renamed", "last_updated": STAMP})
    assert result[UNKNOWN] == stored[UNKNOWN]
    replaced = patched("2.2.1", "location", stored, {"a_221_field": 2, "last_updated": STAMP})
    assert replaced[UNKNOWN] == {"version": "2.2.1", "fields": {"a_221_field": 2}}  # kept for one version only
