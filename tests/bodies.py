"""The OCPI bodies the tests send and expect: one builder per object (Location, EVSE, Connector, Tariff, Session,
CDR, token, ErrorRecord), the CredentialsRole bodies of the test parties, and OCPI timestamps.

Every builder returns a fresh, valid, quality-clean dict; keyword ``changes`` replace top-level fields. Platforms
(rows and the credentials handshake) come from ``tests.factories``.
"""

from __future__ import annotations

import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.ocpi_schema import example_path

# --- the test parties' roles (CredentialsRole) -------------------------------------------------------------------

# Locations / Tariffs / delivery engine flows.
CPO_ROLE = {"role": "CPO", "country_code": "NL", "party_id": "CPO", "business_details": {"name": "Charge NL"}}
OTHER_CPO_ROLE = {"role": "CPO", "country_code": "DE", "party_id": "CPB", "business_details": {"name": "Charge DE"}}
EMSP_221_ROLE = {"role": "EMSP", "country_code": "NL", "party_id": "EMA", "business_details": {"name": "eMSP A"}}
EMSP_230_ROLE = {"role": "EMSP", "country_code": "BE", "party_id": "EMB", "business_details": {"name": "eMSP B"}}
# Sessions / CDRs / Commands flows.
CPO_A: dict[str, Any] = {"role": "CPO", "country_code": "NL", "party_id": "CPA", "business_details": {"name": "CPO A"}}
CPO_B: dict[str, Any] = {"role": "CPO", "country_code": "DE", "party_id": "CPB", "business_details": {"name": "CPO B"}}
EMSP_X: dict[str, Any] = {
    "role": "EMSP",
    "country_code": "NL",
    "party_id": "EMX",
    "business_details": {"name": "eMSP X"},
}
EMSP_Y: dict[str, Any] = {
    "role": "EMSP",
    "country_code": "DE",
    "party_id": "EMY",
    "business_details": {"name": "eMSP Y"},
}

# --- timestamps ---------------------------------------------------------------------------------------------------

BASE = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
MINUTE = 60
_clock = itertools.count(1)


def ts(seconds: float | None = None) -> str:
    """An OCPI DateTime ``seconds`` after BASE (2024-05-01T12:00:00Z), e.g. ``ts(30 * MINUTE)``; without an argument,
    one second later than the previous argument-less call (a clock that only moves forward)."""
    offset = next(_clock) if seconds is None else seconds
    return (BASE + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


# The charging window of ``session_body`` and ``cdr_body``.
START = "2024-05-01T10:00:00Z"
END = "2024-05-01T12:00:00Z"


# --- Locations and Tariffs ----------------------------------------------------------------------------------------


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


# --- Sessions, CDRs and tokens ------------------------------------------------------------------------------


def cdr_token(owner: dict[str, Any] = EMSP_X, uid: str = "TOKEN1") -> dict[str, Any]:
    return {
        "country_code": owner["country_code"],
        "party_id": owner["party_id"],
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{owner['country_code']}-{owner['party_id']}-C0001",
    }


def token(
    owner: dict[str, Any] = EMSP_X, uid: str = "TOKEN1", token_type: str = "RFID", **changes: Any
) -> dict[str, Any]:
    """A valid, whitelisted Token of ``owner`` (a CredentialsRole body), issued under the owner's business name."""
    item: dict[str, Any] = {
        **cdr_token(owner, uid),
        "type": token_type,
        "issuer": owner["business_details"]["name"],
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-05-01T09:00:00Z",
    }
    return {**item, **changes}


def period(start: str, **volumes: float) -> dict[str, Any]:
    return {
        "start_date_time": start,
        "dimensions": [{"type": kind, "volume": volume} for kind, volume in volumes.items()],
    }


def price(version: str, amount: float, vat: float | None = None) -> dict[str, Any]:
    if version == "2.2.1":
        return {"excl_vat": amount} if vat is None else {"excl_vat": amount, "incl_vat": round(amount + vat, 4)}
    taxes = [] if vat is None else [{"name": "VAT", "amount": vat}]
    return {"before_taxes": amount, "taxes": taxes}


def session_body(
    version: str = "2.2.1", *, cpo: dict[str, Any] = CPO_A, session_id: str = "S1", **changes: Any
) -> dict[str, Any]:
    """A valid, quality-clean ACTIVE Session (2 kWh so far, one period)."""
    body: dict[str, Any] = {
        "country_code": cpo["country_code"],
        "party_id": cpo["party_id"],
        "id": session_id,
        "start_date_time": START,
        "kwh": 2.0,
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "location_id": "LOC1",
        "evse_uid": "EVSE1",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": [period(START, ENERGY=2.0)],
        "total_cost": price(version, 1.0, 0.21),
        "status": "ACTIVE",
        "last_updated": "2024-05-01T10:30:00Z",
    }
    body.update(changes)
    return body


def cdr_tariff(version: str = "2.2.1", *, cpo: dict[str, Any] = CPO_A) -> dict[str, Any]:
    """The tariff of ``cdr_body``: ENERGY 0.40/kWh and PARKING_TIME 2.00/h, 21 % VAT, no steps."""
    tariff: dict[str, Any] = {
        "country_code": cpo["country_code"],
        "party_id": cpo["party_id"],
        "id": "TARIFF1",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": 0.4, "vat": 21.0, "step_size": 1},
                    {"type": "PARKING_TIME", "price": 2.0, "vat": 21.0, "step_size": 1},
                ]
            }
        ],
        "last_updated": "2024-04-01T00:00:00Z",
    }
    if version != "2.2.1":
        tariff["tax_included"] = "NO"
    return tariff


def cdr_body(version: str = "2.2.1", *, cpo: dict[str, Any] = CPO_A, cdr_id: str = "CDR1", **changes: Any) -> dict:
    """A valid, quality-clean CDR of session S1: 10 kWh in 1.5 h charging + 0.5 h parking, 5.00 EUR (its
    tariff ``cdr_tariff`` embedded: 10 x 0.40 + 0.5 x 2.00 = 5.00, 6.05 with 21 % VAT)."""
    body: dict[str, Any] = {
        "country_code": cpo["country_code"],
        "party_id": cpo["party_id"],
        "id": cdr_id,
        "start_date_time": START,
        "end_date_time": END,
        "session_id": "S1",
        "cdr_token": cdr_token(),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": "LOC1",
            "address": "Main street 1",
            "city": "Utrecht",
            "country": "NLD",
            "coordinates": {"latitude": "52.09074", "longitude": "5.12142"},
            "evse_uid": "EVSE1",
            "evse_id": "NL*CPA*E1",
            "connector_id": "1",
            "connector_standard": "IEC_62196_T2",
            "connector_format": "SOCKET",
            "connector_power_type": "AC_3_PHASE",
        },
        "currency": "EUR",
        "tariffs": [cdr_tariff(version, cpo=cpo)],
        "charging_periods": [
            period(START, ENERGY=10.0, TIME=1.5),
            period("2024-05-01T11:30:00Z", PARKING_TIME=0.5),
        ],
        "total_cost": price(version, 5.0, 1.05),
        "total_energy_cost": price(version, 4.0),
        "total_parking_cost": price(version, 1.0),
        "total_energy": 10.0,
        "total_time": 2.0,
        "total_parking_time": 0.5,
        "last_updated": "2024-05-01T12:05:00Z",
    }
    body.update(changes)
    return body


# --- chargex-errors ----------------------------------------------------------------------------------------


def record_body(record_id: str = "ERR1", **changes: Any) -> dict[str, Any]:
    """A valid ErrorRecord (MREC CX003 at NL/CPO LOC1/E1)."""
    body = {
        "id": record_id,
        "country_code": "NL",
        "party_id": "CPO",
        "location_id": "LOC1",
        "evse_uid": "E1",
        "connector_id": "1",
        "scheme": "MREC",
        "code": "CX003",
        "source": "EVSE",
        "severity": 6,
        "component": "EVSE",
        "variable": "Problem",
        "occurred_at": ts(0),
        "description": "Cabinet temperature high, output derated",
        "last_updated": ts(0),
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


# --- official examples and trimming ------------------------------------------------------------------------


def example(version: str, name: str) -> dict[str, Any]:
    path = example_path(version, name)
    assert path is not None, f"official example {version}/{name} missing"
    return json.loads(path.read_text(encoding="utf-8"))


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(body)
    for name in names:
        trimmed.pop(name, None)
    return trimmed
