"""Row locks of the Tariffs app (a no-op on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

from tariffs.models import Tariff


def tariff_lock(*, country_code: str, party_id: str, tariff_id: str) -> Tariff | None:
    """The Tariff (deleted or not), locked for the rest of the transaction (None if unknown)."""
    return (
        Tariff.objects.select_for_update()
        .filter(country_code=country_code, party_id=party_id, tariff_key=tariff_id.upper())
        .first()
    )
