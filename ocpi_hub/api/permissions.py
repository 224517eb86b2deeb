"""Access rules shared by every OCPI view."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ocpi_hub.api.authentication import Caller
from ocpi_hub.api.routing import check_sender, parse_routing_headers


class IsRegisteredParty(BasePermission):
    """Token A only on views that set ``allow_registration_token``; routing headers checked on
    functional modules (views that set ``functional_module = True``)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = request.auth
        if not isinstance(caller, Caller):
            raise exceptions.NotAuthenticated("Missing 'Authorization: Token ...' header")
        if caller.registration_token and not getattr(view, "allow_registration_token", False):
            raise exceptions.AuthenticationFailed(
                "The registration token (token A) is only valid for the versions and credentials modules"
            )
        if caller.platform.is_suspended:
            raise exceptions.AuthenticationFailed("This platform is suspended")
        touch = getattr(caller.platform, "touch", None)
        if touch is not None:
            touch()
        if getattr(view, "functional_module", False):  # configuration modules are never routed
            routing = parse_routing_headers(request)
            check_sender(routing, caller.platform.party_keys())
            request.ocpi_routing = routing  # type: ignore[attr-defined]
        return True
