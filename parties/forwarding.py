"""Forwarding semantics of every pass-through call (authorize, charging preferences, commands, charging
profiles), in one place. docs/routing.md describes them with one sequence per call type.

- ``forward``: the hub -> target hop. A new X-Request-ID (the outbound client makes one per call), the caller's
  X-Correlation-ID, OCPI-from = the requesting party, OCPI-to = the target party (notes §2.2, "party to party
  via the hub"), the target's credentials and a read timeout. No HTTP answer: 4002 on a timeout, 4003 when the
  target cannot be reached, is not connected or refuses the hub's credentials (401/403); an answer that is not
  an OCPI envelope: 4000.
- ``relay``: the target's answer as it goes back. Its HTTP status, status_code and status_message are relayed
  as they are (2xxx/3xxx included); its ``data`` is normalised first (``normalise``), never passed through
  invalid, and translated to the requester's version when the caller gives a translation.
- ``ForwardingApi``: every answer of a pass-through view carries routing headers, to = the requester and
  from = the answering party (relayed answers) or the hub (answers of the hub's own, e.g. 4001).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.routing import PartyRef
from ocpi_hub.api.views import FunctionalApi
from ocpi_hub.api.wire import format_validation_error
from ocpi_hub.exceptions import ForwardTimeout, HubError, ReceiverNotConnected
from parties import client
from parties.models import ConnectionStatus, Platform
from parties.outbound import hub_party

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hop:
    """One forwarded call: who asks, who answers, where and with which credentials."""

    requester: PartyRef
    target: PartyRef
    platform: Platform
    url: str
    what: str  # how the target is named in messages, e.g. "CPO NL/CPA"


@dataclass(frozen=True)
class Relayed:
    """The target's answer as it goes back to the requester."""

    http_status: int
    status_code: int
    status_message: str | None
    data: Any
    headers: dict[str, str] = field(default_factory=dict)


def require_connected(platform: Platform, what: str) -> None:
    """4003 unless the target platform is connected and the hub holds credentials for it."""
    if platform.status != ConnectionStatus.CONNECTED:
        raise ReceiverNotConnected(f"{what} is {platform.status.lower()}")
    if not platform.token_out:
        raise ReceiverNotConnected(f"{what} has no credentials with the hub")


def forward(
    hop: Hop,
    method: str,
    *,
    body: Any = None,
    params: dict[str, str] | None = None,
    correlation_id: str = "",
    timeout: float,
) -> client.Reply:
    """Make the hop; the target's reply (an OCPI envelope), or the hub error that replaces it."""
    require_connected(hop.platform, hop.what)
    try:
        reply = client.call(
            method,
            hop.url,
            token=hop.platform.token_out,
            raw_token=not hop.platform.token_base64,
            body=body,
            params=params,
            correlation_id=correlation_id,
            routing=client.Routing(sender=hop.requester, receiver=hop.target),
            read_timeout=timeout,
        )
    except client.TransportError as exc:
        logger.warning("Forward to %s failed: %s", hop.what, exc)
        if exc.timeout:
            raise ForwardTimeout(f"{hop.what} did not answer within {timeout:g} s") from None
        raise ReceiverNotConnected(f"{hop.what} could not be reached") from None
    if reply.http_status in (401, 403):
        raise ReceiverNotConnected(f"{hop.what} refused the hub's credentials (HTTP {reply.http_status})")
    if reply.status_code is None:
        raise HubError(f"{hop.what} answered HTTP {reply.http_status} without an OCPI envelope")
    return reply


def answer_headers(*, requester: PartyRef, answering: PartyRef) -> dict[str, str]:
    """Routing headers of an answer: to = the requester, from = the answering party."""
    return {
        "OCPI-from-country-code": answering.country_code,
        "OCPI-from-party-id": answering.party_id,
        "OCPI-to-country-code": requester.country_code,
        "OCPI-to-party-id": requester.party_id,
    }


def drop_nulls(value: Any) -> Any:
    """``value`` without null members of objects, at any depth (OCPI: optional fields are left out)."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [drop_nulls(item) for item in value if item is not None]
    return value


def normalise(data: Any, model: type[BaseModel], *, what: str) -> Any:
    """The ``data`` of a target's answer, fit to relay: a one-element list becomes its object, nulls are
    dropped, and the result must validate against ``model`` (the schema of the target's version); otherwise
    4000 naming the problem. Fields the model does not know are kept (same-version peers may use them)."""
    if isinstance(data, list):
        if len(data) != 1:
            raise HubError(f"{what} answered an invalid {model.__name__}: data is a list of {len(data)} items")
        logger.info("%s answered data as a one-element list; relayed as its object", what)
        data = data[0]
    data = drop_nulls(data)
    if not isinstance(data, dict | str):
        raise HubError(f"{what} answered an invalid {model.__name__}: data must be a JSON object")
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise HubError(f"{what} answered an invalid {model.__name__}: {format_validation_error(exc)}") from None
    return data


def relay(
    reply: client.Reply,
    hop: Hop,
    *,
    model: type[BaseModel] | None,
    translate: Callable[[Any], Any] | None = None,
) -> Relayed:
    """The target's answer for the requester: status relayed as is, ``data`` normalised (then translated)
    on success answers; the data of error answers is dropped of its nulls only."""
    data = reply.data
    status_code = reply.status_code if reply.status_code is not None else 1000
    if data is not None and 1000 <= status_code < 2000 and model is not None:
        data = normalise(data, model, what=hop.what)
        if translate is not None:
            data = translate(data)
    elif data is not None:
        data = drop_nulls(data)
    headers = answer_headers(requester=hop.requester, answering=hop.target)
    return Relayed(reply.http_status, status_code, reply.status_message or None, data, headers)


def relayed_response(relayed: Relayed) -> Response:
    """The target's answer, relayed in an envelope of the hub's."""
    return ocpi_response(
        relayed.data,
        status_code=relayed.status_code,
        status_message=relayed.status_message,
        http_status=relayed.http_status,
        headers=relayed.headers,
    )


class ForwardingApi(FunctionalApi):
    """Base of the pass-through views: answers without routing headers (the hub's own, e.g. 4001 or 2001)
    get from = the hub, to = the requester (OCPI-from-*, else the caller's first role of
    ``requester_roles``)."""

    requester_roles: tuple[str, ...] = ()

    def requester(self, request: Request) -> PartyRef | None:
        routing = getattr(request, "ocpi_routing", None)
        if routing is not None and routing.sender is not None:
            return routing.sender  # type: ignore[no-any-return]
        caller = getattr(request.auth, "platform", None)
        if caller is None:
            return None
        roles = sorted(caller.roles.all(), key=lambda role: (role.role not in self.requester_roles, role.pk))
        return PartyRef(roles[0].country_code, roles[0].party_id) if roles else None

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if "OCPI-to-country-code" not in response:
            requester = self.requester(request)
            if requester is not None:
                for name, value in answer_headers(requester=requester, answering=hub_party()).items():
                    response[name] = value
        return response
