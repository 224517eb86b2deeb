"""Test data and helpers shared by the Sessions and CDRs tests (unit and end-to-end)."""

from __future__ import annotations

import copy
import json
from typing import Any

from ocpi_party.party import OcpiParty
from parties.models import Delivery, DeliveryStatus, Platform
from parties.services.credentials import platform_invite
from parties.services.drain import delivery_attempt
from tests.ocpi_schema import example_path

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

START = "2024-05-01T10:00:00Z"
END = "2024-05-01T12:00:00Z"


def register(hub: Any, party: OcpiParty, name: str) -> Platform:
    party.register_with(f"{hub.url}/ocpi/versions", platform_invite(name=name)[1])
    return Platform.objects.get(name=name)


def cdr_token(owner: dict[str, Any] = EMSP_X, uid: str = "TOKEN1") -> dict[str, Any]:
    return {
        "country_code": owner["country_code"],
        "party_id": owner["party_id"],
        "uid": uid,
        "type": "RFID",
        "contract_id": f"{owner['country_code']}-{owner['party_id']}-C0001",
    }


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


class _PlatformStub:
    """Just enough of a Platform for ``parties.extension.platform_opted_in`` (wire-level tests, no database)."""

    def __init__(self, opted_in: bool):
        self.opted_in = opted_in

    def endpoint_url(self, identifier: str, role: str) -> str | None:
        listed = self.opted_in and (identifier, role) == ("chargex-errors", "RECEIVER")
        return "https://emsp.example/chargex-errors" if listed else None


PLATFORM_OPTED_IN: Any = _PlatformStub(opted_in=True)
PLATFORM_PLAIN: Any = _PlatformStub(opted_in=False)


def example(version: str, name: str) -> dict[str, Any]:
    path = example_path(version, name)
    assert path is not None, f"official example {version}/{name} missing"
    return json.loads(path.read_text(encoding="utf-8"))


def without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    trimmed = copy.deepcopy(body)
    for name in names:
        trimmed.pop(name, None)
    return trimmed


def deliver_pending(module: str) -> list[str]:
    """Run the delivery engine once, in this process, for every due delivery of ``module`` (real HTTP)."""
    pending = Delivery.objects.filter(module=module, status=DeliveryStatus.PENDING).order_by("pk")
    return [delivery_attempt(pk) for pk in pending.values_list("pk", flat=True)]
