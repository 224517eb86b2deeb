"""JSON parsing for OCPI bodies: any broken JSON becomes a ParseError (HTTP 400)."""

from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser


class OcpiJsonParser(BaseParser):
    """Accepts application/json (and, liberally, a missing or text content type)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        if not raw.strip():
            return None
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ParseError(f"body is not valid JSON ({type(exc).__name__})") from exc


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")
