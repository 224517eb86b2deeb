"""Building blocks for the typed OCPI wire models (pydantic v2).

Conventions every wire model follows:
- Inbound is liberal: unknown fields are ignored (2.3.0 forbids rejecting them), optional fields may be
  ``null``, list fields (`*`) may be ``null`` or missing (-> empty list).
- Outbound is strict: render with ``render(model)``, which drops ``None`` and empty optional lists, so the
  document only carries fields of the receiver's version.
- DateTimes are parsed with ``ocpi_hub.api.datetimes`` (strict UTC unless the validation context says
  ``{"lenient_datetimes": True}``) and held, and emitted, as canonical text: ``Z``, milliseconds at most.
- Error locations are rendered like ``evses[0].connectors[1].max_voltage`` by ``format_validation_error``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from ocpi_hub.api.datetimes import DateTimeFormatError, canonical_datetime, format_datetime
from ocpi_hub.exceptions import InvalidParameters


class WireModel(BaseModel):
    """Base of every OCPI wire model."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, str_strip_whitespace=False)


def _to_datetime_text(value: Any, info: ValidationInfo) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)
    lenient = bool(info.context and info.context.get("lenient_datetimes"))
    try:
        return canonical_datetime(value, lenient=lenient)
    except DateTimeFormatError as exc:
        raise PydanticCustomError("ocpi_datetime", str(exc)) from None


# Held as its canonical text (what the hub emits), so that dumping a model needs no Python serializer.
DateTime = Annotated[
    str,
    BeforeValidator(_to_datetime_text),
    WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 25}),
]


_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f]")


def _printable_ascii(value: Any) -> Any:
    # printable ASCII is 0x20-0x7E: the ASCII characters str.isprintable() accepts
    if isinstance(value, str) and not (value.isascii() and value.isprintable()):
        raise PydanticCustomError("ocpi_cistring", "must contain printable ASCII characters only")
    return value


def _no_control_chars(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL_CHARS.search(value):
        raise PydanticCustomError("ocpi_string", "must not contain control characters")
    return value


def CiString(max_length: int) -> Any:  # noqa: N802 - reads like the OCPI type name
    """OCPI CiString(n): printable ASCII, case-insensitive (compare with ``.upper()``)."""
    return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_printable_ascii)]


def String(max_length: int) -> Any:  # noqa: N802
    """OCPI string(n): printable UTF-8 without control characters."""
    return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_no_control_chars)]


def _none_to_list(value: Any) -> Any:
    return [] if value is None else value


def _empty(value: Any) -> bool:
    return not value


def ListOf(item: Any) -> Any:  # noqa: N802
    """OCPI `*` cardinality: a list that may arrive as null or be missing; left out of the output when empty."""
    return Annotated[list[item], BeforeValidator(_none_to_list), Field(exclude_if=_empty)]


URL = String(255)


def render(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict of a wire model, without None values or empty lists."""
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "body"


def format_validation_error(error: ValidationError, *, limit: int = 5) -> str:
    """One line per problem, each naming the field: ``evses[0].uid: Field required``."""
    lines = []
    for item in error.errors(include_url=False)[:limit]:
        loc = tuple(part for part in item["loc"] if not _is_union_tag(part))
        lines.append(f"{format_location(loc)}: {item['msg']}")
    more = error.error_count() - limit
    if more > 0:
        lines.append(f"(+{more} more)")
    return "; ".join(lines)


def _is_union_tag(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def parse_object(model: type[BaseModel], data: Any, *, lenient: bool = False) -> dict[str, Any]:
    """``data`` validated by ``model`` as a JSON-ready dict (``render``), or 2001 naming each wrong field."""
    if not isinstance(data, dict):
        raise InvalidParameters("body: must be a JSON object")
    try:
        return render(model.model_validate(data, context={"lenient_datetimes": lenient}))
    except ValidationError as exc:
        raise InvalidParameters(format_validation_error(exc)) from None
