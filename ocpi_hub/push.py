"""The idioms every receiver push (PUT or PATCH of a Location, Session, Tariff, ErrorRecord, ...) shares: what it
answers, the role that may push, the last_updated of a PATCH, the messages of a push that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ocpi_hub.api.datetimes import DateTimeFormatError, parse_datetime
from ocpi_hub.exceptions import InvalidParameters

# Role groups: who owns what a push carries, and who receives it.
CPO_ROLES: tuple[str, ...] = ("CPO",)  # Locations, Sessions, CDRs, Tariffs, error records are a CPO's
EMSP_ROLES: tuple[str, ...] = ("EMSP",)  # Tokens are an eMSP's; Sessions, CDRs, error records go to one
BROADCAST_ROLES: tuple[str, ...] = ("EMSP", "NSP", "NAP", "OTHER")  # a CPO's Locations/Tariffs go to these (notes §2.2)


@dataclass(frozen=True)
class PushResult:
    """Outcome of a push: ``applied`` is False for stale, identical or repeated updates (acknowledged with 1000,
    not stored); ``message`` goes to the answer's status_message."""

    applied: bool
    message: str | None = None


def stale_message(stored: str) -> str:
    """The status_message of a push older than the stored object (``stored``: "tariff", "Session", ...)."""
    return f"Ignored: last_updated is older than the stored {stored}'s"


def unchanged_message(stored: str) -> str:
    """The status_message of a push identical to the stored object."""
    return f"Unchanged: identical to the stored {stored}"


def patch_timestamp(body: dict[str, Any], *, lenient: bool) -> datetime:
    """The ``last_updated`` every PATCH must carry (2001 naming it when missing or malformed)."""
    value = body.get("last_updated")
    if value is None:
        raise InvalidParameters("last_updated: required in every PATCH")
    try:
        return parse_datetime(value, lenient=lenient)
    except DateTimeFormatError as exc:
        raise InvalidParameters(f"last_updated: {exc}") from None
