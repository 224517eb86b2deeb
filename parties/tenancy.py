"""Tenancy, checked in one place: a platform writes only under its own country_code/party_id."""

from __future__ import annotations

from ocpi_hub.exceptions import InvalidParameters
from parties.models import Platform


def require_own_party(
    platform: Platform, country_code: str, party_id: str, *, roles: tuple[str, ...] = ()
) -> tuple[str, str]:
    """Normalised (country_code, party_id) if they are one of the platform's roles, else 2001."""
    key = (country_code.upper(), party_id.upper())
    allowed = {(r.country_code, r.party_id) for r in platform.roles.all() if not roles or r.role in roles}
    if key not in allowed:
        raise InvalidParameters(
            f"country_code/party_id {key[0]}/{key[1]}: not one of your registered roles"
            + (f" ({', '.join(roles)})" if roles else "")
        )
    return key


def require_matching_body(url_value: str, body: dict, field: str) -> None:
    """The id/owner in the URL must equal the one in the pushed object (case-insensitively)."""
    value = body.get(field)
    if value is not None and str(value).upper() != url_value.upper():
        raise InvalidParameters(f"{field}: '{value}' does not match the URL ('{url_value}')")
