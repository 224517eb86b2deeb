"""OCPI status codes as exceptions. No DRF import: services raise these, the API layer renders them."""

from __future__ import annotations

from typing import Any


class OcpiError(Exception):
    """An OCPI error answered with an envelope carrying ``ocpi_status``."""

    ocpi_status = 2000
    http_status = 200
    default_message = "Generic client error"

    def __init__(self, message: str | None = None, *, http_status: int | None = None, data: Any = None):
        self.message = message or self.default_message
        if http_status is not None:
            self.http_status = http_status
        self.data = data
        super().__init__(self.message)


class ClientError(OcpiError):
    ocpi_status = 2000
    default_message = "Generic client error"


class InvalidParameters(ClientError):
    ocpi_status = 2001
    default_message = "Invalid or missing parameters"


class BodyTooLarge(InvalidParameters):
    """A request body over ``OCPI_HUB_MAX_BODY_BYTES``: refused before (the rest of) it is read."""

    http_status = 413
    default_message = "body: too large"


class BodyNotReceived(ClientError):
    """A request body that did not arrive within ``OCPI_HUB_BODY_READ_TIMEOUT`` (e.g. a Content-Length larger
    than what the client sends)."""

    http_status = 408
    default_message = "body: not received in time"


class NotEnoughInformation(ClientError):
    ocpi_status = 2002
    default_message = "Not enough information"


class UnknownLocation(ClientError):
    ocpi_status = 2003
    default_message = "Unknown location"


class UnknownToken(ClientError):
    ocpi_status = 2004
    default_message = "Unknown token"


class ServerError(OcpiError):
    ocpi_status = 3000
    default_message = "Generic server error"


class UnableToUseClientApi(ServerError):
    ocpi_status = 3001
    default_message = "Unable to use the client's API"


class UnsupportedVersion(ServerError):
    ocpi_status = 3002
    default_message = "Unsupported version"


class NoMatchingEndpoints(ServerError):
    ocpi_status = 3003
    default_message = "No matching endpoints or expected endpoints missing"


class HubError(OcpiError):
    ocpi_status = 4000
    default_message = "Generic hub error"


class UnknownReceiver(HubError):
    ocpi_status = 4001
    default_message = "Unknown receiver"


class ForwardTimeout(HubError):
    ocpi_status = 4002
    default_message = "Timeout on forwarded request"


class ReceiverNotConnected(HubError):
    ocpi_status = 4003
    default_message = "Connection problem: receiving party is not connected"


class NotFound(ClientError):
    """An unknown object on a GET: HTTP 404 with an OCPI client error."""

    ocpi_status = 2000
    http_status = 404
    default_message = "Object not found"


class MethodNotAllowed(ClientError):
    ocpi_status = 2000
    http_status = 405
    default_message = "Method not allowed"
