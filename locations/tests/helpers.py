"""Checks shared by the Locations/Tariffs tests: official-schema validation and replaying received pushes.
The bodies themselves come from ``tests.bodies``."""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import ValidationError

from locations.wire import parse_location
from tests.ocpi_schema import (
    REQUIRE_SHARED,
    SHARED_OPENAPI_AVAILABLE,
    example_names,
    example_path,
    need_shared,
    validate_object,
)


def official_locations(version: str) -> list[dict[str, Any]]:
    """The official ``location_*`` examples of ``version`` that are whole Locations, parsed into canonical
    documents (the others are fragments: PATCH bodies, sub-objects). Callers mark their test
    ``requires_examples``."""
    locations = []
    for name in example_names(version, "location_*.json"):
        path = example_path(version, name)
        assert path is not None
        data = json.loads(path.read_text(encoding="utf-8"))
        data = data.get("data", data) if isinstance(data, dict) else data
        for item in data if isinstance(data, list) else [data]:
            try:
                locations.append(parse_location(version, item))
            except ValidationError:
                continue
    return locations


def assert_official(version: str, schema_name: str, payload: Any) -> None:
    """Validate against the official OpenAPI of ``version`` when ../shared is present (else only the shape: the
    rest of the test still runs); with OCPI_HUB_REQUIRE_SHARED=1 a missing ../shared fails the test."""
    assert isinstance(payload, dict), payload
    if SHARED_OPENAPI_AVAILABLE:
        validate_object(version, schema_name, payload)
    elif REQUIRE_SHARED:
        need_shared(False, "../shared/ocpi/openapi")


def apply_push(state: dict[str, dict], path: str, body: dict) -> None:
    """Replay one Locations PUT received by a test party into ``state`` ({location_id: document}),
    the way an OCPI receiver does (parents follow a child's last_updated)."""
    parts = path.split("/locations/", 1)[1].split("/")
    location_id, ids = parts[2], parts[3:]
    if not ids:
        state[location_id] = copy.deepcopy(body)
        return
    doc = state[location_id]
    if len(ids) == 1:
        doc["evses"] = [e for e in doc.get("evses", []) if e["uid"] != ids[0]] + [copy.deepcopy(body)]
        doc["evses"].sort(key=lambda item: item["uid"])
    else:
        target = next(e for e in doc["evses"] if e["uid"] == ids[0])
        target["connectors"] = [c for c in target["connectors"] if c["id"] != ids[1]] + [copy.deepcopy(body)]
        target["connectors"].sort(key=lambda item: item["id"])
        target["last_updated"] = max(target["last_updated"], body["last_updated"])
    doc["last_updated"] = max(doc["last_updated"], body["last_updated"])


def sorted_location(doc: dict) -> dict:
    """A Location with EVSEs and connectors sorted by id (to compare states built in different orders)."""
    doc = copy.deepcopy(doc)
    doc["evses"] = sorted(doc.get("evses", []), key=lambda item: item["uid"])
    for item in doc["evses"]:
        item["connectors"] = sorted(item["connectors"], key=lambda c: c["id"])
    return doc
