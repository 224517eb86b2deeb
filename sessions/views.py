"""Sessions endpoints. Thin: parse the URL, call one service or selector, answer with an envelope."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.middleware import correlation_id
from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.views import FunctionalApi
from parties.forwarding import ForwardingApi, relayed_response
from sessions import selectors
from sessions.preferences import charging_preferences_put
from sessions.services import Push, SessionRef, session_patch, session_put
from sessions.wire import SESSION_MODELS, ChargingPreferences, ChargingPreferencesResponse, render_session_for


class SessionReceiverApi(FunctionalApi):
    """Receiver interface for CPOs: ``/receiver/sessions/{country_code}/{party_id}/{session_id}``."""

    ocpi_request = SESSION_MODELS
    ocpi_response = {"GET": SESSION_MODELS}

    def _push(self, request: Request, version: str, ref: SessionRef) -> Push:
        return Push(
            platform=self.caller(request),
            version=version,
            ref=ref,
            body=request.data,
            routing=self.routing(request),
            correlation_id=correlation_id(request),
        )

    def get(self, request: Request, version: str, country_code: str, party_id: str, session_id: str) -> Response:
        caller = self.caller(request)
        session = selectors.session_get_owned(
            platform=caller, country_code=country_code, party_id=party_id, session_id=session_id
        )
        return ocpi_response(render_session_for(session.document, version, caller))

    def put(self, request: Request, version: str, country_code: str, party_id: str, session_id: str) -> Response:
        result = session_put(push=self._push(request, version, SessionRef(country_code, party_id, session_id)))
        return ocpi_response(status_message=result.message)

    def patch(self, request: Request, version: str, country_code: str, party_id: str, session_id: str) -> Response:
        result = session_patch(push=self._push(request, version, SessionRef(country_code, party_id, session_id)))
        return ocpi_response(status_message=result.message)


class SessionSenderListApi(FunctionalApi):
    """Sender interface for eMSPs: only the Sessions routed to the caller, paginated."""

    ocpi_response = SESSION_MODELS
    ocpi_many = True

    def get(self, request: Request, version: str) -> Response:
        caller = selectors.with_endpoints(self.caller(request))
        paginator = OcpiPagination()
        page, _ = paginator.paginate(selectors.session_list_for_receiver(platform=caller), request)
        return paginator.response([render_session_for(session.document, version, caller) for session in page])


class ChargingPreferencesApi(ForwardingApi):
    """``PUT /sender/sessions/{session_id}/charging_preferences``: forwarded live to the owning CPO."""

    ocpi_request = ChargingPreferences
    ocpi_response = ChargingPreferencesResponse
    requester_roles = ("EMSP",)

    def put(self, request: Request, version: str, session_id: str) -> Response:
        relayed = charging_preferences_put(
            platform=self.caller(request),
            session_id=session_id,
            body=request.data,
            routing=self.routing(request),
            correlation_id=correlation_id(request),
        )
        return relayed_response(relayed)
