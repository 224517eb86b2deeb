"""HubClientInfo: tell connected parties when another party's connection status changes."""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from ocpi_hub.api.datetimes import format_datetime
from parties import outbound
from parties.models import ConnectionStatus, Delivery, Platform, PlatformRole
from parties.selectors import receivers_for
from parties.services.delivery import delivery_enqueue

MODULE = "hubclientinfo"
logger = logging.getLogger(__name__)


def client_info_changed(*, platform: Platform, newly_connected: bool = False) -> None:
    """Queue a ClientInfo PUT about ``platform``'s roles to every other connected party (call in the
    transaction of the change); a newly connected party also gets the ClientInfo of everyone else."""
    roles = list(platform.roles.exclude(role="HUB"))
    PlatformRole.objects.filter(platform=platform).update(updated_at=timezone.now())
    for receiver in receivers_for(MODULE, exclude=platform):
        for role in roles:
            delivery_enqueue(receiver=receiver, module=MODULE, object_key=f"{role.country_code}/{role.party_id}")
    if newly_connected and platform.endpoints.filter(identifier=MODULE, role="RECEIVER").exists():
        for role in PlatformRole.objects.exclude(platform=platform).exclude(role="HUB"):
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


def client_info(role: PlatformRole) -> dict[str, Any]:
    return {
        "party_id": role.party_id,
        "country_code": role.country_code,
        "role": role.role,
        "status": role.platform.status,
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
    return outbound.Outbound(method="PUT", url=url, body=client_info(role))


outbound.register_renderer(MODULE, render_client_info)

ALIVE_STATUSES = (ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE)
