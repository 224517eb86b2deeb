"""Builders and helpers shared by the Locations/Tariffs tests (unit and end-to-end)."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpi_party.party import OcpiParty
from parties.models import Platform
from parties.services.credentials import platform_invite
from tests.ocpi_schema import REQUIRE_SHARED, SHARED_OPENAPI_AVAILABLE, need_shared, validate_object

CPO_ROLE = {"role": "CPO", "country_code": "NL", "party_id": "CPO", "business_details": {"name": "Charge NL"}}
OTHER_CPO_ROLE = {"role": "CPO", "country_code": "DE", "party_id": "CPB", "business_details": {"name": "Charge DE"}}
EMSP_221_ROLE = {"role": "EMSP", "country_code": "NL", "party_id": "EMA", "business_details": {"name": "eMSP A"}}
EMSP_230_ROLE = {"role": "EMSP", "country_code": "BE", "party_id": "EMB", "business_details": {"name": "eMSP B"}}

_BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_clock = itertools.count(1)


def ts(offset: int | None = None) -> str:
    """An OCPI timestamp; without ``offset`` each call is one second later than the previous one."""
    seconds = next(_clock) if offset is None else offset
    return (_BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def register(hub_url: str, party: OcpiParty, name: str | None = None) -> Platform:
    """Run the credentials handshake of ``party`` with the hub; return the hub's Platform row."""
    platform, token_a = platform_invite(name=name or party.roles[0]["party_id"])
    party.register_with(f"{hub_url}/ocpi/versions", token_a)
    platform.refresh_from_db()
    return platform


def connector(connector_id: str = "1", **changes: Any) -> dict[str, Any]:
    item = {
        "id": connector_id,
        "standard": "IEC_62196_T2",
        "format": "SOCKET",
        "power_type": "AC_3_PHASE",
        "max_voltage": 230,
        "max_amperage": 16,
        "tariff_ids": ["T1"],
        "last_updated": ts(0),
    }
    return {**item, **changes}


def evse(uid: str = "E1", **changes: Any) -> dict[str, Any]:
    item = {
        "uid": uid,
        "evse_id": f"NL*CPO*E{uid}",
        "status": "AVAILABLE",
        "capabilities": ["RFID_READER"],
        "connectors": [
            connector("1"),
            connector(
                "2", standard="IEC_62196_T2_COMBO", power_type="DC", max_voltage=920, max_amperage=200, format="CABLE"
            ),
        ],
        "last_updated": ts(0),
    }
    return {**item, **changes}


def location(location_id: str = "LOC1", *, owner: dict | None = None, **changes: Any) -> dict[str, Any]:
    owner = owner or CPO_ROLE
    item = {
        "country_code": owner["country_code"],
        "party_id": owner["party_id"],
        "id": location_id,
        "publish": True,
        "name": "Station",
        "address": "Main street 1",
        "city": "Utrecht",
        "postal_code": "3511AA",
        "country": "NLD",
        "coordinates": {"latitude": "52.090736", "longitude": "5.121420"},
        "parking_type": "ON_STREET",
        "evses": [evse("E1"), evse("E2")],
        "operator": {"name": "Charge NL"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": ts(0),
    }
    return {**item, **changes}


def location_230(location_id: str = "LOC1", **changes: Any) -> dict[str, Any]:
    """A 2.3.0 Location with fields 2.2.1 cannot carry: parking places, help phone and an MCS connector."""
    mcs = connector("3", standard="MCS", power_type="DC", max_voltage=1250, max_amperage=3000, format="CABLE")
    evses = [
        evse("E1", parking=[{"parking_id": "P1", "evse_position": "LEFT"}]),
        evse("E2", connectors=[connector("1"), mcs]),
        evse("E3", connectors=[copy.deepcopy(mcs)]),
    ]
    parking = [
        {"id": "P1", "vehicle_types": ["PERSONAL_VEHICLE"], "restricted_to_type": False, "reservation_required": False}
    ]
    item = location(location_id, evses=evses, parking_places=parking, help_phone="+31301234567")
    return {**item, **changes}


def tariff(tariff_id: str = "T1", *, version: str = "2.3.0", owner: dict | None = None, **changes: Any) -> dict:
    owner = owner or CPO_ROLE
    item: dict[str, Any] = {
        "country_code": owner["country_code"],
        "party_id": owner["party_id"],
        "id": tariff_id,
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.363, "vat": 21.0, "step_size": 1}]}],
        "last_updated": ts(0),
    }
    if version == "2.3.0":
        item["tax_included"] = "YES"
        item["max_price"] = {"before_taxes": 50.0, "after_taxes": 60.5}
    else:
        item["max_price"] = {"excl_vat": 50.0, "incl_vat": 60.5}
    return {**item, **changes}


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
