"""JSON parsing for OCPI bodies: any broken JSON becomes a ParseError (HTTP 400).

The body is read under two limits (docs/api-guide.md, "Limits"): at most ``OCPI_HUB_MAX_BODY_BYTES`` (a
larger ``Content-Length`` is refused before anything is read; a body without one is read only that far), and,
where the server gives the hub its socket (gunicorn), within ``OCPI_HUB_BODY_READ_TIMEOUT`` seconds, so a
client that announces more than it sends cannot hold a worker thread. A NUL character (``\\u0000``) anywhere
in the body is refused with 2001 naming the field: PostgreSQL cannot store it.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

from django.conf import settings
from django.http import UnreadablePostError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from ocpi_hub.exceptions import BodyNotReceived, BodyTooLarge, InvalidParameters

_CHUNK = 64 * 1024
_NUL_ESCAPE = b"\\u0000"  # JSON spells a NUL only this way (a raw control character is not valid JSON)


class OcpiJsonParser(BaseParser):
    """Accepts application/json (and, liberally, a missing or text content type)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        meta = getattr((parser_context or {}).get("request"), "META", {})
        raw = read_body(stream, meta) if stream is not None else b""
        if not raw.strip():
            return None
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ParseError(f"body is not valid JSON ({type(exc).__name__})") from exc
        if _NUL_ESCAPE in raw:
            _refuse_nul(data, "body")
        return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


# --- reading --------------------------------------------------------------------------------------------------


def read_body(stream: Any, meta: dict[str, Any]) -> bytes:
    """The request body, at most ``OCPI_HUB_MAX_BODY_BYTES``, read within ``OCPI_HUB_BODY_READ_TIMEOUT``."""
    limit = settings.OCPI_HUB_MAX_BODY_BYTES
    if _declared_length(meta) > limit:
        raise BodyTooLarge(f"body: larger than {limit} bytes (OCPI_HUB_MAX_BODY_BYTES)")
    try:
        raw = _read(stream, meta.get("gunicorn.socket"), limit + 1)
    except UnreadablePostError as exc:  # Django's name for an OSError while reading the body
        if isinstance(exc.__cause__, TimeoutError):
            timeout = settings.OCPI_HUB_BODY_READ_TIMEOUT
            raise BodyNotReceived(f"body: not received within {timeout:g} s (OCPI_HUB_BODY_READ_TIMEOUT)") from None
        raise ParseError("body could not be read (the connection failed)") from None
    if len(raw) > limit:
        raise BodyTooLarge(f"body: larger than {limit} bytes (OCPI_HUB_MAX_BODY_BYTES)")
    return raw


def _declared_length(meta: dict[str, Any]) -> int:
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _read(stream: Any, sock: Any, most: int) -> bytes:
    """At most ``most`` bytes of the body; with the connection's socket, each read bounded by what is left of
    the body's deadline."""
    if not isinstance(sock, socket.socket):
        return bytes(stream.read(most))
    deadline = time.monotonic() + settings.OCPI_HUB_BODY_READ_TIMEOUT
    before = sock.gettimeout()
    chunks: list[bytes] = []
    size = 0
    try:
        while size < most:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            chunk = stream.read(min(_CHUNK, most - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        sock.settimeout(before)
    return b"".join(chunks)


# --- NUL characters -------------------------------------------------------------------------------------------


def _refuse_nul(value: Any, where: str) -> None:
    """2001 naming the first field whose name or text holds a NUL character."""
    if isinstance(value, str) and "\x00" in value:
        raise InvalidParameters(f"{where}: must not contain NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            path = key if where == "body" else f"{where}.{key}"
            if "\x00" in key:
                raise InvalidParameters(f"{where}: field names must not contain NUL characters")
            _refuse_nul(item, path)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{where}[{index}]")
