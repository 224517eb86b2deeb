"""Private routing: find the one platform a Session, CDR or authorization belongs to.

Used by the functional apps; OCPI-to-* headers win, then the owner ids carried in the object itself
(e.g. ``cdr_token.country_code/party_id``), then a module-specific fallback the caller supplies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.db import Found, Lookup
from ocpi_hub.exceptions import ReceiverNotConnected, UnknownReceiver
from parties import rows
from parties.models import ConnectionStatus, Platform, PlatformRole


def is_hub(party: PartyRef) -> bool:
    return (party.country_code, party.party_id) == (
        settings.OCPI_HUB_COUNTRY_CODE,
        settings.OCPI_HUB_PARTY_ID,
    )


def find_party_role(party: PartyRef, roles: Iterable[str]) -> PlatformRole | None:
    return (
        PlatformRole.objects.select_related("platform")
        .filter(country_code=party.country_code.upper(), party_id=party.party_id.upper(), role__in=list(roles))
        .first()
    )


@dataclass(frozen=True)
class PartyRoleRow:
    """What ``party_role_lookup`` found: the platform holding the role and the party (upper case)."""

    platform_id: int
    status: str
    party: PartyRef


def party_role_found(found: Found, lookup: Lookup) -> PartyRoleRow | None:
    """The row of a ``party_role_lookup``; None when no platform holds the role."""
    row = found.row(lookup)
    if row is None:
        return None
    platform_id, status, country_code, party_id = row
    return PartyRoleRow(platform_id, status, PartyRef(country_code, party_id))


def party_role_lookup(party: PartyRef, roles: Iterable[str]) -> Lookup:
    """``find_party_role`` as a lookup (``ocpi_hub.db.lookup_together``); read it with ``party_role_found``."""
    roles = list(roles)
    return Lookup(
        rows.party_role_sql(len(roles)), [party.country_code.upper(), party.party_id.upper(), *roles], columns=4
    )


def receiver_order(routing: RoutingHeaders | None, candidates: Iterable[PartyRef | None]) -> list[PartyRef]:
    """The parties ``resolve_receiver`` tries, in order: the OCPI-to-* receiver (unless the hub), the candidates."""
    ordered: list[PartyRef] = []
    if routing is not None and routing.receiver is not None and not is_hub(routing.receiver):
        ordered.append(routing.receiver)
    return ordered + [party for party in candidates if party is not None]


def resolve_receiver(
    *,
    routing: RoutingHeaders | None,
    candidates: Iterable[PartyRef | None],
    roles: tuple[str, ...] = ("EMSP",),
    require_connected: bool = True,
) -> tuple[Platform, PartyRef]:
    """The platform (and party) to route to: OCPI-to-* first (unless it names the hub), then the
    candidates in order. 4001 when nobody matches, 4003 when the receiver is not connected."""
    ordered = receiver_order(routing, candidates)
    if not ordered:
        raise UnknownReceiver("No receiver could be determined: set OCPI-to-country-code/OCPI-to-party-id")
    for party in ordered:
        role = find_party_role(party, roles)
        if role is None:
            continue
        if require_connected and role.platform.status != ConnectionStatus.CONNECTED:
            raise ReceiverNotConnected(f"Receiver {party} is {role.platform.status.lower()}")
        return role.platform, PartyRef(role.country_code, role.party_id)
    raise UnknownReceiver(f"Unknown receiver {ordered[0]}: no connected {'/'.join(roles)} with these ids")
