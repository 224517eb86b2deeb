"""Pure operations on canonical Location documents: find and replace EVSEs/Connectors, merge a PATCH,
render one level (Location, EVSE or Connector) in a version. No database access here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from locations.wire import (
    parse_connector,
    parse_evse,
    parse_location,
    render_connector,
    render_evse,
    render_location,
)
from ocpi_hub.api.datetimes import format_datetime, parse_datetime
from ocpi_hub.api.patching import checked_fields

Doc = dict[str, Any]


@dataclass(frozen=True)
class LocationRef:
    """Address of a Location, one of its EVSEs, or one of that EVSE's Connectors (ids as in the URL)."""

    country_code: str
    party_id: str
    location_id: str
    evse_uid: str | None = None
    connector_id: str | None = None

    @property
    def level(self) -> str:
        if self.connector_id is not None:
            return "connector"
        return "evse" if self.evse_uid is not None else "location"

    def __str__(self) -> str:
        parts = [self.country_code, self.party_id, self.location_id, self.evse_uid, self.connector_id]
        return "/".join(part for part in parts if part is not None)


def same_id(left: Any, right: Any) -> bool:
    """CiString equality."""
    return left is not None and right is not None and str(left).upper() == str(right).upper()


def find_evse(location: Doc, uid: str) -> Doc | None:
    return next((evse for evse in location.get("evses") or [] if same_id(evse.get("uid"), uid)), None)


def find_connector(evse: Doc, connector_id: str) -> Doc | None:
    return next((item for item in evse.get("connectors") or [] if same_id(item.get("id"), connector_id)), None)


def find_part(location: Doc, evse_uid: str | None, connector_id: str | None) -> Doc | None:
    """The object addressed below a Location document (the Location itself without ids)."""
    if evse_uid is None:
        return location
    evse = find_evse(location, evse_uid)
    if evse is None or connector_id is None:
        return evse
    return find_connector(evse, connector_id)


def _first_repeat(items: list[Doc], key: str) -> int | None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = str(item.get(key, "")).upper()
        if value in seen:
            return index
        seen.add(value)
    return None


def duplicate_id(part: Doc, level: str) -> str | None:
    """Path of the first EVSE uid or Connector id repeated (case-insensitively) inside a Location or EVSE."""
    if level == "connector":
        return None
    evses, prefix = (part.get("evses") or [], "evses[{}].") if level == "location" else ([part], "")
    repeated = _first_repeat(evses, "uid")
    if repeated is not None:
        return f"evses[{repeated}].uid"
    for position, evse in enumerate(evses):
        repeated = _first_repeat(evse.get("connectors") or [], "id")
        if repeated is not None:
            return f"{prefix.format(position)}connectors[{repeated}].id"
    return None


def timestamp(doc: Doc) -> datetime:
    """``last_updated`` of a canonical document (always present and valid there)."""
    return parse_datetime(doc["last_updated"])


def _replaced(items: list[Doc], new: Doc, key: str) -> list[Doc]:
    """``items`` with the entry of the same id replaced by ``new``, or ``new`` appended."""
    result = [new if same_id(item.get(key), new.get(key)) else item for item in items]
    if not any(same_id(item.get(key), new.get(key)) for item in items):
        result.append(new)
    return result


def _bumped(parent: Doc, child: Doc) -> str:
    """A parent's last_updated after a change of ``child``: the child's, unless the parent's is newer."""
    return format_datetime(max(timestamp(parent), timestamp(child)))


def with_evse(location: Doc, evse: Doc) -> Doc:
    """The Location with ``evse`` put (replaced or added); its last_updated follows the EVSE's."""
    evses = _replaced(location.get("evses") or [], evse, "uid")
    return {**location, "evses": evses, "last_updated": _bumped(location, evse)}


def with_connector(location: Doc, evse_uid: str, connector: Doc) -> Doc:
    """The Location with ``connector`` put into EVSE ``evse_uid``; EVSE and Location follow its last_updated."""
    evse = find_evse(location, evse_uid)
    if evse is None:
        raise KeyError(evse_uid)
    connectors = _replaced(evse.get("connectors") or [], connector, "id")
    return with_evse(location, {**evse, "connectors": connectors, "last_updated": _bumped(evse, connector)})


def with_part(location: Doc, ref: LocationRef, part: Doc) -> Doc:
    """The Location with the object at ``ref``'s level replaced by ``part``."""
    if ref.level == "location":
        return part
    if ref.level == "evse":
        return with_evse(location, part)
    return with_connector(location, ref.evse_uid or "", part)


def merge_patch(stored: Doc, patch: Doc) -> Doc:
    """A PATCH body applied to a stored object: each field sent replaces the stored one (objects and lists
    included: OCPI PATCHes fields, not parts of fields), ``null`` removes it, fields not sent stay. A new dict;
    its values are shared with ``stored`` and ``patch`` (only validated and re-rendered, never changed: a
    deep copy cost more than the validation of an EVSE status PATCH)."""
    merged = dict(stored)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


# The wire functions of each level (``LocationRef.level``).
PARSERS: dict[str, Callable[..., Doc]] = {"location": parse_location, "evse": parse_evse, "connector": parse_connector}
_RENDER = {"location": render_location, "evse": render_evse, "connector": render_connector}


def patched(version: str, level: str, stored: Doc, body: Doc, *, lenient: bool = False) -> Doc:
    """The stored canonical object (a Location, EVSE or Connector: ``level``) with a PATCH of ``version``
    applied. The PATCH is validated as the caller sees the object: the stored one in its version, the body
    merged in, the version's model over the result (so a partial body is checked in context). The fields the
    body sends are taken from that; every other field stays as stored, also where the caller's version cannot
    express its value (a 2.3.0 capability or connector standard under a 2.2.1 PATCH, which re-validating the
    stored object with the 2.2.1 model refused). Field names are the same in both versions (only values
    differ: ``locations.wire.convert``). Raises pydantic's ValidationError as the parsers do."""
    seen_as = _RENDER[level](stored, version)
    if seen_as is None:  # nothing of it exists in the caller's version (an EVSE of MCS connectors only)
        return PARSERS[level](version, merge_patch(stored, body), lenient=lenient)
    return checked_fields(stored, body, PARSERS[level](version, merge_patch(seen_as, body), lenient=lenient))


def render_part(location: Doc, version: str, evse_uid: str | None, connector_id: str | None) -> Doc | None:
    """The object addressed below ``location`` as a wire dict of ``version``; None when it does not exist
    or cannot be expressed in that version (e.g. an MCS connector in 2.2.1)."""
    part = find_part(location, evse_uid, connector_id)
    if part is None:
        return None
    if evse_uid is None:
        return render_location(part, version)
    if connector_id is None:
        return render_evse(part, version)
    return render_connector(part, version)
