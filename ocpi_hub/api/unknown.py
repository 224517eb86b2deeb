"""Forward compatibility: fields the hub does not know are kept with the object, for receivers of the same version.

A newer 2.3.x minor or a peer's extension may add fields the wire models do not define. Parsing ignores them
(the models are liberal), so without help the hub would strip them between two parties that both understand
them. ``keep_unknown`` stores them in the canonical document under ``UNKNOWN`` together with the OCPI version
they came in; ``add_unknown`` puts them back into a rendering of that same version only, and never over a field
the receiver's model knows. A rendering for another version never carries them (docs/api-guide.md).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from pydantic import BaseModel

from ocpi_hub.exceptions import InvalidParameters

UNKNOWN = "_unknown"  # {"version": "2.3.0", "fields": {...}} in a canonical document
MAX_DEPTH = 32  # levels of nesting of a kept value

Doc = dict[str, Any]


@cache
def known_keys(*models: type[BaseModel]) -> frozenset[str]:
    """Field names and aliases of ``models`` (plus the hub's own UNKNOWN key)."""
    keys = {UNKNOWN}
    for model in models:
        for name, field in model.model_fields.items():
            keys.add(field.alias or name)
            keys.add(name)
    return frozenset(keys)


def _stored(data: Doc) -> Doc | None:
    kept = data.get(UNKNOWN)
    if isinstance(kept, dict) and isinstance(kept.get("version"), str) and isinstance(kept.get("fields"), dict):
        return kept
    return None


def keep_unknown(doc: Doc, data: Any, version: str, *models: type[BaseModel], at: str = "") -> Doc:
    """``doc`` (parsed from ``data``, sent in ``version``) with the fields of ``data`` that none of ``models`` knows.

    ``data`` may be a stored document merged with a PATCH: the fields it kept in the same version stay (merged
    with the new ones). Kept fields of another version are dropped: they belong to the version of the last
    write, so a body can never smuggle fields into another version's rendering. A value the database cannot
    hold is 2001 naming the field (``at`` + its name)."""
    if not isinstance(data, dict):
        return doc
    extra = data.keys() - known_keys(*models)  # usually empty: one set operation, no loop in Python
    fields = {key: _storable(data[key], at + key) for key in extra}
    stored = _stored(data) if UNKNOWN in data else None
    if stored is not None and stored["version"] == version:
        fields = {**stored["fields"], **fields}
    if fields:
        doc[UNKNOWN] = {"version": version, "fields": fields}
    return doc


def _storable(value: Any, name: str) -> Any:
    """``value`` when PostgreSQL's JSON can hold it: no NUL character, finite numbers, bounded nesting."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InvalidParameters(f"{name}: nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, str) and "\x00" in item:
            raise InvalidParameters(f"{name}: must not contain NUL characters")
        if isinstance(item, float) and not math.isfinite(item):
            raise InvalidParameters(f"{name}: must hold finite numbers only")
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return value


def add_unknown(rendered: Doc, doc: Doc, version: str, model: type[BaseModel]) -> Doc:
    """``rendered`` (``doc`` as a wire dict of ``version``) with the kept fields of that same version."""
    stored = _stored(doc) if UNKNOWN in doc else None
    if stored is None or stored["version"] != version:
        return rendered
    known = known_keys(model)
    for key, value in stored["fields"].items():
        if key not in known and key not in rendered:
            rendered[key] = value
    return rendered


def has_unknown(doc: Doc, children: str) -> bool:
    """Whether ``doc`` or one of its ``children`` (a list of documents) kept unknown fields."""
    return UNKNOWN in doc or any(UNKNOWN in child for child in doc.get(children) or ())


def keep_unknown_items(docs: Any, items: Any, version: str, *models: type[BaseModel], at: str) -> None:
    """``keep_unknown`` for each element of a parsed list (``docs``) and its input (``items``), by position."""
    if not isinstance(docs, list) or not isinstance(items, list):
        return
    for index, (doc, data) in enumerate(zip(docs, items, strict=False)):
        keep_unknown(doc, data, version, *models, at=f"{at}[{index}].")


def add_unknown_items(rendered: Any, docs: Any, key: str, version: str, model: type[BaseModel]) -> None:
    """``add_unknown`` for each rendered element of a list, matched to its document by ``key`` (an id)."""
    if not isinstance(rendered, list) or not isinstance(docs, list):
        return
    by_id = {str(doc.get(key, "")).upper(): doc for doc in docs if isinstance(doc, dict) and UNKNOWN in doc}
    if not by_id:
        return
    for item in rendered:
        doc = by_id.get(str(item.get(key, "")).upper())
        if doc is not None:
            add_unknown(item, doc, version, model)
