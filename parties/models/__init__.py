from parties.models.agreements import SCOPES, Agreement, AgreementStatus
from parties.models.outbox import Delivery, DeliveryAttempt, DeliveryStatus, EngineLock, ReceiverQueue
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
    "SCOPES",
    "Agreement",
    "AgreementStatus",
    "ConnectionStatus",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Endpoint",
    "EngineLock",
    "InterfaceRole",
    "Platform",
    "PlatformRole",
    "ReceiverQueue",
    "Role",
    "Strictness",
]
