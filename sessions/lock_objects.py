"""Row locks of the Sessions app (a no-op on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

from sessions.models import Session


def session_lock(*, country_code: str, party_id: str, session_id: str) -> Session | None:
    return (
        Session.objects.select_for_update()
        .filter(country_code=country_code, party_id=party_id, session_key=session_id.upper())
        .first()
    )
