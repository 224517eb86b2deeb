"""OCPI DateTime handling: liberal parsing, strict UTC emitting.

OCPI DateTimes are always UTC. We accept ``Z``, no offset (meaning UTC) and ``+00:00``; any other offset is
rejected unless the caller asks for lenient parsing (then it is converted to UTC). We always emit
``YYYY-MM-DDTHH:MM:SS[.fff]Z``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_PATTERN = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?P<fraction>\.\d{1,9})?"
    r"(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?$"
)
# The form the hub emits (and most peers send): read by datetime.fromisoformat directly, five times faster.
_CANONICAL = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\Z", re.ASCII)


class DateTimeFormatError(ValueError):
    """Raised for a string that is not an OCPI DateTime (or not UTC in strict mode)."""


def parse_datetime(value: str, *, lenient: bool = False) -> datetime:
    """Parse an OCPI DateTime into an aware UTC datetime."""
    if not isinstance(value, str):
        raise DateTimeFormatError("must be a DateTime string")
    if _CANONICAL.match(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # not a valid date or time: the full parse below says so
    match = _PATTERN.match(value.strip())
    if match is None:
        raise DateTimeFormatError(f"'{value[:40]}' is not an RFC 3339 DateTime (YYYY-MM-DDTHH:MM:SSZ)")
    offset = _parse_zone(match.group("zone"))
    if offset and not lenient:
        raise DateTimeFormatError(f"'{value[:40]}' is not UTC; OCPI DateTimes must use Z")
    fraction = (match.group("fraction") or ".0")[1:7].ljust(6, "0")
    try:
        naive = datetime.fromisoformat(f"{match.group('date')}T{match.group('time')}.{fraction}")
    except ValueError as exc:
        raise DateTimeFormatError(f"'{value[:40]}' is not a valid date or time") from exc
    return (naive - offset).replace(tzinfo=UTC)


def _parse_zone(zone: str | None) -> timedelta:
    if zone is None or zone in ("Z", "z"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise DateTimeFormatError(f"'{zone}' is not a valid UTC offset")
    return sign * timedelta(hours=hours, minutes=minutes)


def canonical_datetime(value: str, *, lenient: bool = False) -> str:
    """An OCPI DateTime as the hub emits it: ``format_datetime(parse_datetime(value))``, without building the
    datetime when the text is already UTC with ``Z`` (only its fraction is cut to milliseconds)."""
    match = _CANONICAL.match(value) if isinstance(value, str) else None
    if match is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass  # not a valid date or time: parse_datetime says so
        else:
            millis = (match.group(1) or ".")[1:4].ljust(3, "0")
            return value[:19] + ("Z" if millis == "000" else f".{millis}Z")
    return format_datetime(parse_datetime(value, lenient=lenient))


def format_datetime(value: datetime) -> str:
    """Render an aware (or naive UTC) datetime as ``YYYY-MM-DDTHH:MM:SS[.fff]Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def utc_now() -> datetime:
    return datetime.now(UTC)
