"""Tenancy, checked in one place: a platform writes only under its own country_code/party_id."""

from __future__ import annotations

from typing import Any

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


def require_matching_body(url_value: str, body: dict[str, Any], field: str) -> None:
    """The id/owner in the URL must equal the one in the pushed object (case-insensitively)."""
    value = body.get(field)
    if value is not None and str(value).upper() != url_value.upper():
        raise InvalidParameters(f"{field}: '{value}' does not match the URL ('{url_value}')")


def require_pushed_object(
    platform: Platform,
    *,
    country_code: str,
    party_id: str,
    object_id: str,
    body: object,
    id_field: str = "id",
    owned: bool = True,
    roles: tuple[str, ...] = ("CPO",),
) -> tuple[str, str]:
    """The checks of every receiver push (PUT/PATCH): the URL's owner is one of the caller's ``roles``, the body
    is a JSON object, its ``id_field`` matches the URL's ``object_id`` and (``owned``: for objects that carry
    them) its country_code/party_id the URL's. Returns the owner, upper case."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=roles)
    if not isinstance(body, dict):
        raise InvalidParameters("body: must be a JSON object")
    require_matching_body(object_id, body, id_field)
    if owned:
        require_matching_body(country_code, body, "country_code")
        require_matching_body(party_id, body, "party_id")
    return country_code, party_id
