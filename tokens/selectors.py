"""Reads of stored Tokens."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.api.wire_common import TOKEN_TYPE_221_VALUES, V221
from ocpi_hub.exceptions import InvalidParameters, NotFound
from ocpi_hub.push import CPO_ROLES, EMSP_ROLES
from parties import policy
from parties.models import Platform
from parties.tenancy import require_own_party
from tokens.models import Token


def token_owner(uid: str, token_type: str | None = None) -> PartyRef | None:
    """The eMSP owning the Token ``uid`` (of ``token_type``, any type when None); one indexed query.

    None when no eMSP published it, or when several eMSPs use the same uid (never guess an owner:
    sessions, CDRs and authorizations must not reach the wrong party)."""
    queryset = Token.objects.filter(uid_key=uid.upper())
    if token_type:
        queryset = queryset.filter(type=token_type)
    owners = list(queryset.order_by().values_list("country_code", "party_id").distinct()[:2])
    return PartyRef(*owners[0]) if len(owners) == 1 else None


def token_lookup(*, country_code: str, party_id: str, uid: str, token_type: str) -> Token | None:
    return Token.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), uid_key=uid.upper(), type=token_type
    ).first()


def token_get_own(*, platform: Platform, country_code: str, party_id: str, uid: str, token_type: str) -> Token:
    """A Token of one of the caller's own eMSP roles (receiver GET); 2001 for a foreign owner, 404 if unknown."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=EMSP_ROLES)
    token = token_lookup(country_code=country_code, party_id=party_id, uid=uid, token_type=token_type)
    if token is None:
        raise NotFound(f"Unknown token {country_code}/{party_id}/{uid} of type {token_type}")
    return token


def require_cpo(platform: Platform) -> None:
    """The Tokens sender interface of the hub serves CPOs (tokens are broadcast to CPOs only)."""
    if not any(role.role in CPO_ROLES for role in platform.roles.all()):
        raise InvalidParameters("Tokens are shared with CPOs only: your platform has no CPO role")


def token_list_for_cpo(*, platform: Platform, version: str, owner: PartyRef | None = None) -> QuerySet[Token]:
    """Every eMSP's Tokens a CPO may see in ``version`` (of one owner when given), for the paginated GET.

    2.2.1 callers never see tokens of types 2.2.1 does not know (e.g. EMAID). A Token pushed to one CPO
    (targeted push) is listed for that CPO only."""
    require_cpo(platform)
    queryset = Token.objects.filter(Q(target__isnull=True) | Q(target=platform))
    queryset = policy.filter_visible(
        queryset, platform, module="tokens", viewer_side=policy.CPO, viewer_roles=CPO_ROLES
    )
    if owner is not None:
        queryset = queryset.filter(country_code=owner.country_code, party_id=owner.party_id)
    if version == V221:
        queryset = queryset.filter(type__in=sorted(TOKEN_TYPE_221_VALUES))
    return queryset
