"""Private routing of Sessions and CDRs: only the eMSP that owns the token gets them (design.md §3), or the
receiver the CPO names.

Order: OCPI-to-* headers (unless they name the hub), then ``cdr_token.country_code/party_id``, then the owner
the token store knows for ``cdr_token.uid``. Unknown -> 4001, known but not connected -> 4003. A party named in
OCPI-to-* may also be a PTP (2.3.0 role OTHER) or an SCSP (``ADDRESSED_ROLES``); the token's owner is always
looked up as an eMSP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.db import Found, Lookup
from ocpi_hub.exceptions import ReceiverNotConnected, UnknownReceiver
from ocpi_hub.push import EMSP_ROLES
from parties.models import ConnectionStatus, Platform
from parties.routing import find_party_role, party_role_found, party_role_lookup, receiver_order, resolve_receiver
from sessions.selectors import token_store_owner

RECEIVER_ROLES = EMSP_ROLES
ADDRESSED_ROLES = ("EMSP", "OTHER", "SCSP")  # who may receive Sessions and CDRs when OCPI-to-* names it


def _addressed(routing: RoutingHeaders | None) -> PartyRef | None:
    """The party OCPI-to-* names (None when absent or the hub itself)."""
    ordered = receiver_order(routing, [])
    return ordered[0] if ordered else None


def token_receiver(*, routing: RoutingHeaders | None, cdr_token: dict[str, Any]) -> tuple[Platform, PartyRef]:
    """The eMSP platform (and party) a Session or CDR with this CdrToken goes to."""
    token_party = _token_party(cdr_token)
    addressed = _addressed(routing)
    role = find_party_role(addressed, ADDRESSED_ROLES) if addressed is not None else None
    if role is not None:
        if role.platform.status != ConnectionStatus.CONNECTED:
            raise ReceiverNotConnected(f"Receiver {addressed} is {role.platform.status.lower()}")
        return role.platform, PartyRef(role.country_code, role.party_id)
    try:
        return resolve_receiver(routing=None, candidates=[token_party], roles=RECEIVER_ROLES)
    except UnknownReceiver:
        owner = token_store_owner(cdr_token["uid"], cdr_token.get("type"))
        if owner is None or owner == token_party:
            raise
        return resolve_receiver(routing=None, candidates=[owner], roles=RECEIVER_ROLES)


@dataclass(frozen=True)
class ReceiverLookups:
    """``token_receiver``'s usual case as look-ups: one per party tried, in order."""

    candidates: tuple[tuple[PartyRef, Lookup], ...]

    def all(self) -> list[Lookup]:
        return [lookup for _, lookup in self.candidates]


def receiver_lookups(*, routing: RoutingHeaders | None, cdr_token: dict[str, Any]) -> ReceiverLookups:
    """``token_receiver``'s usual case as lookups (``ocpi_hub.db.lookup_together``); read the result with
    ``token_receiver_found``."""
    parties = receiver_order(routing, [_token_party(cdr_token)])
    addressed = _addressed(routing)
    return ReceiverLookups(
        tuple(
            (party, party_role_lookup(party, ADDRESSED_ROLES if party == addressed else RECEIVER_ROLES))
            for party in parties
        )
    )


def token_receiver_found(
    found: Found, lookups: ReceiverLookups, *, routing: RoutingHeaders | None, cdr_token: dict[str, Any]
) -> tuple[int, PartyRef]:
    """The receiver's platform id (and party) from ``receiver_lookups``' rows; when none of those parties is
    known, ``token_receiver`` (the token store, or 4001)."""
    for party, lookup in lookups.candidates:
        row = party_role_found(found, lookup)
        if row is None:
            continue
        if row.status != ConnectionStatus.CONNECTED:
            raise ReceiverNotConnected(f"Receiver {party} is {row.status.lower()}")
        return row.platform_id, row.party
    platform, party = token_receiver(routing=routing, cdr_token=cdr_token)
    return platform.pk, party


def _token_party(cdr_token: dict[str, Any]) -> PartyRef:
    return PartyRef(cdr_token["country_code"].upper(), cdr_token["party_id"].upper())
