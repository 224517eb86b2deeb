"""HubClientInfo: tell connected parties when another party's connection status changes."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from ocpi_hub.api.datetimes import format_datetime
from parties import outbound, policy
from parties.models import ConnectionStatus, Delivery, Platform, PlatformRole
from parties.selectors import receivers_for
from parties.services.delivery import delivery_enqueue

MODULE = "hubclientinfo"
logger = logging.getLogger(__name__)


def client_info_changed(
    *, platform: Platform, newly_connected: bool = False, only_to: set[Platform] | None = None
) -> None:
    """Queue a ClientInfo PUT about ``platform``'s roles to every other connected party (call in the
    transaction of the change); a newly connected party also gets the ClientInfo of everyone else.

    Under the routing policy ``agreements`` a party hears only of the parties it has an agreement with;
    ``only_to`` (an agreement changed): those platforms, whatever the agreement says now (the ClientInfo
    then tells them whether the other side is reachable, ``client_info``)."""
    roles = list(platform.roles.exclude(role="HUB"))
    PlatformRole.objects.filter(platform=platform).update(updated_at=timezone.now())
    receivers = receivers_for(MODULE, exclude=platform)
    if only_to is not None:
        receivers = receivers.filter(pk__in=[other.pk for other in only_to])
    for receiver in receivers:
        known = None if only_to is not None else policy.reachable(receiver)
        for role in roles:
            if known is None or (role.country_code, role.party_id) in known:
                delivery_enqueue(receiver=receiver, module=MODULE, object_key=f"{role.country_code}/{role.party_id}")
    if newly_connected and platform.endpoints.filter(identifier=MODULE, role="RECEIVER").exists():
        known = policy.reachable(platform)
        for role in PlatformRole.objects.exclude(platform=platform).exclude(role="HUB"):
            if known is None or (role.country_code, role.party_id) in known:
                delivery_enqueue(receiver=platform, module=MODULE, object_key=f"{role.country_code}/{role.party_id}")


def platform_set_status(*, platform: Platform, status: str) -> bool:
    """Change a platform's connection status; returns whether it changed."""
    if platform.status == status:
        return False
    previous, platform.status = platform.status, status
    platform.save(update_fields=["status", "updated_at"])
    client_info_changed(platform=platform)
    extra = {"event": f"platform.{status.lower()}", "platform": platform.pk, "previous_status": previous}
    logger.log(
        logging.INFO if status == ConnectionStatus.CONNECTED else logging.WARNING,
        "Platform %s is now %s (was %s)",
        platform.name,
        status,
        previous,
        extra=extra,
    )
    return True


def client_info(role: PlatformRole, *, reachable: bool = True) -> dict[str, Any]:
    """The ClientInfo of ``role``; a party the receiver has no agreement with is SUSPENDED to it."""
    return {
        "party_id": role.party_id,
        "country_code": role.country_code,
        "role": role.role,
        "status": role.platform.status if reachable else ConnectionStatus.SUSPENDED,
        "last_updated": format_datetime(role.updated_at),
    }


def render_client_info(delivery: Delivery) -> outbound.Outbound | None:
    country_code, party_id = delivery.object_key.split("/")
    role = (
        PlatformRole.objects.select_related("platform")
        .filter(country_code=country_code, party_id=party_id)
        .exclude(role="HUB")
        .first()
    )
    if role is None:
        return None
    url = outbound.receiver_url(delivery.receiver, MODULE, country_code, party_id)
    known = policy.reachable(delivery.receiver)
    body = client_info(role, reachable=known is None or (country_code, party_id) in known)
    return outbound.Outbound(method="PUT", url=url, body=body)


outbound.register_renderer(MODULE, render_client_info)

ALIVE_STATUSES = (ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE)
