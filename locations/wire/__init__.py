"""Locations on the wire: parse any supported version into the canonical document, render it per version.

The hub stores one canonical document per Location/EVSE/Connector: the 2.3.0-shaped JSON dict (a superset
of 2.2.1). ``parse_*`` validate inbound data with the version's model and return that document; ``render_*``
turn it into the wire dict of a version (only that version's fields and values). Validation problems raise
pydantic ``ValidationError``; format them with ``ocpi_hub.api.wire.format_validation_error``.
"""

from __future__ import annotations

from typing import Any, get_args

from locations.wire.convert import connector_to_221, evse_to_221, location_to_221
from locations.wire.enums import Status
from locations.wire.models import (
    Connector221,
    Connector230,
    Evse221,
    Evse230,
    EVSEParking230,
    ExceptionalPeriod,
    Hours,
    Location221,
    Location230,
    Parking230,
    RegularHours,
    StatusSchedule,
)
from ocpi_hub.api.unknown import (
    UNKNOWN,
    add_unknown,
    add_unknown_items,
    has_unknown,
    keep_unknown,
    keep_unknown_items,
)
from ocpi_hub.api.wire import WireModel, last_updated_text, render
from ocpi_hub.api.wire_common import V221, V230, model_for

__all__ = [
    "CONNECTOR_MODELS",
    "EVSE_MODELS",
    "LOCATION_MODELS",
    "Connector221",
    "Connector230",
    "EVSEParking230",
    "Evse221",
    "Evse230",
    "ExceptionalPeriod",
    "Hours",
    "Location221",
    "Location230",
    "Parking230",
    "RegularHours",
    "StatusSchedule",
    "parse_connector",
    "parse_evse",
    "parse_location",
    "render_connector",
    "render_evse",
    "render_location",
    "status_patched",
]

Doc = dict[str, Any]

LOCATION_MODELS: dict[str, type[WireModel]] = {V221: Location221, V230: Location230}
EVSE_MODELS: dict[str, type[WireModel]] = {V221: Evse221, V230: Evse230}
CONNECTOR_MODELS: dict[str, type[WireModel]] = {V221: Connector221, V230: Connector230}


def _parse(models: dict[str, type[WireModel]], version: str, data: Any, lenient: bool) -> Doc:
    model = model_for(models, version)
    return render(model.model_validate(data, context={"lenient_datetimes": lenient}))


def parse_location(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a Location of ``version``; return the canonical document (unknown fields kept, also of its
    EVSEs and Connectors: ``ocpi_hub.api.unknown``)."""
    doc = _parse(LOCATION_MODELS, version, data, lenient)
    keep_unknown(doc, data, version, model_for(LOCATION_MODELS, version))
    for index, (evse, item) in enumerate(zip(doc.get("evses") or [], _items(data, "evses"), strict=False)):
        _keep_evse(evse, item, version, at=f"evses[{index}].")
    return doc


def parse_evse(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate an EVSE of ``version``; return the canonical document."""
    return _keep_evse(_parse(EVSE_MODELS, version, data, lenient), data, version)


STATUS_PATCH = frozenset({"status", "last_updated"})
STATUSES = frozenset(get_args(Status))


def status_patched(current: Doc, body: Any, version: str, *, lenient: bool = False) -> Doc | None:
    """The stored EVSE ``current`` with an EVSE status PATCH applied (``{"status", "last_updated"}`` only:
    the largest volume a hub receives), checked without the EVSE model: the status must be one of the
    enumeration (the same in 2.2.1 and 2.3.0) and last_updated valid, as the model checks them. The other
    fields are the stored ones, validated when they were stored. None for any other body, or one that fails a
    check: the general path (merge, then the version's model) handles it and names the field; so does an
    EVSE holding unknown fields of another version than ``version`` (a write in another version replaces
    them: ``ocpi_hub.api.unknown``)."""
    if not isinstance(body, dict) or body.keys() != STATUS_PATCH or body["status"] not in STATUSES:
        return None
    kept = current.get(UNKNOWN)
    if kept is not None and (not isinstance(kept, dict) or kept.get("version") != version):
        return None
    stamp = last_updated_text(body["last_updated"], lenient=lenient)
    if stamp is None:
        return None
    return {**current, "status": body["status"], "last_updated": stamp}


def parse_connector(version: str, data: Any, *, lenient: bool = False) -> Doc:
    """Validate a Connector of ``version``; return the canonical document."""
    doc = _parse(CONNECTOR_MODELS, version, data, lenient)
    return keep_unknown(doc, data, version, model_for(CONNECTOR_MODELS, version))


def _items(data: Any, key: str) -> list[Any]:
    items = data.get(key) if isinstance(data, dict) else None
    return items if isinstance(items, list) else []


def _keep_evse(doc: Doc, data: Any, version: str, at: str = "") -> Doc:
    keep_unknown(doc, data, version, model_for(EVSE_MODELS, version), at=at)
    connectors = model_for(CONNECTOR_MODELS, version)
    keep_unknown_items(doc.get("connectors"), _items(data, "connectors"), version, connectors, at=f"{at}connectors")
    return doc


def _add_evse(rendered: Doc, doc: Doc, version: str) -> Doc:
    add_unknown(rendered, doc, version, model_for(EVSE_MODELS, version))
    add_unknown_items(
        rendered.get("connectors"), doc.get("connectors"), "id", version, model_for(CONNECTOR_MODELS, version)
    )
    return rendered


def render_location(doc: Doc, version: str) -> Doc:
    """The canonical Location as a wire dict of ``version``."""
    model = model_for(LOCATION_MODELS, version)
    rendered = render(model.model_validate(location_to_221(doc) if version == V221 else doc))
    return _add_evses(add_unknown(rendered, doc, version, model), doc, version)


def _add_evses(rendered: Doc, doc: Doc, version: str) -> Doc:
    kept = {evse["uid"].upper(): evse for evse in doc.get("evses") or [] if has_unknown(evse, "connectors")}
    for item in rendered.get("evses") or [] if kept else []:
        evse = kept.get(item["uid"].upper())
        if evse is not None:
            _add_evse(item, evse, version)
    return rendered


def render_evse(doc: Doc, version: str) -> Doc | None:
    """The canonical EVSE as a wire dict of ``version``; None if 2.2.1 can express none of its connectors."""
    model = model_for(EVSE_MODELS, version)
    converted = evse_to_221(doc) if version == V221 else doc
    return None if converted is None else _add_evse(render(model.model_validate(converted)), doc, version)


def render_connector(doc: Doc, version: str) -> Doc | None:
    """The canonical Connector as a wire dict of ``version``; None if its standard does not exist there."""
    model = model_for(CONNECTOR_MODELS, version)
    converted = connector_to_221(doc) if version == V221 else doc
    return None if converted is None else add_unknown(render(model.model_validate(converted)), doc, version, model)
