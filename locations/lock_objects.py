"""Row locks of the Locations app (a no-op on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

from locations.documents import LocationRef
from locations.models import Location


def location_lock(ref: LocationRef) -> Location | None:
    """The Location at ``ref``, locked for the rest of the transaction (None if unknown)."""
    return (
        Location.objects.select_for_update()
        .filter(country_code=ref.country_code, party_id=ref.party_id, location_key=ref.location_id.upper())
        .first()
    )
