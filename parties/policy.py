"""The routing policy: whether the hub routes a module between a CPO role and an eMSP role. Every route asks here.

``OCPI_HUB_ROUTING_POLICY``:
- ``open`` (the default): everyone with everyone. Every function below answers "yes" without a query, and
  the broadcast statement gets no extra clause, so the hot path costs what it did before agreements existed.
- ``agreements``: only a pair with an *active* agreement (``parties.models.Agreement``) whose validity dates
  cover now and whose scope includes the module.

Parties are named by role (country_code/party_id), never by platform: a platform holding two CPO roles may
have an agreement on one of them only. The helpers come in the shapes the routes need:
- ``may_route`` / ``require_route``: one pair (real-time authorize, commands, charging profiles, Sessions,
  CDRs); ``require_route`` raises 4001 naming the missing agreement;
- ``broadcast_condition``: an SQL clause for the outbox INSERT ... SELECT (``parties.services.delivery``), an
  EXISTS on the agreements table through its partial index, so a broadcast stays one statement;
- ``platforms_agreed``: the same filter on a queryset of receiving platforms (ORM paths);
- ``visible_filter``: a ``Q`` for the GET-all selectors (an EXISTS subquery: still one query);
- ``counterparts``: the set of parties a platform's roles have agreements with (initial sync, ClientInfo).

When an agreement becomes active the functional apps back-fill the receiving side (``register_backfill``;
``parties.services.agreements`` runs them); ``parties`` itself never imports them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.exceptions import UnknownReceiver
from parties.models import SCOPES, Agreement, AgreementStatus, Platform, PlatformRole

OPEN, AGREEMENTS = "open", "agreements"
CPO, EMSP = "cpo", "emsp"  # the sides of an agreement

# The scope (an Agreement column) each routed module falls under.
MODULE_SCOPES = {
    "locations": "locations",
    "chargex-errors": "locations",  # error records are about the CPO's EVSEs
    "tariffs": "tariffs",
    "tokens": "tokens",
    "sessions": "sessions",
    "cdrs": "sessions",
    "commands": "commands",
    "chargingprofiles": "commands",
    "authorize": "authorize",
}

M = TypeVar("M", bound=Model)
Party = PartyRef | tuple[str, str]
Backfill = Callable[[Agreement], int]
_backfills: list[Backfill] = []


def enforced() -> bool:
    """Whether agreements decide (policy ``agreements``); read per call so tests and admins can switch it."""
    return settings.OCPI_HUB_ROUTING_POLICY == AGREEMENTS


def scope_of(module: str) -> str:
    scope = MODULE_SCOPES.get(module, module)
    if scope not in SCOPES:
        raise ValueError(f"{module}: not a module agreements cover")
    return scope


def _pair(party: Party) -> tuple[str, str]:
    if isinstance(party, PartyRef):
        return party.country_code.upper(), party.party_id.upper()
    return party[0].upper(), party[1].upper()


def _other(side: str) -> str:
    return EMSP if side == CPO else CPO


def active_q(*, at: datetime | None = None, prefix: str = "") -> Q:
    """Agreements that route now: active, and within their validity dates."""
    at = at or timezone.now()
    return (
        Q(**{f"{prefix}status": AgreementStatus.ACTIVE})
        & (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": at}))
        & (Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": at}))
    )


def active_agreements(module: str | None = None, *, at: datetime | None = None) -> QuerySet[Agreement]:
    queryset = Agreement.objects.filter(active_q(at=at))
    return queryset.filter(**{scope_of(module): True}) if module else queryset


def may_route(cpo: Party, emsp: Party, module: str) -> bool:
    """Whether ``module`` flows between the CPO role ``cpo`` and the eMSP role ``emsp`` (no query under open)."""
    if not enforced():
        return True
    (cpo_cc, cpo_pid), (emsp_cc, emsp_pid) = _pair(cpo), _pair(emsp)
    return (
        active_agreements(module)
        .filter(cpo_country_code=cpo_cc, cpo_party_id=cpo_pid, emsp_country_code=emsp_cc, emsp_party_id=emsp_pid)
        .exists()
    )


def require_route(cpo: Party, emsp: Party, module: str) -> None:
    """4001 unless ``may_route``; the message names the missing agreement."""
    if not may_route(cpo, emsp, module):
        cpo_pair, emsp_pair = _pair(cpo), _pair(emsp)
        raise UnknownReceiver(
            f"No roaming agreement between CPO {'/'.join(cpo_pair)} and eMSP {'/'.join(emsp_pair)} "
            f"covers {scope_of(module)}: the hub does not route it"
        )


def broadcast_condition(
    *, module: str, owner: Party, owner_side: str, receiver_roles: Iterable[str]
) -> tuple[str, list[Any]]:
    """SQL ("AND ...", params) for the WHERE clause over ``parties_platform platform`` of a broadcast of an
    object owned by ``owner`` (on ``owner_side`` of agreements): keep receivers holding a role of
    ``receiver_roles`` that has an active agreement with the owner. Empty under open."""
    if not enforced():
        return "", []
    scope, other = scope_of(module), _other(owner_side)
    roles = list(receiver_roles)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = f"""AND EXISTS (SELECT 1 FROM {PlatformRole._meta.db_table} agreed_role
        JOIN {Agreement._meta.db_table} agreement ON agreement.{other}_country_code = agreed_role.country_code
            AND agreement.{other}_party_id = agreed_role.party_id
        WHERE agreed_role.platform_id = platform.id AND agreed_role.role IN ({", ".join(["%s"] * len(roles))})
            AND agreement.{owner_side}_country_code = %s AND agreement.{owner_side}_party_id = %s
            AND agreement.status = %s AND agreement.{scope}
            AND (agreement.valid_from IS NULL OR agreement.valid_from <= %s)
            AND (agreement.valid_until IS NULL OR agreement.valid_until > %s))"""
    return sql, [*roles, *_pair(owner), AgreementStatus.ACTIVE, now, now]


def _agreed_roles(*, module: str, owner: Party, owner_side: str, receiver_roles: Iterable[str] | None) -> Q:
    """Roles (as ``PlatformRole`` filters) that hold an active agreement with ``owner`` covering ``module``."""
    other = _other(owner_side)
    cc, pid = _pair(owner)
    agreements = active_agreements(module).filter(
        **{
            f"{owner_side}_country_code": cc,
            f"{owner_side}_party_id": pid,
            f"{other}_country_code": OuterRef("country_code"),
            f"{other}_party_id": OuterRef("party_id"),
        }
    )
    roles = PlatformRole.objects.filter(Exists(agreements))
    if receiver_roles is not None:
        roles = roles.filter(role__in=list(receiver_roles))
    return Q(Exists(roles.filter(platform=OuterRef("pk"))))


def platforms_agreed(
    platforms: QuerySet[Platform],
    *,
    module: str,
    owner: Party,
    owner_side: str,
    receiver_roles: Iterable[str] | None = None,
) -> QuerySet[Platform]:
    """``platforms`` narrowed to those with a role (of ``receiver_roles``) agreed with ``owner`` (one query)."""
    if not enforced():
        return platforms
    return platforms.filter(
        _agreed_roles(module=module, owner=owner, owner_side=owner_side, receiver_roles=receiver_roles)
    )


def _viewer_pairs(viewer: Platform, roles: Iterable[str] | None) -> list[tuple[str, str]]:
    wanted = set(roles) if roles is not None else None
    return sorted({(r.country_code, r.party_id) for r in viewer.roles.all() if wanted is None or r.role in wanted})


def visible_filter(
    viewer: Platform,
    *,
    module: str,
    viewer_side: str,
    viewer_roles: Iterable[str] | None = None,
    country_field: str = "country_code",
    party_field: str = "party_id",
) -> Q | None:
    """A filter for a queryset of objects owned by the other side (their owner in ``country_field`` /
    ``party_field``): only those whose owner has an active agreement covering ``module`` with one of the
    viewer's roles (of ``viewer_roles``). None under open (no filter)."""
    if not enforced():
        return None
    pairs = _viewer_pairs(viewer, viewer_roles)
    if not pairs:
        return Q(pk__in=[])
    other = _other(viewer_side)
    mine = Q()
    for cc, pid in pairs:
        mine |= Q(**{f"{viewer_side}_country_code": cc, f"{viewer_side}_party_id": pid})
    agreements = (
        active_agreements(module)
        .filter(mine)
        .filter(**{f"{other}_country_code": OuterRef(country_field), f"{other}_party_id": OuterRef(party_field)})
    )
    return Q(Exists(agreements))


def filter_visible(queryset: QuerySet[M], viewer: Platform, **how: object) -> QuerySet[M]:
    """``queryset`` narrowed by ``visible_filter`` (unchanged under open)."""
    condition = visible_filter(viewer, **how)  # type: ignore[arg-type]
    return queryset if condition is None else queryset.filter(condition)


def counterparts(parties: Iterable[Party], *, side: str, module: str | None = None) -> set[tuple[str, str]] | None:
    """The parties on the other side of active agreements (covering ``module``, if given) with any of
    ``parties`` (on ``side``). None under open: everyone."""
    if not enforced():
        return None
    pairs = [_pair(party) for party in parties]
    if not pairs:
        return set()
    mine = Q()
    for cc, pid in pairs:
        mine |= Q(**{f"{side}_country_code": cc, f"{side}_party_id": pid})
    other = _other(side)
    rows = active_agreements(module).filter(mine).values_list(f"{other}_country_code", f"{other}_party_id")
    return set(rows)


def reachable(platform: Platform) -> set[tuple[str, str]] | None:
    """The parties ``platform`` may reach through the hub: the other side of any active agreement of one of
    its roles (any scope). None under open: everyone."""
    if not enforced():
        return None
    roles = list(platform.roles.all())
    cpos = [(r.country_code, r.party_id) for r in roles if r.role == "CPO"]
    others = [(r.country_code, r.party_id) for r in roles if r.role != "CPO"]
    found = counterparts(cpos, side=CPO) or set()
    return found | (counterparts(others, side=EMSP) or set())


def party_in(pairs: Iterable[tuple[str, str]]) -> Q:
    """A filter on ``country_code``/``party_id`` matching any of ``pairs`` (none: nothing)."""
    condition = Q(pk__in=[])
    for cc, pid in pairs:
        condition |= Q(country_code=cc, party_id=pid)
    return condition


def register_backfill(backfill: Backfill) -> None:
    """A functional app's back-fill, run when an agreement becomes active (in its transaction): queue what the
    new agreement lets flow (e.g. the CPO's current Locations for the eMSP); returns the rows queued."""
    if backfill not in _backfills:
        _backfills.append(backfill)


def run_backfills(agreement: Agreement) -> int:
    return sum(backfill(agreement) for backfill in _backfills)


def role_platforms(party: Party, roles: Iterable[str]) -> QuerySet[Platform]:
    """The platforms holding ``party`` in one of ``roles`` (normally one)."""
    cc, pid = _pair(party)
    return Platform.objects.filter(roles__country_code=cc, roles__party_id=pid, roles__role__in=list(roles)).distinct()
