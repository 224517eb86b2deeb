from parties.models.outbox import Delivery, DeliveryAttempt, DeliveryStatus
from parties.models.platform import (
    ConnectionStatus,
    Endpoint,
    InterfaceRole,
    Platform,
    PlatformRole,
    Role,
    Strictness,
)

__all__ = [
    "ConnectionStatus",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Endpoint",
    "InterfaceRole",
    "Platform",
    "PlatformRole",
    "Role",
    "Strictness",
]
