"""Fields every log record of the current request (or task) carries: platform, module, object key, ...

``OcpiRequestIdMiddleware`` binds the request and correlation ids; ``log_bind`` adds what becomes known
later (the authenticated platform, the object a view works on). The log formatter reads ``log_fields()``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_fields: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar("log_fields", default=None)


def log_bind(**fields: object) -> None:
    """Add fields to the current log context (no effect outside one)."""
    current = _fields.get()
    if current is not None:
        current.update({key: value for key, value in fields.items() if value not in (None, "")})


def log_fields() -> dict[str, object]:
    return dict(_fields.get() or {})


@contextmanager
def log_context(**fields: object) -> Iterator[dict[str, object]]:
    """A fresh log context for one request or task, dropped when it ends."""
    bound: dict[str, object] = {}
    token = _fields.set(bound)
    log_bind(**fields)
    try:
        yield bound
    finally:
        _fields.reset(token)
