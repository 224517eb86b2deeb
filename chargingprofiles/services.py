"""ChargingProfiles, routed live from an eMSP (or SCSP) to the CPO of the Session; results routed back.

``profile_request``: GET (active profile, ``duration``), PUT (SetChargingProfile) or DELETE (clear) on
``{hub receiver}/{session_id}``. The CPO is the owner of the Session routed to the caller (narrowed by
OCPI-to-*); a caller with an SCSP role, to which Sessions are not routed, names the CPO with OCPI-to-*.
Otherwise 4001. The ``response_url`` (body on PUT, query string on GET/DELETE) is replaced by the hub's own,
holding a relay's unguessable key; the CPO's ChargingProfileResponse is relayed (``parties.forwarding``).

``profile_result``: the CPO of that relay POSTs the ActiveChargingProfileResult / ChargingProfileResult /
ClearProfileResult there before the relay expires (404 otherwise); it is queued for the requester's original
URL through the delivery engine (module ``chargingprofileresult``).

``active_profile_put``: the CPO's later ``PUT {hub sender}/{session_id}`` of an ActiveChargingProfile goes,
live, to the party whose PUT of a profile for that Session the CPO last ACCEPTED (its chargingprofiles SENDER
interface); no such party -> 4001.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chargingprofiles import wire
from chargingprofiles.models import ChargingProfileRelay, ChargingProfileResultRecord
from ocpi_hub.api import versions
from ocpi_hub.api.routing import PartyRef, RoutingHeaders
from ocpi_hub.api.wire import parse_object, render
from ocpi_hub.exceptions import HubError, InvalidParameters, NotFound, OcpiError, UnknownReceiver
from ocpi_hub.push import CPO_ROLES
from parties import forwarding, policy
from parties.models import Platform
from parties.outbound import join_url
from parties.routing import is_hub, resolve_receiver
from parties.services.delivery import delivery_enqueue
from sessions.selectors import session_for_receiver

MODULE = "chargingprofiles"
RESULT_MODULE = "chargingprofileresult"
REQUESTER_ROLES = ("EMSP", "SCSP")
METHODS = ("GET", "PUT", "DELETE")


@dataclass(frozen=True)
class ProfileRequest:
    platform: Platform
    version: str
    method: str
    session_id: str
    body: Any
    query: dict[str, str]
    routing: RoutingHeaders
    correlation_id: str = ""


def _timeout() -> float:
    return float(settings.OCPI_HUB_COMMAND_TIMEOUT)


def result_url(relay: ChargingProfileRelay) -> str:
    base = versions.version_details_url(relay.cpo_version)
    return f"{base}/sender/chargingprofiles/{quote(relay.session_id, safe='')}/{relay.key}"


def profile_request(request: ProfileRequest) -> forwarding.Relayed:
    """Forward a GET/PUT/DELETE to the CPO of the Session; its ChargingProfileResponse, relayed."""
    if len(request.session_id) > 36:
        raise InvalidParameters("session_id: at most 36 characters")
    parsed = _parse(request)
    requester, cpo, cpo_party = _route(request)
    policy.require_route(cpo_party, requester, MODULE)
    what = f"CPO {cpo_party}"
    forwarding.require_connected(cpo, what)
    base = cpo.endpoint_url(MODULE, "RECEIVER")
    if base is None:
        raise HubError(f"{what} offers no chargingprofiles RECEIVER interface")
    relay = _store(request, parsed, requester, cpo, cpo_party)
    body, params = _forwarded(request.method, parsed, result_url(relay))
    hop = forwarding.Hop(requester, cpo_party, cpo, join_url(base, request.session_id), what)
    started = timezone.now()
    try:
        reply = forwarding.forward(
            hop, request.method, body=body, params=params, correlation_id=request.correlation_id, timeout=_timeout()
        )
        relayed = forwarding.relay(reply, hop, model=wire.ChargingProfileResponse, translate=_for(relay))
    except OcpiError as exc:
        _answered(relay, started, outcome=f"HUB_{exc.ocpi_status}", error=exc.message)
        raise
    _answered(relay, started, relayed=relayed)
    return relayed


def _parse(request: ProfileRequest) -> dict[str, Any]:
    """PUT: the SetChargingProfile; GET: ``duration`` and ``response_url``; DELETE: ``response_url``."""
    if request.method == "PUT":
        return parse_object(wire.SetChargingProfile, request.body, lenient=request.platform.is_lenient)
    parsed: dict[str, Any] = {"response_url": request.query.get("response_url", "")}
    if not parsed["response_url"]:
        raise InvalidParameters("response_url: query parameter required")
    if len(parsed["response_url"]) > 255:
        raise InvalidParameters("response_url: at most 255 characters")
    if request.method == "GET":
        duration = request.query.get("duration", "")
        if not duration.isdigit():
            raise InvalidParameters("duration: query parameter required, a whole number of seconds")
        parsed["duration"] = int(duration)
    return parsed


def _route(request: ProfileRequest) -> tuple[PartyRef, Platform, PartyRef]:
    """(requester party, CPO platform, CPO party)."""
    routing = request.routing
    addressed = routing.receiver if routing.receiver is not None and not is_hub(routing.receiver) else None
    session = session_for_receiver(platform=request.platform, session_id=request.session_id, owner=addressed)
    if session is not None:
        requester = routing.sender or PartyRef(session.receiver_country_code, session.receiver_party_id)
        cpo, party = resolve_receiver(
            routing=None, candidates=[PartyRef(session.country_code, session.party_id)], roles=CPO_ROLES
        )
        return requester, cpo, party
    scsp = next((role for role in request.platform.roles.all() if role.role == "SCSP"), None)
    if scsp is None or addressed is None:
        raise UnknownReceiver(
            f"Session {request.session_id} was not routed to you through the hub "
            "(an SCSP names the CPO with OCPI-to-country-code/OCPI-to-party-id)"
        )
    cpo, party = resolve_receiver(routing=routing, candidates=[], roles=CPO_ROLES)
    return routing.sender or PartyRef(scsp.country_code, scsp.party_id), cpo, party


def _store(
    request: ProfileRequest, parsed: dict[str, Any], requester: PartyRef, cpo: Platform, party: PartyRef
) -> ChargingProfileRelay:
    return ChargingProfileRelay.objects.create(
        method=request.method,
        requester=request.platform,
        requester_country_code=requester.country_code,
        requester_party_id=requester.party_id,
        requester_version=request.version,
        cpo=cpo,
        cpo_country_code=party.country_code,
        cpo_party_id=party.party_id,
        cpo_version=cpo.render_version,
        session_id=request.session_id,
        session_key=request.session_id.upper(),
        response_url=parsed["response_url"],
        correlation_id=request.correlation_id[:100],
        request=parsed,
        expires_at=timezone.now(),  # closed until the CPO accepts
    )


def _forwarded(method: str, parsed: dict[str, Any], url: str) -> tuple[Any, dict[str, str] | None]:
    """(body, query parameters) of the hop: the hub's response_url in place of the requester's."""
    if method == "PUT":
        return render(wire.SetChargingProfile.model_validate({**parsed, "response_url": url})), None
    params = {"response_url": url}
    if method == "GET":
        params = {"duration": str(parsed["duration"]), **params}
    return None, params


def _for(relay: ChargingProfileRelay) -> Any:
    if relay.cpo_version == relay.requester_version:
        return None
    return lambda data: render(wire.ChargingProfileResponse.model_validate(data))


def _answered(
    relay: ChargingProfileRelay,
    started: datetime,
    *,
    relayed: forwarding.Relayed | None = None,
    outcome: str = "",
    error: str = "",
) -> None:
    now = timezone.now()
    relay.answered_at = now
    relay.answer_ms = int((now - started).total_seconds() * 1000)
    relay.answer_error = error[:500]
    relay.outcome = outcome
    if relayed is not None:
        relay.answer_http_status = relayed.http_status
        relay.answer_status_code = relayed.status_code
        relay.answer = relayed.data
        answer = relayed.data if isinstance(relayed.data, dict) else {}
        relay.outcome = str(answer.get("result") or f"OCPI_{relayed.status_code}")
        relay.timeout = answer.get("timeout")
        if relayed.status_code == 1000 and relay.outcome == "ACCEPTED":
            grace = settings.OCPI_HUB_COMMAND_RESULT_GRACE
            relay.expires_at = now + timedelta(seconds=max(relay.timeout or 0, 0) + grace)
    relay.save()


def profile_result(*, platform: Platform, session_id: str, key: str, payload: Any) -> None:
    """Store a result of the CPO and queue it for the requester (404 unless the relay is the caller's)."""
    relay = (
        ChargingProfileRelay.objects.filter(
            key=key, cpo=platform, session_key=session_id.upper(), expires_at__gt=timezone.now()
        )
        .select_related("requester")
        .first()
    )
    if relay is None:
        raise NotFound("Unknown or expired charging profile response_url")
    doc = parse_object(wire.RESULT_MODELS[relay.method], payload)
    with transaction.atomic():
        record = ChargingProfileResultRecord.objects.create(relay=relay, result=doc["result"], document=doc)
        ChargingProfileRelay.objects.filter(pk=relay.pk).update(outcome=doc["result"])
        delivery_enqueue(
            receiver=relay.requester,
            module=RESULT_MODULE,
            object_key=f"{relay.key}/{record.pk}",
            correlation_id=relay.correlation_id,
        )


def active_profile_put(
    *, platform: Platform, session_id: str, body: Any, routing: RoutingHeaders, correlation_id: str = ""
) -> forwarding.Relayed:
    """Forward the CPO's updated ActiveChargingProfile to the party that set a profile for the Session."""
    profile = parse_object(wire.ActiveChargingProfile, body, lenient=platform.is_lenient)
    setter = (
        ChargingProfileRelay.objects.filter(cpo=platform, session_key=session_id.upper(), method="PUT")
        .filter(answer_status_code=1000, answer__result="ACCEPTED")
        .select_related("requester")
        .order_by("-created_at")
        .first()
    )
    if setter is None:
        raise UnknownReceiver(f"Nobody set a charging profile for session {session_id} through the hub")
    target = PartyRef(setter.requester_country_code, setter.requester_party_id)
    what = f"{target} (the setter of the profile)"
    base = setter.requester.endpoint_url(MODULE, "SENDER")
    if base is None:
        raise HubError(f"{what} offers no chargingprofiles SENDER interface")
    requester = routing.sender or PartyRef(setter.cpo_country_code, setter.cpo_party_id)
    hop = forwarding.Hop(requester, target, setter.requester, join_url(base, session_id), what)
    reply = forwarding.forward(hop, "PUT", body=profile, correlation_id=correlation_id, timeout=_timeout())
    return forwarding.relay(reply, hop, model=None)
