"""/healthz, /readyz and /metrics: plain Django views (no OCPI envelope, no OCPI token)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ops.access import ops_access
from ops.health import readiness
from ops.metrics import metrics_text


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers requests."""
    return JsonResponse({"status": "ok"})


@require_GET
@ops_access
def readyz(request: HttpRequest) -> HttpResponse:
    checks = readiness()
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ready" if ready else "not_ready", "checks": checks}, status=200 if ready else 503)


@require_GET
@ops_access
def metrics(request: HttpRequest) -> HttpResponse:
    body, content_type = metrics_text()
    return HttpResponse(body, content_type=content_type)
