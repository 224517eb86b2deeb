"""The one place that turns any failure into an OCPI envelope. Never an HTML page or a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError as PydanticValidationError
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ocpi_hub.api.envelope import envelope
from ocpi_hub.api.wire import format_validation_error
from ocpi_hub.exceptions import OcpiError

logger = logging.getLogger(__name__)


def ocpi_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    set_rollback()
    status_code, message, http_status = _classify(exc)
    response = Response(envelope(status_code=status_code, status_message=message), status=http_status)
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        response["WWW-Authenticate"] = "Token"
    wait = getattr(exc, "wait", None) if isinstance(exc, drf.Throttled) else None
    if wait is not None:
        response["Retry-After"] = str(int(wait))
    return response


_DRF_MAPPING: tuple[tuple[type[Exception] | tuple[type[Exception], ...], int, int], ...] = (
    # (exception types, OCPI status, HTTP status); the message is the exception's detail
    ((drf.NotAuthenticated, drf.AuthenticationFailed), 2000, 401),
    (drf.ValidationError, 2001, 200),
    ((Http404, drf.NotFound), 2000, 404),
    (drf.MethodNotAllowed, 2000, 405),
    ((PermissionDenied, drf.PermissionDenied), 2000, 403),
    (drf.UnsupportedMediaType, 2000, 415),
)


def _classify(exc: Exception) -> tuple[int, str, int]:
    if isinstance(exc, OcpiError):
        return exc.ocpi_status, exc.message, exc.http_status
    if isinstance(exc, PydanticValidationError):
        return 2001, format_validation_error(exc), 200
    if isinstance(exc, drf.ParseError):
        return 2000, f"Malformed request body: {exc.detail}", 400
    for types, ocpi_status, http_status in _DRF_MAPPING:
        if isinstance(exc, types):
            return ocpi_status, _message(exc), http_status
    if isinstance(exc, drf.APIException):
        return (2000 if exc.status_code < 500 else 3000), str(exc.detail), exc.status_code
    logger.error("Unhandled error in OCPI request", exc_info=exc)
    return 3000, "Internal server error", 500


def _message(exc: Exception) -> str:
    if isinstance(exc, Http404):
        return "Not found"
    detail = getattr(exc, "detail", None)
    if isinstance(exc, drf.ValidationError):
        return _flatten_detail(detail)
    return str(detail or exc or "Permission denied")


def _flatten_detail(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict):
        parts = [_flatten_detail(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in detail.items()]
        return "; ".join(parts)
    if isinstance(detail, list):
        return "; ".join(_flatten_detail(item, prefix) for item in detail)
    return f"{prefix}: {detail}" if prefix else str(detail)


@csrf_exempt  # OCPI calls are token-authenticated, never cookie-authenticated: CSRF does not apply
def json_not_found(request: Any, exception: Exception | None = None) -> JsonResponse:
    """handler404 for paths outside DRF views (unknown URLs), whatever the method."""
    return JsonResponse(envelope(status_code=2000, status_message="Unknown URL"), status=404)


def json_server_error(request: Any) -> JsonResponse:
    """handler500: a JSON envelope instead of Django's HTML page."""
    return JsonResponse(envelope(status_code=3000, status_message="Internal server error"), status=500)


def json_bad_request(request: Any, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(envelope(status_code=2000, status_message="Bad request"), status=400)
