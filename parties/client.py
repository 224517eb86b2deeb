"""The hub's one outbound OCPI client, on urllib3 (its connection pools keep a connection alive per
receiver host). It was ``requests``; the delivery profile (``python -m bench.profile --what drain``) showed
``requests``' per-call machinery (sessions, adapters, hooks, cookie jars) as the largest share of a
delivery's CPU, so the hot path calls urllib3 directly. Nothing else in the code base makes OCPI calls.

Explicit connect/read timeouts, no redirects, a fresh ``X-Request-ID`` per call, the correlation id carried,
routing headers set per the hub rules, and the Base64 (or raw) token.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ocpi_hub.api.authentication import encode_token
from ocpi_hub.api.routing import PartyRef

logger = logging.getLogger(__name__)
# One pool per receiver host (up to 1,000 hosts kept), a few kept-alive connections each; no retries and no
# redirects here: the delivery engine decides what is retried. No proxy or netrc lookups from the environment.
_pools = urllib3.PoolManager(
    num_pools=1000, maxsize=8, block=False, retries=False, headers={"User-Agent": "ocpi-hub/1.0"}
)


class TransportError(Exception):
    """The call did not produce an HTTP answer (connection refused, timeout, TLS, ...)."""

    def __init__(self, message: str, *, timeout: bool = False, request_id: str = "", duration_ms: int = 0):
        super().__init__(message)
        self.timeout = timeout
        self.request_id = request_id
        self.duration_ms = duration_ms


@dataclass
class Reply:
    http_status: int
    status_code: int | None
    status_message: str
    data: Any
    headers: dict[str, str]
    request_id: str
    duration_ms: int
    excerpt: str = ""
    body: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.status_code is not None and 1000 <= self.status_code < 2000


@dataclass(frozen=True)
class Routing:
    sender: PartyRef
    receiver: PartyRef


def _headers(token: str, raw: bool, correlation_id: str, routing: Routing | None) -> dict[str, str]:
    headers = {
        "Authorization": f"Token {encode_token(token, raw=raw)}",
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        "Accept": "application/json",
    }
    if routing is not None:
        headers["OCPI-from-country-code"] = routing.sender.country_code
        headers["OCPI-from-party-id"] = routing.sender.party_id
        headers["OCPI-to-country-code"] = routing.receiver.country_code
        headers["OCPI-to-party-id"] = routing.receiver.party_id
    return headers


def encode_json(body: Any) -> bytes:
    """A request body as sent (``call`` also takes one already encoded, as bytes)."""
    return json.dumps(body, separators=(",", ":")).encode()


def call(
    method: str,
    url: str,
    *,
    token: str,
    raw_token: bool = False,
    body: Any = None,
    params: dict[str, str] | None = None,
    correlation_id: str = "",
    routing: Routing | None = None,
    read_timeout: float | None = None,
) -> Reply:
    """One OCPI call. Raises TransportError when no HTTP answer arrives."""
    headers = _headers(token, raw_token, correlation_id, routing)
    payload = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        # bytes, so that http.client sends the headers and the body in one write (no Nagle/delayed-ACK stall)
        payload = body if isinstance(body, bytes) else encode_json(body)
    timeout = urllib3.Timeout(
        connect=settings.OCPI_HUB_CONNECT_TIMEOUT, read=read_timeout or settings.OCPI_HUB_READ_TIMEOUT
    )
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    started = time.monotonic()
    try:
        response = _pools.request(
            method, url, body=payload, headers=headers, timeout=timeout, redirect=False, retries=False
        )
    except NewConnectionError as exc:  # refused or unreachable (urllib3 makes it a ConnectTimeoutError too)
        raise TransportError(
            f"{type(exc).__name__}: {exc}", request_id=headers["X-Request-ID"], duration_ms=_elapsed(started)
        ) from exc
    except Urllib3Timeout as exc:
        raise TransportError(
            f"timeout: {exc}", timeout=True, request_id=headers["X-Request-ID"], duration_ms=_elapsed(started)
        ) from exc
    except (HTTPError, ValueError, OSError) as exc:  # refused, reset, bad URL, TLS, ...
        raise TransportError(
            f"{type(exc).__name__}: {exc}", request_id=headers["X-Request-ID"], duration_ms=_elapsed(started)
        ) from exc
    return _reply(response, headers["X-Request-ID"], _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reply(response: urllib3.BaseHTTPResponse, request_id: str, duration_ms: int) -> Reply:
    raw = response.data or b""
    text = raw[:2000].decode("utf-8", "replace")[:500]
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    envelope = body if isinstance(body, dict) else {}
    status_code = envelope.get("status_code")
    return Reply(
        http_status=response.status,
        status_code=status_code if isinstance(status_code, int) else None,
        status_message=str(envelope.get("status_message") or ""),
        data=envelope.get("data"),
        headers=dict(response.headers),
        request_id=request_id,
        duration_ms=duration_ms,
        excerpt=text,
        body=body,
    )
