"""Per request: a log context (request id, correlation id, platform, module, object key), the access log
line, and the HTTP request counter of /metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from ocpi_hub.api.logcontext import log_bind, log_context
from ocpi_hub.api.middleware import correlation_id_var, request_id_var
from ops.metrics import count_request, request_labels

access_logger = logging.getLogger("ocpi_hub.access")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/static/")  # probes and scrapes: counted, not logged


def _object_key(view_kwargs: dict[str, Any]) -> str:
    """country_code/party_id/id/... of the object a module view works on, as far as the URL names it (the
    URL's own order: location_id, evse_uid, connector_id)."""
    return "/".join(str(value) for name, value in view_kwargs.items() if name != "version")


class OpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        module, interface = request_labels(request.path_info)
        with log_context(request_id=request_id_var.get(), correlation_id=correlation_id_var.get(), ocpi_module=module):
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            count_request(path=request.path_info, method=request.method or "", status=response.status_code)
            if not request.path_info.startswith(QUIET_PATHS):
                self._log(request, response, duration_ms, interface)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> None:
        log_bind(object_key=_object_key(kwargs))

    def _log(self, request: HttpRequest, response: HttpResponse, duration_ms: float, interface: str) -> None:
        access_logger.info(
            "%s %s %s %.1fms",
            request.method,
            request.get_full_path(),
            response.status_code,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path_info,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "interface": interface,
            },
        )
