"""OCPI ``Authorization: Token <base64(token)>`` authentication.

The token is looked up through ``settings.OCPI_HUB_TOKEN_RESOLVER`` (implemented by ``parties``), so the
transport core does not import the domain apps. Base64 is the rule (2.2.1/2.3.0); the raw token is accepted
only from platforms configured for raw tokens (older peers).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from ocpi_hub.api.logcontext import log_bind
from ocpi_hub.api.throttle import auth_failure_record, client_address


@dataclass(frozen=True)
class Caller:
    """Who is calling: the platform, and whether it used its registration token (token A)."""

    platform: Any
    registration_token: bool
    raw_token: bool


@cache
def _resolver() -> Any:
    return import_string(settings.OCPI_HUB_TOKEN_RESOLVER)


def decode_token(value: str) -> str | None:
    """Base64-decoded token, or None when the value is not Base64 of printable ASCII."""
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    try:
        text = decoded.decode("ascii").rstrip()
    except UnicodeDecodeError:
        return None
    if not text or not all(0x21 <= ord(ch) <= 0x7E for ch in text):
        return None
    return text


def encode_token(token: str, *, raw: bool = False) -> str:
    return token if raw else base64.b64encode(token.encode("utf-8")).decode("ascii")


def header_token(request: Request) -> str | None:
    header: str = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "token" or not value.strip():
        return None
    return value.strip()


class OcpiTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[None, Caller] | None:
        value = header_token(request)
        caller = None if value is None else self._lookup(value)
        if caller is not None:
            log_bind(platform=getattr(caller.platform, "pk", None))
            return None, caller
        wait = auth_failure_record(client_address(request))
        if wait is not None:
            raise exceptions.Throttled(wait, detail="Too many failed authentications from this address")
        if value is None:
            raise exceptions.NotAuthenticated("Missing 'Authorization: Token ...' header")
        raise exceptions.AuthenticationFailed("Unknown or revoked token")

    def _lookup(self, value: str) -> Caller | None:
        resolve = _resolver()
        decoded = decode_token(value)
        if decoded is not None:
            found = resolve(decoded)
            if found is not None:
                return Caller(platform=found[0], registration_token=found[1], raw_token=False)
        found = resolve(value)
        if found is not None and not found[0].token_base64:
            return Caller(platform=found[0], registration_token=found[1], raw_token=True)
        return None

    def authenticate_header(self, request: Request) -> str:
        return "Token"
