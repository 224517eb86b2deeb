"""Row locks of the Tokens app (a no-op on SQLite, where write transactions are serialised anyway)."""

from __future__ import annotations

from tokens.models import Token


def token_lock(owner: tuple[str, str], uid: str, token_type: str) -> Token | None:
    return (
        Token.objects.select_for_update()
        .filter(country_code=owner[0], party_id=owner[1], uid_key=uid.upper(), type=token_type)
        .first()
    )
