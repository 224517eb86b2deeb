"""Reads of the platform registry."""

from __future__ import annotations

from django.db.models import QuerySet

from parties.models import ConnectionStatus, InterfaceRole, Platform, PlatformRole
from parties.tokens import hash_token


def credential_for_token(token: str) -> tuple[Platform, bool] | None:
    """The platform owning this incoming token, and whether it is a registration token (token A)."""
    platform = Platform.objects.filter(token_in_hash=hash_token(token)).prefetch_related("roles").first()
    if platform is None:
        return None
    return platform, platform.token_in_is_registration


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
    """Connected platforms (with one of ``roles``, if given) that implement the receiver interface of a module."""
    queryset = Platform.objects.filter(
        status=ConnectionStatus.CONNECTED,
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


def known_parties() -> list[tuple[str, str]]:
    """Every (country_code, party_id) a platform holds (a small table: the admin's search and filters use it)."""
    return list(PlatformRole.objects.order_by().values_list("country_code", "party_id").distinct())
