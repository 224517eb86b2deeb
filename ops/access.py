"""Who may read /readyz and /metrics: ``OCPI_HUB_OPS_ACCESS`` = ``open``, ``token`` (``Authorization: Bearer
<OCPI_HUB_OPS_TOKEN>``) or ``loopback`` (only clients on 127.0.0.0/8 or ::1, e.g. a scraper on the host)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

ACCESS_MODES = ("open", "token", "loopback")
View = Callable[[HttpRequest], HttpResponse]


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _has_token(request: HttpRequest) -> bool:
    expected = settings.OCPI_HUB_OPS_TOKEN or ""
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def allowed(request: HttpRequest) -> bool:
    mode = settings.OCPI_HUB_OPS_ACCESS
    if mode == "open":
        return True
    if mode == "token":
        return _has_token(request)
    return _is_loopback(request.META.get("REMOTE_ADDR", ""))


def ops_access(view: View) -> View:
    @wraps(view)
    def guarded(request: HttpRequest) -> HttpResponse:
        if allowed(request):
            return view(request)
        status = 401 if settings.OCPI_HUB_OPS_ACCESS == "token" else 403
        return JsonResponse(
            {"status": "forbidden", "detail": f"access is {settings.OCPI_HUB_OPS_ACCESS}"}, status=status
        )

    return guarded
