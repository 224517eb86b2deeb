from parties.models.agreements import SCOPES, Agreement, AgreementStatus
from parties.models.outbox import Delivery, DeliveryAttempt, DeliveryStatus, EngineLock, ReceiverQueue
from parties.models.platform import (
    AuthGeneration,
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
    "AuthGeneration",
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
