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
