"""X-Request-ID / X-Correlation-ID: echoed when given, created when missing, bound to the log context."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
correlation_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")

_SAFE_ID = re.compile(r"^[\x21-\x7e]{1,100}$")


def _header_id(request: HttpRequest, name: str) -> str:
    value = request.headers.get(name, "").strip()
    return value if _SAFE_ID.match(value) else str(uuid.uuid4())


def correlation_id(request: object) -> str:
    """The X-Correlation-ID of a request this middleware saw ("" for one it did not)."""
    return str(getattr(request, "ocpi_correlation_id", ""))


class OcpiRequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith("/ocpi/") and request.path_info.endswith("/"):
            request.path_info = request.path_info.rstrip("/")  # be liberal: trailing slashes are common
        request_id = _header_id(request, "X-Request-ID")
        correlation_id = _header_id(request, "X-Correlation-ID")
        request.ocpi_request_id = request_id  # type: ignore[attr-defined]
        request.ocpi_correlation_id = correlation_id  # type: ignore[attr-defined]
        tokens = (request_id_var.set(request_id), correlation_id_var.set(correlation_id))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(tokens[0])
            correlation_id_var.reset(tokens[1])
        if request.path.startswith("/ocpi"):
            response["X-Request-ID"] = request_id
            response["X-Correlation-ID"] = correlation_id
        return response
