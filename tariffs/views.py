"""Tariffs endpoints. Thin: call one service or selector, render in the URL's version, answer."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.middleware import correlation_id
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.views import FunctionalApi
from parties.outbound import hub_party
from tariffs import selectors, services
from tariffs.wire import TARIFF_MODELS, render_tariff


def addressed_owner(routing: RoutingHeaders) -> PartyRef | None:
    """The CPO named in OCPI-to-* (None when absent or when it names the hub itself)."""
    return None if routing.receiver in (None, hub_party()) else routing.receiver


class TariffReceiverApi(FunctionalApi):
    """Receiver interface for CPOs: ``receiver/tariffs/{country_code}/{party_id}/{tariff_id}``."""

    ocpi_request = TARIFF_MODELS
    ocpi_response = {"GET": TARIFF_MODELS}

    def get(self, request: Request, version: str, **ids: str) -> Response:
        tariff = selectors.tariff_get_own(platform=self.caller(request), **ids)
        return ocpi_response(render_tariff(tariff.document, version))

    def put(self, request: Request, version: str, **ids: str) -> Response:
        result = services.tariff_put(
            platform=self.caller(request),
            version=version,
            body=request.data,
            lenient=self.lenient(request),
            correlation_id=correlation_id(request),
            routing=self.routing(request),
            **ids,
        )
        return ocpi_response(status_message=result.message)

    def delete(self, request: Request, version: str, **ids: str) -> Response:
        result = services.tariff_delete(platform=self.caller(request), correlation_id=correlation_id(request), **ids)
        return ocpi_response(status_message=result.message)


class TariffSenderListApi(FunctionalApi):
    """Sender interface for eMSPs: every live Tariff (of the CPO named in OCPI-to-*, if any), paginated."""

    ocpi_response = TARIFF_MODELS
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        paginator = OcpiPagination()
        queryset = selectors.tariff_list_live(
            owner=addressed_owner(self.routing(request)), visible_to=self.caller(request)
        )
        page, _ = paginator.paginate(queryset, request)
        return paginator.response([render_tariff(tariff.document, version) for tariff in page])
