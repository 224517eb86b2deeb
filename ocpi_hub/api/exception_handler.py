"""The one place that turns any failure into an OCPI envelope. Never an HTML page or a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
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
    return response


def _classify(exc: Exception) -> tuple[int, str, int]:  # noqa: PLR0911 - a flat lookup reads best
    if isinstance(exc, OcpiError):
        return exc.ocpi_status, exc.message, exc.http_status
    if isinstance(exc, PydanticValidationError):
        return 2001, format_validation_error(exc), 200
    if isinstance(exc, drf.ParseError):
        return 2000, f"Malformed request body: {exc.detail}", 400
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        return 2000, str(exc.detail), 401
    if isinstance(exc, drf.ValidationError):
        return 2001, _flatten_detail(exc.detail), 200
    if isinstance(exc, Http404 | drf.NotFound):
        return 2000, "Not found", 404
    if isinstance(exc, drf.MethodNotAllowed):
        return 2000, str(exc.detail), 405
    if isinstance(exc, PermissionDenied | drf.PermissionDenied):
        return 2000, str(getattr(exc, "detail", "") or "Permission denied"), 403
    if isinstance(exc, drf.UnsupportedMediaType):
        return 2000, str(exc.detail), 415
    if isinstance(exc, drf.APIException):
        return 2000 if exc.status_code < 500 else 3000, str(exc.detail), exc.status_code
    logger.error("Unhandled error in OCPI request", exc_info=exc)
    return 3000, "Internal server error", 500


def _flatten_detail(detail: Any, prefix: str = "") -> str:
    if isinstance(detail, dict):
        parts = [_flatten_detail(value, f"{prefix}.{key}" if prefix else str(key)) for key, value in detail.items()]
        return "; ".join(parts)
    if isinstance(detail, list):
        return "; ".join(_flatten_detail(item, prefix) for item in detail)
    return f"{prefix}: {detail}" if prefix else str(detail)


def json_not_found(request: Any, exception: Exception | None = None) -> JsonResponse:
    """handler404 for paths outside DRF views (unknown URLs)."""
    return JsonResponse(envelope(status_code=2000, status_message="Unknown URL"), status=404)


def json_server_error(request: Any) -> JsonResponse:
    """handler500: a JSON envelope instead of Django's HTML page."""
    return JsonResponse(envelope(status_code=3000, status_message="Internal server error"), status=500)


def json_bad_request(request: Any, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(envelope(status_code=2000, status_message="Bad request"), status=400)
