"""Building blocks for the typed OCPI wire models (pydantic v2).

Conventions every wire model follows:
- Inbound is liberal: unknown fields are not validated (2.3.0 forbids rejecting them; ``ocpi_hub.api.unknown``
  keeps them for receivers of the same version), optional fields may be ``null``, list fields (`*`) may be
  ``null`` or missing (-> empty list).
- Outbound is strict: render with ``render(model)``, which drops ``None`` and empty optional lists, so the
  document only carries fields of the receiver's version.
- DateTimes are parsed with ``ocpi_hub.api.datetimes`` (strict UTC unless the validation context says
  ``{"lenient_datetimes": True}``) and held, and emitted, as canonical text: ``Z``, milliseconds at most.
- Types are strict (``strict=True``): no bool or string becomes a number, no number a string or bool. Numbers
  must be finite (``1e309`` parses as infinity: refused) and are bounded (``Number``/``Int``).
- ``last_updated`` (``LastUpdated``) of an inbound object may be at most ``OCPI_HUB_MAX_CLOCK_SKEW`` seconds
  ahead of the hub's clock (inbound: validated with a context; outbound rendering passes none).
- Error locations are rendered like ``evses[0].connectors[1].max_voltage`` by ``format_validation_error``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
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

    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, str_strip_whitespace=False, strict=True, allow_inf_nan=False
    )


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


def _to_last_updated_text(value: Any, info: ValidationInfo) -> str:
    text = _to_datetime_text(value, info)
    # canonical texts compare as times on their first 19 characters (YYYY-MM-DDTHH:MM:SS)
    if info.context is not None and text[:19] > _latest_accepted():
        raise PydanticCustomError(
            "ocpi_future",
            "must not be later than the hub's clock (+{skew} s)",
            {"skew": f"{settings.OCPI_HUB_MAX_CLOCK_SKEW:g}"},
        )
    return text


def last_updated_text(value: Any, *, lenient: bool) -> str | None:
    """What a ``LastUpdated`` field of a model holds for ``value`` (its canonical text), or None where the
    model would refuse it (not a text, malformed, later than the hub's clock allows): for the paths that
    check one field without a model (``locations.wire.status_patched``)."""
    if not isinstance(value, str):
        return None
    try:
        text = canonical_datetime(value, lenient=lenient)
    except DateTimeFormatError:
        return None
    return None if text[:19] > _latest_accepted() else text


_latest: tuple[int, str] = (0, "")


def _latest_accepted() -> str:
    """The hub's clock plus ``OCPI_HUB_MAX_CLOCK_SKEW``, as ``YYYY-MM-DDTHH:MM:SS``; computed (and the setting
    read: a settings lookup costs more than the rest of the check) once a second."""
    global _latest
    second, limit = _latest
    now = int(time.time())
    if now != second:
        limit = datetime.fromtimestamp(now + settings.OCPI_HUB_MAX_CLOCK_SKEW, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _latest = (now, limit)
    return limit


@receiver(setting_changed)
def _skew_changed(*, setting: str, **kwargs: Any) -> None:
    global _latest
    if setting == "OCPI_HUB_MAX_CLOCK_SKEW":
        _latest = (0, "")


# ``last_updated`` of an object: a DateTime that is not in the future (beyond the allowed clock skew) when
# validated inbound (with a context); an object "updated" in 9999 would make every real update look older.
# One validator call (the DateTime's own, extended): this is on every EVSE and Connector of the ingest path.
LastUpdated = Annotated[
    str,
    BeforeValidator(_to_last_updated_text),
    WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 25}),
]

# Numbers: finite (the model config) and bounded; an OCPI amount, energy or time beyond 10^12 is nonsense and
# would overflow sums to infinity. ``Number(ge=0)`` for quantities that cannot be negative.
MAX_NUMBER = 1e12


def Number(ge: float = -MAX_NUMBER, le: float = MAX_NUMBER) -> Any:  # noqa: N802 - reads like a type
    """An OCPI ``number``: a JSON number (an integer is accepted), finite, ``ge <= value <= le``."""
    return Annotated[float, Field(ge=ge, le=le)]


def Int(ge: int = -(2**53), le: int = 2**53) -> Any:  # noqa: N802
    """An OCPI ``int``: a JSON integer (not a bool, a string or a float), ``ge <= value <= le``."""
    return Annotated[int, Field(ge=ge, le=le)]


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


def ListOf(item: Any, *, limit: str = "") -> Any:  # noqa: N802
    """OCPI `*` cardinality: a list that may arrive as null or be missing; left out of the output when empty.
    ``limit``: the setting holding its maximum length (e.g. ``OCPI_HUB_MAX_EVSES``)."""
    before = _limited(limit, _none_to_list) if limit else _none_to_list
    return Annotated[list[item], BeforeValidator(before), Field(exclude_if=_empty)]


def ListOfAtLeastOne(item: Any, *, limit: str = "") -> Any:  # noqa: N802
    """OCPI `+` cardinality: a list of at least one item; at most ``settings.<limit>`` items when given."""
    if not limit:
        return Annotated[list[item], Field(min_length=1)]
    return Annotated[list[item], BeforeValidator(_limited(limit, _as_is)), Field(min_length=1)]


def _as_is(value: Any) -> Any:
    return value


def _limited(setting: str, then: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A before-validator refusing a list longer than ``settings.<setting>`` (read at each validation, so it
    can change at run time), then ``then(value)``."""

    def check(value: Any) -> Any:
        limit = getattr(settings, setting)
        if isinstance(value, list) and len(value) > limit:
            raise PydanticCustomError(
                "ocpi_too_many", "at most {limit} items ({setting})", {"limit": limit, "setting": setting}
            )
        return then(value)

    return check


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
