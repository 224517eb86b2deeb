"""Private routing of Sessions and CDRs: only the eMSP that owns the token gets them (design.md §3).

Order: OCPI-to-* headers (unless they name the hub), then ``cdr_token.country_code/party_id``, then the owner
the token store knows for ``cdr_token.uid``. Unknown -> 4001, known but not connected -> 4003.
"""

from __future__ import annotations

from typing import Any

from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.exceptions import UnknownReceiver
from parties.models import Platform
from parties.routing import resolve_receiver
from sessions.selectors import token_store_owner

RECEIVER_ROLES = ("EMSP",)


def token_receiver(*, routing: RoutingHeaders | None, cdr_token: dict[str, Any]) -> tuple[Platform, PartyRef]:
    """The eMSP platform (and party) a Session or CDR with this CdrToken goes to."""
    token_party = PartyRef(cdr_token["country_code"].upper(), cdr_token["party_id"].upper())
    try:
        return resolve_receiver(routing=routing, candidates=[token_party], roles=RECEIVER_ROLES)
    except UnknownReceiver:
        owner = token_store_owner(cdr_token["uid"], cdr_token.get("type"))
        if owner is None or owner == token_party:
            raise
        return resolve_receiver(routing=None, candidates=[owner], roles=RECEIVER_ROLES)
