"""Row locks of the errors app (a no-op on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

from errors.models import ErrorRecord


def error_record_lock(*, country_code: str, party_id: str, record_id: str) -> ErrorRecord | None:
    """The error record (owner ids upper case), locked for the rest of the transaction (None if unknown)."""
    return (
        ErrorRecord.objects.select_for_update()
        .filter(country_code=country_code, party_id=party_id, record_key=record_id.upper())
        .first()
    )
