"""Still-alive check: after a period of silence, GET the party's versions endpoint (side-effect free)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parties import client
from parties.lock_objects import platform_lock
from parties.models import ConnectionStatus, Platform
from parties.services.clientinfo import platform_set_status


def platforms_due_for_alive_check() -> list[int]:
    silence = timezone.now() - timedelta(seconds=settings.OCPI_HUB_ALIVE_SILENCE)
    return list(
        Platform.objects.filter(status__in=[ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE])
        .exclude(token_out="")
        .exclude(versions_url="")
        .filter(Q(last_seen_at__isnull=True) | Q(last_seen_at__lt=silence))
        .values_list("pk", flat=True)
    )


def platform_check_alive(*, platform: Platform) -> bool:
    """Returns whether the party answered; marks it OFFLINE / back CONNECTED accordingly."""
    try:
        reply = client.call("GET", platform.versions_url, token=platform.token_out, raw_token=not platform.token_base64)
        alive = reply.ok
    except client.TransportError:
        alive = False
    now = timezone.now()
    with transaction.atomic():
        platform = platform_lock(platform.pk)
        if platform.status not in (ConnectionStatus.CONNECTED, ConnectionStatus.OFFLINE):
            return alive
        platform.last_alive_check_at = now
        if alive:
            platform.last_seen_at = now
        platform.save(update_fields=["last_alive_check_at", "last_seen_at"])
        platform_set_status(platform=platform, status=ConnectionStatus.CONNECTED if alive else ConnectionStatus.OFFLINE)
    return alive
