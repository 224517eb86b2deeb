"""OCPI pagination: ``offset``/``limit``/``date_from``/``date_to`` in, ``Link``/``X-Total-Count``/``X-Limit`` out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi_hub.api.datetimes import DateTimeFormatError, parse_datetime
from ocpi_hub.api.envelope import envelope
from ocpi_hub.exceptions import InvalidParameters


@dataclass(frozen=True)
class PageRequest:
    offset: int
    limit: int
    date_from: datetime | None
    date_to: datetime | None


# Offsets beyond this are clamped to it: past any real count (an empty page), and within PostgreSQL's bigint.
MAX_OFFSET = 2**62


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameters(f"{name}: must be a non-negative integer") from None
    if value < 0:
        raise InvalidParameters(f"{name}: must be a non-negative integer")
    return min(value, MAX_OFFSET)


def _date_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.strip():
        raise InvalidParameters(f"{name}: must be a DateTime when given (leave the parameter out for no bound)")
    try:
        return parse_datetime(raw)
    except DateTimeFormatError as exc:
        raise InvalidParameters(f"{name}: {exc}") from None


def page_request(request: Request) -> PageRequest:
    max_limit = settings.OCPI_HUB_PAGE_LIMIT
    limit = min(_int_param(request, "limit", max_limit), max_limit)
    return PageRequest(
        offset=_int_param(request, "offset", 0),
        limit=limit,
        date_from=_date_param(request, "date_from"),
        date_to=_date_param(request, "date_to"),
    )


def _rows_by_key(queryset: QuerySet[Any], keys: list[Any]) -> list[Any]:
    """The rows of ``keys`` in that order, by primary key only (keeping select_related/only of ``queryset``):
    repeating the list's filters and ordering could make the planner walk the whole ordered index again."""
    rows = queryset.model._base_manager.filter(pk__in=keys)
    rows.query.select_related = queryset.query.select_related
    rows.query.deferred_loading = queryset.query.deferred_loading
    by_key = {row.pk: row for row in rows}
    return [by_key[key] for key in keys if key in by_key]


class OcpiPagination(BasePagination):
    """Pages a queryset ordered by (last_updated, pk). The view passes rendered items."""

    def paginate(self, queryset: QuerySet[Any], request: Request, field: str = "last_updated") -> tuple[list[Any], int]:
        page = page_request(request)
        self.page, self.request = page, request
        if page.date_from is not None:
            queryset = queryset.filter(**{f"{field}__gte": page.date_from})
        if page.date_to is not None:
            queryset = queryset.filter(**{f"{field}__lt": page.date_to})
        self.total = queryset.count()
        ordered = queryset.order_by(field, "pk")
        # Deferred join: find the page's keys first (an index-only scan can skip the offset cheaply), then
        # load only those rows. Plain OFFSET would fetch every skipped row, so late pages got slower.
        keys = list(ordered.values_list("pk", flat=True)[page.offset : page.offset + page.limit])
        return _rows_by_key(ordered, keys), self.total

    def response(self, items: Sequence[Any]) -> Response:
        headers = {"X-Total-Count": str(self.total), "X-Limit": str(settings.OCPI_HUB_PAGE_LIMIT)}
        next_offset = self.page.offset + len(items)
        if items and next_offset < self.total:
            headers["Link"] = f'<{self._next_url(next_offset)}>; rel="next"'
        return Response(envelope(list(items)), headers=headers)

    def _next_url(self, offset: int) -> str:
        params = {key: value for key, value in self.request.query_params.items() if key != "offset"}
        params["offset"] = str(offset)
        params["limit"] = str(self.page.limit)
        base = settings.OCPI_HUB_BASE_URL.rstrip("/") + self.request.path
        return f"{base}?{urlencode(params)}"

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["status_code", "timestamp"],
            "properties": {
                "data": schema,
                "status_code": {"type": "integer", "example": 1000},
                "status_message": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"},
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        def param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
            return {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": description,
            }

        return [
            param("offset", {"type": "integer", "minimum": 0}, "Index of the first object (default 0)."),
            param("limit", {"type": "integer", "minimum": 0}, "Maximum objects in the page (server cap)."),
            param("date_from", {"type": "string", "format": "date-time"}, "Only objects updated at/after (UTC)."),
            param("date_to", {"type": "string", "format": "date-time"}, "Only objects updated before (UTC)."),
        ]
