"""OCPI routing headers (``OCPI-from-*`` / ``OCPI-to-*``), parsed once and checked against the caller."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.request import Request

from ocpi_hub.exceptions import InvalidParameters


@dataclass(frozen=True)
class PartyRef:
    country_code: str
    party_id: str

    def __str__(self) -> str:
        return f"{self.country_code}/{self.party_id}"


@dataclass(frozen=True)
class RoutingHeaders:
    sender: PartyRef | None
    receiver: PartyRef | None


def _pair(request: Request, direction: str) -> PartyRef | None:
    country = request.headers.get(f"OCPI-{direction}-country-code", "").strip()
    party = request.headers.get(f"OCPI-{direction}-party-id", "").strip()
    if not country and not party:
        return None
    if not (country and party):
        raise InvalidParameters(f"OCPI-{direction}-country-code and OCPI-{direction}-party-id go together")
    if len(country) != 2 or len(party) != 3 or not (country + party).isascii():
        raise InvalidParameters(f"OCPI-{direction}-* headers must be CiString(2) and CiString(3)")
    return PartyRef(country.upper(), party.upper())


def parse_routing_headers(request: Request) -> RoutingHeaders:
    return RoutingHeaders(sender=_pair(request, "from"), receiver=_pair(request, "to"))


def check_sender(routing: RoutingHeaders, own_parties: set[tuple[str, str]]) -> None:
    """OCPI-from-* must be one of the caller's own roles (derived from the token when absent)."""
    if routing.sender is None:
        return
    if (routing.sender.country_code, routing.sender.party_id) not in own_parties:
        raise InvalidParameters(
            f"OCPI-from-country-code/OCPI-from-party-id {routing.sender} is not one of your registered roles"
        )
