"""What a receiver push (PUT or PATCH of a Location, Session, Tariff, ErrorRecord, ...) answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PushResult:
    """Outcome of a push: ``applied`` is False for stale, identical or repeated updates (acknowledged with 1000,
    not stored); ``message`` goes to the answer's status_message."""

    applied: bool
    message: str | None = None
