"""Credentials tokens: generation, hashing for storage, masking for display."""

from __future__ import annotations

import hashlib
import secrets


def generate_token() -> str:
    """A new credentials token: 43 URL-safe characters (printable ASCII, no whitespace)."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def mask_token(token: str) -> str:
    if not token:
        return ""
    return f"{token[:4]}…{token[-2:]}" if len(token) > 8 else "…"
