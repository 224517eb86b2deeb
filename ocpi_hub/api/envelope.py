"""The OCPI response envelope: ``{data, status_code, status_message, timestamp}``."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response

from ocpi_hub.api.datetimes import format_datetime, utc_now

_OMIT = object()


def envelope(data: Any = _OMIT, *, status_code: int = 1000, status_message: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data is not _OMIT and data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if status_message:
        body["status_message"] = status_message
    body["timestamp"] = format_datetime(utc_now())
    return body


def ocpi_response(
    data: Any = _OMIT,
    *,
    status_code: int = 1000,
    status_message: str | None = None,
    http_status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Every OCPI view returns through this."""
    body = envelope(data, status_code=status_code, status_message=status_message)
    return Response(body, status=http_status, headers=headers)
