"""Writes of Tokens pushed by eMSPs (receiver PUT/PATCH), and their broadcast to every connected CPO.

Rules: the owner in the URL must be one of the caller's eMSP roles and equal the body's; ``uid`` and
``type`` in the body must equal the URL's (``?type=`` defaults to RFID; on PUT a missing ``?type=`` takes
the body's type); a change whose ``last_updated`` is older than the stored one is ignored (answered with
success, nothing stored, nothing pushed); an unchanged re-push is not broadcast again.

Targeted push (ocpi/ocpi #507/#508): a push whose ``OCPI-to-*`` names one CPO (not the hub) goes to that CPO
only, and the Token is kept out of the other CPOs' GET of all Tokens. Each push routes again: the last push
decides (a later push without OCPI-to-* makes the Token a broadcast one; a Token once broadcast cannot be
taken back from the CPOs that got it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from ocpi_hub.api.datetimes import DateTimeFormatError, parse_datetime
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.exceptions import InvalidParameters, NotFound, ServerError
from parties import policy
from parties.models import Agreement, Platform
from parties.routing import is_hub, resolve_receiver
from parties.selectors import receivers_for
from parties.services.delivery import delivery_broadcast, delivery_enqueue
from parties.tenancy import require_matching_body, require_own_party
from tokens import wire
from tokens.lock_objects import token_lock
from tokens.models import Token
from tokens.selectors import CPO_ROLES, EMSP_ROLES

MODULE = "tokens"


@dataclass(frozen=True)
class TokenRef:
    """A Token as addressed by the receiver URL ``{cc}/{pid}/{uid}?type={type}``."""

    country_code: str
    party_id: str
    uid: str
    type: str | None = None  # None: no ``?type=`` given


@dataclass(frozen=True)
class Target:
    """The CPO of a targeted push (None for a push to every CPO)."""

    platform: Platform | None = None
    party: PartyRef | None = None


def push_target(routing: RoutingHeaders | None) -> Target:
    """The one CPO ``OCPI-to-*`` names (4001 unknown, 4003 not connected); an empty Target when the headers
    are absent or name the hub."""
    if routing is None or routing.receiver is None or is_hub(routing.receiver):
        return Target()
    platform, party = resolve_receiver(routing=routing, candidates=[], roles=CPO_ROLES)
    return Target(platform, party)


@dataclass(frozen=True)
class TokenChange:
    token: Token | None
    created: bool = False
    changed: bool = False


def token_type_check(*, version: str, token_type: str) -> str:
    """A TokenType from a URL, checked against ``version`` (2001 when that version does not know it)."""
    if not token_type or len(token_type) > 100:
        raise InvalidParameters("type: must be a TokenType of 1 to 100 characters")
    if not wire.type_known_in(version, token_type):
        raise InvalidParameters(f"type: '{token_type}' is not a TokenType of OCPI {version}")
    return token_type


def _check_body(ref: TokenRef, owner: tuple[str, str], payload: Any, token_type: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidParameters("body: must be a Token JSON object")
    require_matching_body(owner[0], payload, "country_code")
    require_matching_body(owner[1], payload, "party_id")
    require_matching_body(ref.uid, payload, "uid")
    if "type" in payload and payload["type"] != token_type:
        raise InvalidParameters(f"type: '{payload['type']}' does not match the URL ('{token_type}')")
    return payload


def token_put(
    *,
    platform: Platform,
    version: str,
    ref: TokenRef,
    payload: Any,
    lenient: bool = False,
    correlation_id: str = "",
    routing: RoutingHeaders | None = None,
) -> TokenChange:
    """Create or replace a Token of one of the caller's eMSP roles."""
    owner = require_own_party(platform, ref.country_code, ref.party_id, roles=EMSP_ROLES)
    target = push_target(routing)
    body_type = payload.get("type") if isinstance(payload, dict) else None
    body_type = body_type if isinstance(body_type, str) else None
    token_type = token_type_check(version=version, token_type=ref.type or body_type or wire.DEFAULT_TYPE)
    doc = wire.parse_token(version, _check_body(ref, owner, payload, token_type), lenient=lenient)
    doc.update(country_code=owner[0], party_id=owner[1])
    with transaction.atomic():
        token = token_lock(owner, ref.uid, token_type)
        if token is None:
            created = _create(platform, doc, target)
            if created is not None:
                _broadcast(created, correlation_id)
                return TokenChange(created, created=True, changed=True)
            token = token_lock(owner, ref.uid, token_type)  # created concurrently meanwhile
            if token is None:
                raise ServerError("The token was created and removed concurrently; retry the PUT")
        return _update(token, platform, doc, correlation_id, target)


def token_patch(
    *,
    platform: Platform,
    version: str,
    ref: TokenRef,
    payload: Any,
    lenient: bool = False,
    correlation_id: str = "",
    routing: RoutingHeaders | None = None,
) -> TokenChange:
    """Partially update a stored Token; ``last_updated`` is required (2001), an unknown Token is 404."""
    owner = require_own_party(platform, ref.country_code, ref.party_id, roles=EMSP_ROLES)
    target = push_target(routing)
    token_type = token_type_check(version=version, token_type=ref.type or wire.DEFAULT_TYPE)
    patch = _check_body(ref, owner, payload, token_type)
    if patch.get("last_updated") is None:
        raise InvalidParameters("last_updated: required in every PATCH")
    with transaction.atomic():
        token = token_lock(owner, ref.uid, token_type)
        if token is None:
            raise NotFound(f"Unknown token {owner[0]}/{owner[1]}/{ref.uid} of type {token_type}: PUT it first")
        doc = wire.parse_token(version, {**token.document, **patch}, lenient=lenient)
        return _update(token, platform, doc, correlation_id, target)


def _columns(doc: dict[str, Any], target: Target) -> dict[str, Any]:
    return {
        "target": target.platform,
        "target_country_code": target.party.country_code if target.party else "",
        "target_party_id": target.party.party_id if target.party else "",
        "uid": doc["uid"],
        "contract_id": doc["contract_id"],
        "valid": doc["valid"],
        "whitelist": doc["whitelist"],
        "last_updated": _last_updated(doc),
        "document": doc,
    }


def _last_updated(doc: dict[str, Any]) -> datetime:
    try:
        return parse_datetime(doc["last_updated"])
    except DateTimeFormatError as exc:  # rendered documents always carry ...Z
        raise InvalidParameters(f"last_updated: {exc}") from None


def _create(platform: Platform, doc: dict[str, Any], target: Target) -> Token | None:
    try:
        with transaction.atomic():
            return Token.objects.create(
                owner=platform,
                country_code=doc["country_code"],
                party_id=doc["party_id"],
                uid_key=doc["uid"].upper(),
                type=doc["type"],
                **_columns(doc, target),
            )
    except IntegrityError:
        return None


def _update(token: Token, platform: Platform, doc: dict[str, Any], correlation_id: str, target: Target) -> TokenChange:
    columns = _columns(doc, target)
    if columns["last_updated"] < token.last_updated:
        return TokenChange(token)  # stale: an older state than the one stored
    same_target = token.target_id == (target.platform.pk if target.platform else None)
    if doc == token.document and token.owner_id == platform.pk and same_target:
        return TokenChange(token)  # the same state again: nothing to push
    for name, value in columns.items():
        setattr(token, name, value)
    token.owner = platform
    token.save()
    _broadcast(token, correlation_id)
    return TokenChange(token, changed=True)


def agreement_backfill(agreement: Agreement) -> int:
    """A roaming agreement became active: queue the eMSP's broadcast Tokens (and those it pushed to that CPO)
    for the CPO's platform, when it receives Tokens and the agreement covers them."""
    if not agreement.tokens:
        return 0
    cpo = (agreement.cpo_country_code, agreement.cpo_party_id)
    receivers = receivers_for(MODULE, roles=CPO_ROLES).filter(pk__in=policy.role_platforms(cpo, CPO_ROLES).values("pk"))
    owned = Token.objects.filter(country_code=agreement.emsp_country_code, party_id=agreement.emsp_party_id)
    queued = 0
    for receiver in receivers:
        tokens = owned.filter(Q(target__isnull=True) | Q(target=receiver)).order_by("last_updated", "pk")
        for token in tokens.iterator():
            queued += delivery_enqueue(receiver=receiver, module=MODULE, object_key=token.object_key)
    return queued


def _broadcast(token: Token, correlation_id: str) -> None:
    """Queue the Token for its target CPO, else for every connected CPO with a tokens receiver (call inside
    the transaction)."""
    if token.target is not None:
        cpo = (token.target_country_code, token.target_party_id)
        if not policy.may_route(cpo, (token.country_code, token.party_id), MODULE):
            return  # no roaming agreement with the CPO named: stored, not sent
        delivery_enqueue(
            receiver=token.target, module=MODULE, object_key=token.object_key, correlation_id=correlation_id
        )
        return
    delivery_broadcast(
        module=MODULE,
        object_key=token.object_key,
        roles=CPO_ROLES,
        exclude=token.owner,
        correlation_id=correlation_id,
        owner=(token.country_code, token.party_id),
        owner_side=policy.EMSP,
    )
