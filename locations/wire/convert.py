"""Down-conversion of canonical (2.3.0-shaped) Location documents to what OCPI 2.2.1 can carry.

Fields that 2.2.1 does not know are dropped by the 2.2.1 models themselves (``extra="ignore"``); this module
only handles values that 2.2.1 cannot express:
- enum list values unknown to 2.2.1 (capabilities, parking_restrictions, facilities) are left out;
- an unknown ``parking_type`` is left out, an unknown image ``category`` becomes ``OTHER``;
- a connector whose ``standard`` has no 2.2.1 value (``MCS``, ``SAE_J3400``, other) is left out, and so is an
  EVSE left without connectors;
- ``publish_allowed_to`` entries with a token ``type`` unknown to 2.2.1 (``EMAID``) are left out (this only
  narrows who may see a non-published Location).
"""

from __future__ import annotations

from typing import Any

from locations.wire.enums import (
    CAPABILITY_VALUES,
    CONNECTOR_TYPE_221_VALUES,
    FACILITY_VALUES,
    PARKING_RESTRICTION_221_VALUES,
    PARKING_TYPE_VALUES,
)
from ocpi_hub.api.wire_common import (
    TOKEN_TYPE_221_VALUES,
    business_details_to_221,
    energy_mix_to_221,
    images_to_221,
    known_values,
)

Doc = dict[str, Any]


def connector_to_221(connector: Doc) -> Doc | None:
    if connector.get("standard") not in CONNECTOR_TYPE_221_VALUES:
        return None
    return connector


def evse_to_221(evse: Doc) -> Doc | None:
    connectors = [item for item in map(connector_to_221, evse.get("connectors") or []) if item is not None]
    if not connectors:
        return None
    return {
        **evse,
        "connectors": connectors,
        "capabilities": known_values(evse.get("capabilities"), CAPABILITY_VALUES),
        "parking_restrictions": known_values(evse.get("parking_restrictions"), PARKING_RESTRICTION_221_VALUES),
        "images": images_to_221(evse.get("images")),
    }


def _publish_allowed_to_221(entries: list[Doc] | None) -> list[Doc]:
    return [entry for entry in entries or [] if entry.get("type") in (None, *TOKEN_TYPE_221_VALUES)]


def location_to_221(location: Doc) -> Doc:
    parking_type = location.get("parking_type")
    return {
        **location,
        "publish_allowed_to": _publish_allowed_to_221(location.get("publish_allowed_to")),
        "parking_type": parking_type if parking_type in PARKING_TYPE_VALUES else None,
        "evses": [item for item in map(evse_to_221, location.get("evses") or []) if item is not None],
        "operator": business_details_to_221(location.get("operator")),
        "suboperator": business_details_to_221(location.get("suboperator")),
        "owner": business_details_to_221(location.get("owner")),
        "facilities": known_values(location.get("facilities"), FACILITY_VALUES),
        "images": images_to_221(location.get("images")),
        "energy_mix": energy_mix_to_221(location.get("energy_mix")),
    }
