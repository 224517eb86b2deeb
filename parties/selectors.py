"""Reads of the platform registry."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Generic, TypeVar

from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from parties.models import (
    Agreement,
    AgreementStatus,
    ConnectionStatus,
    Delivery,
    DeliveryStatus,
    InterfaceRole,
    Platform,
    PlatformRole,
)
from parties.rows import auth_generation
from parties.tokens import hash_token

K = TypeVar("K")
V = TypeVar("V")


class GenerationCache(Generic[K, V]):
    """Entries of this process that hold while the auth generation row is unchanged: any committed change of a
    platform, role, endpoint or link changes it (triggers, migration 0006), and the next call starts empty.
    The entries dict is replaced as a whole, never edited across generations, so threads need no lock."""

    def __init__(self) -> None:
        self._state: tuple[int | None, dict[K, V]] = (None, {})

    def entries(self) -> dict[K, V]:
        """The entries filled under the current generation (one primary-key read of the generation row)."""
        generation = auth_generation()
        filled_under, entries = self._state
        if filled_under != generation:
            entries = {}
            self._state = (generation, entries)
        return entries


# This process's token cache: {token hash: (platform, registration)}.
_token_cache: GenerationCache[str, tuple[Platform, bool]] = GenerationCache()


def credential_for_token(token: str) -> tuple[Platform, bool] | None:
    """The platform owning this incoming token, and whether it is a registration token (token A).

    Known tokens are cached per process (``OCPI_HUB_TOKEN_CACHE``). Every call reads the generation row
    first (one primary-key read instead of the Platform and roles queries); any committed change of a
    platform, role, endpoint or link changes it (triggers, migration 0006), and the cache is dropped. A change
    the caller was told about is thus seen by every process's next request. Unknown tokens are not cached.
    Each caller gets its own copy of the cached platform, so a view that changes it changes nobody else's."""
    token_hash = hash_token(token)
    if not settings.OCPI_HUB_TOKEN_CACHE:
        return _credential_query(token_hash)
    entries = _token_cache.entries()
    found = entries.get(token_hash)
    if found is None:
        found = _credential_query(token_hash)
        if found is None:
            return None
        entries[token_hash] = found
    return _platform_copy(found[0]), found[1]


def _credential_query(token_hash: str) -> tuple[Platform, bool] | None:
    platform = Platform.objects.filter(token_in_hash=token_hash).prefetch_related("roles").first()
    if platform is None:
        return None
    return platform, platform.token_in_is_registration


def _platform_copy(platform: Platform) -> Platform:
    clone = copy.copy(platform)  # Model.__getstate__ copies the state and its fields cache
    prefetched = platform.__dict__.get("_prefetched_objects_cache")
    if prefetched is not None:
        clone._prefetched_objects_cache = dict(prefetched)  # type: ignore[attr-defined]
    clone._cached_origin = platform  # type: ignore[attr-defined]  # Platform.touch tells it the time
    return clone


# This process's receivers for the delivery engine, with their endpoints and roles: {platform id: platform},
# under the same rule as the token cache. The profile of a shared drain
# (``bench.profile --what fanout_drain``) had reading the receivers as ORM objects (Platform, endpoints,
# roles: three queries and 20 model instances with their prefetch per drain of 20) at 0.30 ms of the
# drain thread's 1.27 ms of CPU per delivery.
_receiver_cache: GenerationCache[int, Platform] = GenerationCache()


def receivers_by_id(receiver_ids: list[int]) -> dict[int, Platform]:
    """The platforms with these ids (those that exist), their endpoints and roles prefetched: each caller
    gets its own copy (change it freely; the endpoint and role lists are shared, read-only). Cached per
    process under the generation row, as ``credential_for_token`` (one primary-key read when every receiver
    is known): any committed change of a platform (but for ``last_seen_at``, ``last_alive_check_at``,
    ``unauthorized_count``, ``updated_at``), its roles or endpoints is seen by the next call."""
    ids = sorted(set(receiver_ids))
    if not settings.OCPI_HUB_TOKEN_CACHE:
        return Platform.objects.prefetch_related("endpoints", "roles").in_bulk(ids)
    entries = _receiver_cache.entries()
    missing = [pk for pk in ids if pk not in entries]
    if missing:
        entries.update(Platform.objects.prefetch_related("endpoints", "roles").in_bulk(missing))
    return {pk: _platform_copy(entries[pk]) for pk in ids if pk in entries}


def platform_for_party(country_code: str, party_id: str) -> Platform | None:
    role = (
        PlatformRole.objects.select_related("platform")
        .filter(country_code=country_code.upper(), party_id=party_id.upper())
        .first()
    )
    return role.platform if role else None


def receivers_for(
    identifier: str, *, roles: tuple[str, ...] | None = None, exclude: Platform | None = None
) -> QuerySet[Platform]:
    """Registered platforms, connected or OFFLINE (with one of ``roles``, if given) that implement the receiver
    interface of a module: an OFFLINE receiver's rows wait for it (``parties.services.drain``)."""
    queryset = Platform.objects.filter(
        status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE],
        endpoints__identifier=identifier,
        endpoints__role=InterfaceRole.RECEIVER,
    )
    if roles is not None:
        queryset = queryset.filter(roles__role__in=roles)
    if exclude is not None:
        queryset = queryset.exclude(pk=exclude.pk)
    return queryset.distinct().prefetch_related("roles", "endpoints")


def client_info_roles() -> QuerySet[PlatformRole]:
    return PlatformRole.objects.select_related("platform").exclude(role="HUB")


def custom_module_opted_in(platform: Platform, identifier: str) -> bool:
    """Whether the hub may advertise its custom module ``identifier`` (e.g. chargex-errors) to ``platform``:
    the platform lists that module in its own version details, or an admin opted it in."""
    return platform.extension_opt_in or platform.lists_module(identifier)


@dataclass
class DeliverySummary:
    """A receiver's deliveries: how many in each status, and how long the oldest pending one has waited."""

    counts: dict[str, int] = field(default_factory=dict)
    oldest_pending_age: timedelta | None = None

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)


def delivery_summaries(*, receiver_ids: list[int] | None = None) -> dict[int, DeliverySummary]:
    """Per receiver id, for every receiver (or those given) that has deliveries (one grouped query)."""
    now = timezone.now()
    summaries: dict[int, DeliverySummary] = {}
    deliveries = (
        Delivery.objects.all() if receiver_ids is None else Delivery.objects.filter(receiver_id__in=receiver_ids)
    )
    rows = deliveries.values("receiver_id", "status").annotate(
        n=Count("pk"), oldest=Min("queued_at", filter=Q(status=DeliveryStatus.PENDING))
    )
    for row in rows.order_by():
        summary = summaries.setdefault(row["receiver_id"], DeliverySummary())
        summary.counts[row["status"]] = row["n"]
        if row["oldest"] is not None:
            summary.oldest_pending_age = now - row["oldest"]
    return summaries


def delivery_summary(*, platform: Platform) -> DeliverySummary:
    return delivery_summaries(receiver_ids=[platform.pk]).get(platform.pk, DeliverySummary())


def format_duration(age: timedelta) -> str:
    """A short human duration: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    seconds = int(age.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if minutes < 60:
        return f"{minutes} min"
    if hours < 24:
        return f"{hours} h {minutes % 60} min"
    return f"{days} d {hours % 24} h"


def known_parties() -> list[tuple[str, str]]:
    """Every (country_code, party_id) a platform holds (a small table: the admin's search and filters use it)."""
    return list(PlatformRole.objects.order_by().values_list("country_code", "party_id").distinct())


def platform_agreements(platform: Platform) -> list[Agreement]:
    """Every roaming agreement naming one of the platform's roles (on either side), newest first."""
    condition = Q(pk__in=[])
    for role in platform.roles.all():
        condition |= Q(cpo_country_code=role.country_code, cpo_party_id=role.party_id)
        condition |= Q(emsp_country_code=role.country_code, emsp_party_id=role.party_id)
    return list(Agreement.objects.filter(condition).order_by("-created_at"))


def open_agreement_exists(cpo_country_code: str, cpo_party_id: str, emsp_country_code: str, emsp_party_id: str) -> bool:
    """Whether the pair has an agreement that has not ended (there may be one only)."""
    return (
        Agreement.objects.filter(
            cpo_country_code=cpo_country_code.upper(),
            cpo_party_id=cpo_party_id.upper(),
            emsp_country_code=emsp_country_code.upper(),
            emsp_party_id=emsp_party_id.upper(),
        )
        .exclude(status=AgreementStatus.ENDED)
        .exists()
    )
