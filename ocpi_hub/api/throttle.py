"""Throttling of failed token authentication, per client address.

Each failed authentication (missing or unknown token) from one client address counts in a fixed window of
``OCPI_HUB_AUTH_FAILURE_WINDOW`` seconds; past ``OCPI_HUB_AUTH_FAILURE_LIMIT`` failures in the window the
client gets HTTP 429 with ``Retry-After`` (the seconds left in the window) instead of 401. A valid token is
never throttled: the lookup runs first, so a party sharing an address with a misbehaving client keeps working.

The counters live in Django's default cache (Redis when the broker is Redis, else files under ``var/``), so
every web worker process sees the same counts.
"""

from __future__ import annotations

import ipaddress
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the entry of X-Forwarded-For that the last of
    ``OCPI_HUB_TRUSTED_PROXIES`` reverse proxies appended (never one the client itself wrote)."""
    proxies = settings.OCPI_HUB_TRUSTED_PROXIES
    remote = str(request.META.get("REMOTE_ADDR") or "unknown")
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return remote
    return str(forwarded[-proxies])


def login_client_ip(request: HttpRequest) -> str | None:
    """The client address for django-axes (admin login lockout): an IP address, or None when there is none."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _window() -> tuple[int, float]:
    window = max(settings.OCPI_HUB_AUTH_FAILURE_WINDOW, 1.0)
    bucket = int(time.time() // window)
    return bucket, (bucket + 1) * window


def failure_key(address: str, bucket: int | None = None) -> str:
    return f"auth-failures:{_window()[0] if bucket is None else bucket}:{address}"


def auth_failure_record(address: str) -> int | None:
    """Count one failed authentication of ``address``; the seconds it must wait when it is over the limit."""
    limit = settings.OCPI_HUB_AUTH_FAILURE_LIMIT
    if limit <= 0:
        return None
    bucket, window_end = _window()
    key = failure_key(address, bucket)
    cache.add(key, 0, timeout=math.ceil(settings.OCPI_HUB_AUTH_FAILURE_WINDOW) + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=math.ceil(settings.OCPI_HUB_AUTH_FAILURE_WINDOW) + 1)
        count = 1
    if count <= limit:
        return None
    return max(math.ceil(window_end - time.time()), 1)
