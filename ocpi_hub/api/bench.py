"""The benchmarks' baseline endpoint: ``POST /ocpi/bench/echo`` (see ``bench/`` and docs/performance.md).

It does what every OCPI request of a functional module pays for and nothing more: the middleware, Token
authentication (the token lookup in the database), the OCPI-from-* routing check, the hub's JSON parser,
and an envelope rendered back (the parsed body, echoed). Every benchmark target is a ratio against this
endpoint measured in the same run, on the same server, with the same client.

``POST /ocpi/bench/floor`` is the framework's floor: a bare DRF view, no authentication, no database.

Served only when ``settings.OCPI_HUB_BENCH_ENDPOINT`` is true (``OCPI_HUB_BENCH_ENDPOINT=1``); otherwise
these URL patterns are empty and the path answers the usual JSON 404.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import path
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.views import FunctionalApi


class BenchEchoApi(FunctionalApi):
    """Authenticated like any functional OCPI endpoint; answers the parsed body in an envelope."""

    schema = None  # not part of the OCPI API: kept out of the OpenAPI document

    def post(self, request: Request, **kwargs: Any) -> Response:
        return ocpi_response(request.data)


class BenchFloorApi(APIView):
    """The framework's floor (issue 19, item 1): a bare DRF view on the same server, behind the same
    middleware: no authentication, no routing checks, no database; DRF's own JSON parser and renderer, an
    OCPI-shaped envelope around the parsed body."""

    schema = None
    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def post(self, request: Request, **kwargs: Any) -> Response:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Response({"data": request.data, "status_code": 1000, "timestamp": now})


def bench_pricing(request: Request) -> bool | None:
    """False when a benchmark asks for a CDR POST without the tariff check (header
    ``OCPI-Hub-Bench-Pricing: off``, honoured only with ``OCPI_HUB_BENCH_ENDPOINT`` on), so bench E1P can
    compare both in one run on one server; None otherwise (``OCPI_HUB_PRICING`` decides)."""
    if settings.OCPI_HUB_BENCH_ENDPOINT and request.META.get("HTTP_OCPI_HUB_BENCH_PRICING") == "off":
        return False
    return None


urlpatterns = (
    [
        path("echo", BenchEchoApi.as_view(), name="bench-echo"),
        path("floor", BenchFloorApi.as_view(), name="bench-floor"),
    ]
    if settings.OCPI_HUB_BENCH_ENDPOINT
    else []
)
