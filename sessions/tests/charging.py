"""Helpers shared by the Sessions and CDRs tests: platform stubs for wire-level tests and running the delivery
engine in-process. The bodies themselves come from ``tests.bodies``."""

from __future__ import annotations

from typing import Any

from parties.models import Delivery, DeliveryStatus
from parties.services.drain import delivery_attempt


class _PlatformStub:
    """Just enough of a Platform for ``parties.extension.platform_opted_in`` (wire-level tests, no database)."""

    def __init__(self, opted_in: bool):
        self.opted_in = opted_in

    def endpoint_url(self, identifier: str, role: str) -> str | None:
        listed = self.opted_in and (identifier, role) == ("chargex-errors", "RECEIVER")
        return "https://emsp.example/chargex-errors" if listed else None


PLATFORM_OPTED_IN: Any = _PlatformStub(opted_in=True)
PLATFORM_PLAIN: Any = _PlatformStub(opted_in=False)


def deliver_pending(module: str) -> list[str]:
    """Run the delivery engine once, in this process, for every due delivery of ``module`` (real HTTP)."""
    pending = Delivery.objects.filter(module=module, status=DeliveryStatus.PENDING).order_by("pk")
    return [delivery_attempt(pk) for pk in pending.values_list("pk", flat=True)]
