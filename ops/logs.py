"""Structured logs. ``OCPI_HUB_LOG_FORMAT=json``: one JSON object per line (python-json-logger), with the
request/task context of ``ocpi_hub.api.logcontext`` (request_id, correlation_id, platform, module,
object_key). Plain text (the default) carries the same context as ``key=value`` after the message."""

from __future__ import annotations

import logging
import re
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from ocpi_hub.api.logcontext import log_fields

# "ocpi_module": a LogRecord already has "module" (the Python module); it is "module" in the JSON line.
CONTEXT_FIELDS = ("request_id", "correlation_id", "platform", "ocpi_module", "object_key")
_SECRET_KEY = re.compile(r"token|secret|password|authorization", re.IGNORECASE)
REDACTED = "[redacted]"


class ContextFilter(logging.Filter):
    """Copies the current log context onto each record (fields the caller passed in ``extra`` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_fields().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        context = " ".join(f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if getattr(record, key, ""))
        record.context = f" [{context}]" if context else ""
        return True


class HubJsonFormatter(JsonFormatter):
    """JSON lines with a UTC timestamp, level and logger name; never a token, even one passed in ``extra``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger", "ocpi_module": "module"})
        kwargs.setdefault("reserved_attrs", [*_RESERVED, "context"])
        super().__init__("%(levelname)s %(name)s %(message)s", *args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: (REDACTED if _SECRET_KEY.search(key) else value) for key, value in log_data.items()}


_RESERVED = [
    "args", "asctime", "created", "exc_info", "exc_text", "filename", "funcName", "levelno", "lineno",
    "module", "msecs", "msg", "pathname", "process", "processName", "relativeCreated", "stack_info",
    "thread", "threadName", "taskName",
]  # fmt: skip
