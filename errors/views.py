"""chargex-errors endpoints. Thin: call one service or selector, render in the URL's version, answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework.request import Request
from rest_framework.response import Response

from errors import selectors, services
from errors.services import RecordRef
from errors.wire import ERROR_RECORD_MODELS, render_error_record
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.views import FunctionalApi

RECORD_ID = OpenApiParameter(
    "record_id",
    {"type": "string", "maxLength": 36},
    OpenApiParameter.PATH,
    description="Error record id (CiString(36)), the `id` of the ErrorRecord.",
)
with_record_id = extend_schema(parameters=[RECORD_ID])
PATCH_DESCRIPTION = (
    "Clear a stored ErrorRecord. The body carries `last_updated` (required) and `cleared_at`; `description` may "
    "change too. Any other field (other than matching `id`/`country_code`/`party_id`) is refused with 2001: "
    "PUT the full record instead."
)


@extend_schema_view(
    get=with_record_id,
    put=with_record_id,
    patch=extend_schema(parameters=[RECORD_ID], description=PATCH_DESCRIPTION),
)
class ErrorRecordReceiverApi(FunctionalApi):
    """Receiver interface for CPOs (chargex-errors): `receiver/chargex-errors/{country_code}/{party_id}/{id}`.

    PUT creates or replaces an ErrorRecord, PATCH clears it (`cleared_at` + `last_updated`), GET returns
    it. See docs/extension-chargex-errors.md.
    """

    ocpi_request = ERROR_RECORD_MODELS
    ocpi_response = {"GET": ERROR_RECORD_MODELS}

    def get(self, request: Request, version: str, **ids: str) -> Response:
        record = selectors.error_record_get_own(platform=self.caller(request), ref=RecordRef(**ids))
        return ocpi_response(render_error_record(record.document, version))

    def put(self, request: Request, version: str, **ids: str) -> Response:
        result = services.error_record_put(**self._push(request, version, ids))
        return ocpi_response(status_message=result.message)

    def patch(self, request: Request, version: str, **ids: str) -> Response:
        result = services.error_record_patch(**self._push(request, version, ids))
        return ocpi_response(status_message=result.message)

    def _push(self, request: Request, version: str, ids: dict[str, str]) -> dict[str, Any]:
        return {
            "platform": self.caller(request),
            "version": version,
            "ref": RecordRef(**ids),
            "body": request.data,
            "lenient": self.lenient(request),
            "correlation_id": self.correlation_id(request),
        }


class ErrorRecordSenderListApi(FunctionalApi):
    """Sender interface for eMSPs (chargex-errors extension): the error records routed to the caller, paginated.

    Empty unless the caller is an eMSP that lists chargex-errors RECEIVER in its version details.
    """

    ocpi_response = ERROR_RECORD_MODELS
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        paginator = OcpiPagination()
        page, _ = paginator.paginate(selectors.error_records_for_receiver(platform=self.caller(request)), request)
        return paginator.response([render_error_record(record.document, version) for record in page])
