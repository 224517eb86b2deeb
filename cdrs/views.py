"""CDRs endpoints. Thin: parse the URL, call one service or selector, answer with an envelope."""

from __future__ import annotations

from urllib.parse import quote

from rest_framework.request import Request
from rest_framework.response import Response

from cdrs import selectors
from cdrs.models import Cdr
from cdrs.services import cdr_create
from cdrs.wire import CDR_MODELS, render_cdr_for
from ocpi_hub.api import versions
from ocpi_hub.api.bench import bench_pricing
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.views import FunctionalApi
from sessions.selectors import with_endpoints


def cdr_location_url(version: str, cdr: Cdr) -> str:
    """Where the CPO can GET the stored CDR (the ``Location`` header of the POST answer)."""
    ids = "/".join(quote(part, safe="") for part in (cdr.country_code, cdr.party_id, cdr.cdr_id))
    return f"{versions.version_details_url(version)}/receiver/cdrs/{ids}"


class CdrReceiverApi(FunctionalApi):
    """Receiver interface for CPOs: ``POST /receiver/cdrs`` (HTTP 201 + ``Location`` of the stored CDR)."""

    ocpi_request = CDR_MODELS
    ocpi_response = {"POST": None}
    ocpi_created = True

    def post(self, request: Request, version: str) -> Response:
        result = cdr_create(
            platform=self.caller(request),
            version=version,
            body=request.data,
            routing=self.routing(request),
            correlation_id=self.correlation_id(request),
            pricing=bench_pricing(request),
        )
        return ocpi_response(
            status_message=result.message,
            http_status=201 if result.created else 200,
            headers={"Location": cdr_location_url(version, result.cdr)},
        )


class CdrReceiverDetailApi(FunctionalApi):
    """``GET /receiver/cdrs/{country_code}/{party_id}/{cdr_id}``: a stored CDR, to its owner only."""

    ocpi_response = CDR_MODELS

    def get(self, request: Request, version: str, country_code: str, party_id: str, cdr_id: str) -> Response:
        caller = self.caller(request)
        cdr = selectors.cdr_get_owned(platform=caller, country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        return ocpi_response(render_cdr_for(cdr.document, version, caller))


class CdrSenderListApi(FunctionalApi):
    """Sender interface for eMSPs: only the CDRs routed to the caller, paginated."""

    ocpi_response = CDR_MODELS
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        caller = with_endpoints(self.caller(request))
        paginator = OcpiPagination()
        page, _ = paginator.paginate(selectors.cdr_list_for_receiver(platform=caller), request)
        return paginator.response([render_cdr_for(cdr.document, version, caller) for cdr in page])
