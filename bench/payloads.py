"""The OCPI objects the benchmarks send (OCPI 2.2.1 wire format), as dicts and as cheap byte templates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

EVSE_STATUSES = ("AVAILABLE", "CHARGING", "AVAILABLE", "BLOCKED", "AVAILABLE", "OUTOFORDER")


def ocpi_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_text() -> str:
    return ocpi_time(datetime.now(UTC))


def connector(connector_id: str, last_updated: str) -> dict[str, Any]:
    return {
        "id": connector_id,
        "standard": "IEC_62196_T2" if connector_id == "1" else "IEC_62196_T2_COMBO",
        "format": "SOCKET" if connector_id == "1" else "CABLE",
        "power_type": "AC_3_PHASE" if connector_id == "1" else "DC",
        "max_voltage": 400 if connector_id == "1" else 920,
        "max_amperage": 32 if connector_id == "1" else 200,
        "max_electric_power": 22000 if connector_id == "1" else 150000,
        "terms_and_conditions": "https://cpo.example.com/terms",
        "last_updated": last_updated,
    }


def evse(country_code: str, party_id: str, location_id: str, index: int, status: str, last_updated: str) -> dict:
    return {
        "uid": f"{location_id}-E{index}",
        "evse_id": f"{country_code}*{party_id}*E{location_id}*{index}",
        "status": status,
        "capabilities": ["RFID_READER", "REMOTE_START_STOP_CAPABLE", "CREDIT_CARD_PAYABLE"],
        "connectors": [connector("1", last_updated), connector("2", last_updated)],
        "floor_level": "0",
        "physical_reference": f"P{index}",
        "parking_restrictions": ["EV_ONLY"],
        "last_updated": last_updated,
    }


def location(
    country_code: str,
    party_id: str,
    location_id: str,
    *,
    last_updated: str,
    statuses: tuple[str, ...] | None = None,
    evses: int = 4,
) -> dict[str, Any]:
    """A Location with ``evses`` EVSEs of 2 connectors each (AC socket + DC cable)."""
    statuses = statuses or ("AVAILABLE",) * evses
    return {
        "country_code": country_code,
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "name": f"Bench charging plaza {location_id}",
        "address": "Stationsplein 1",
        "city": "Amsterdam",
        "postal_code": "1012AB",
        "country": "NLD",
        "coordinates": {"latitude": "52.378901", "longitude": "4.900272"},
        "parking_type": "PARKING_LOT",
        "evses": [
            evse(country_code, party_id, location_id, i + 1, statuses[i % len(statuses)], last_updated)
            for i in range(evses)
        ],
        "operator": {"name": "Bench CPO", "website": "https://cpo.example.com"},
        "facilities": ["RESTAURANT", "WIFI"],
        "time_zone": "Europe/Amsterdam",
        "opening_times": {"twentyfourseven": True},
        "charging_when_closed": True,
        "energy_mix": {"is_green_energy": True},
        "last_updated": last_updated,
    }


class LocationTemplate:
    """Location PUT bodies made by string substitution (cheap for the load generator): every call gives a
    new last_updated and a new EVSE status pattern, so every PUT is a real change."""

    def __init__(self, country_code: str, party_id: str):
        marker_statuses = tuple(f"@S{i}@" for i in range(4))
        doc = location(country_code, party_id, "@ID@", last_updated="@TS@", statuses=marker_statuses)
        text = json.dumps(doc, separators=(",", ":"))
        self.parts = text
        self.country_code, self.party_id = country_code, party_id

    def body(self, location_id: str, sequence: int, moment: datetime | None = None) -> bytes:
        stamp = ocpi_time(moment or datetime.now(UTC))
        text = self.parts.replace("@ID@", location_id).replace("@TS@", stamp)
        for i in range(4):
            text = text.replace(f"@S{i}@", EVSE_STATUSES[(sequence + i) % len(EVSE_STATUSES)])
        return text.encode()


def cdr_token(emsp: tuple[str, str], token_uid: str) -> dict[str, Any]:
    """The CdrToken of a bench Session or CDR: an RFID token of ``emsp``."""
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "uid": token_uid,
        "type": "RFID",
        "contract_id": f"{emsp[0]}-{emsp[1]}-C{token_uid[-8:]}",
    }


def cdr(
    *,
    cpo: tuple[str, str],
    emsp: tuple[str, str],
    cdr_id: str,
    location_id: str,
    token_uid: str,
    periods: int = 5,
    start: datetime | None = None,
) -> dict[str, Any]:
    """An OCPI 2.2.1 CDR with ``periods`` charging periods of 3 dimensions each (ENERGY, TIME, PARKING_TIME)."""
    start = (start or datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    step = timedelta(minutes=20)
    end = start + step * periods
    kwh_per_period = 7.5
    location_id_ = location_id
    total_energy = round(kwh_per_period * periods, 3)
    total_hours = round(periods * step.total_seconds() / 3600, 4)
    charging_periods = [
        {
            "start_date_time": ocpi_time(start + step * i),
            "dimensions": [
                {"type": "ENERGY", "volume": kwh_per_period},
                {"type": "TIME", "volume": round(step.total_seconds() / 3600 * 0.9, 4)},
                {"type": "PARKING_TIME", "volume": round(step.total_seconds() / 3600 * 0.1, 4)},
            ],
        }
        for i in range(periods)
    ]
    return {
        "country_code": cpo[0],
        "party_id": cpo[1],
        "id": cdr_id,
        "start_date_time": ocpi_time(start),
        "end_date_time": ocpi_time(end),
        "session_id": f"S-{cdr_id}",
        "cdr_token": cdr_token(emsp, token_uid),
        "auth_method": "WHITELIST",
        "cdr_location": {
            "id": location_id_,
            "name": "Bench charging plaza",
            "address": "Stationsplein 1",
            "city": "Amsterdam",
            "postal_code": "1012AB",
            "country": "NLD",
            "coordinates": {"latitude": "52.378901", "longitude": "4.900272"},
            "evse_uid": f"{location_id_}-E1",
            "evse_id": f"{cpo[0]}*{cpo[1]}*E0000011",
            "connector_id": "2",
            "connector_standard": "IEC_62196_T2_COMBO",
            "connector_format": "CABLE",
            "connector_power_type": "DC",
        },
        "currency": "EUR",
        "tariffs": [
            {
                "country_code": cpo[0],
                "party_id": cpo[1],
                "id": "TARIFF-DC",
                "currency": "EUR",
                "elements": [
                    {"price_components": [{"type": "ENERGY", "price": 0.59, "vat": 21.0, "step_size": 1}]},
                    {"price_components": [{"type": "PARKING_TIME", "price": 6.0, "vat": 21.0, "step_size": 60}]},
                ],
                "last_updated": ocpi_time(start - timedelta(days=30)),
            }
        ],
        "charging_periods": charging_periods,
        "total_cost": {"excl_vat": round(total_energy * 0.59, 2), "incl_vat": round(total_energy * 0.59 * 1.21, 2)},
        "total_energy": total_energy,
        "total_energy_cost": {
            "excl_vat": round(total_energy * 0.59, 2),
            "incl_vat": round(total_energy * 0.59 * 1.21, 2),
        },
        "total_time": total_hours,
        "total_parking_time": round(total_hours * 0.1, 4),
        "last_updated": ocpi_time(end + timedelta(minutes=1)),
    }


def session(
    *,
    cpo: tuple[str, str],
    emsp: tuple[str, str],
    session_id: str,
    location_id: str,
    token_uid: str,
    start: datetime,
    status: str = "COMPLETED",
) -> dict[str, Any]:
    """An OCPI 2.2.1 Session (3 charging periods) as a CPO would PUT it."""
    step = timedelta(minutes=15)
    periods = [
        {
            "start_date_time": ocpi_time(start + step * i),
            "dimensions": [{"type": "ENERGY", "volume": 3.2}, {"type": "TIME", "volume": 0.25}],
        }
        for i in range(3)
    ]
    return {
        "country_code": cpo[0],
        "party_id": cpo[1],
        "id": session_id,
        "start_date_time": ocpi_time(start),
        "end_date_time": ocpi_time(start + step * 3),
        "kwh": 9.6,
        "cdr_token": cdr_token(emsp, token_uid),
        "auth_method": "WHITELIST",
        "location_id": location_id,
        "evse_uid": f"{location_id}-E1",
        "connector_id": "1",
        "currency": "EUR",
        "charging_periods": periods,
        "total_cost": {"excl_vat": 5.66, "incl_vat": 6.85},
        "status": status,
        "last_updated": ocpi_time(start + step * 3),
    }


def token(emsp: tuple[str, str], uid: str, last_updated: str) -> dict[str, Any]:
    """An OCPI 2.2.1 Token of the eMSP."""
    return {
        "country_code": emsp[0],
        "party_id": emsp[1],
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{emsp[0]}-{emsp[1]}-C{uid[-8:]}",
        "issuer": "Bench eMSP",
        "valid": True,
        "whitelist": "NEVER",
        "last_updated": last_updated,
    }


def location_references(location_id: str) -> dict[str, Any]:
    return {"location_id": location_id, "evse_uids": [f"{location_id}-E1"]}
