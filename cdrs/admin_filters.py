"""Admin list filters shared by the Sessions and CDRs admins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from cdrs.quality import CATALOG, WARNING_CODES


class WarningCodeFilter(admin.SimpleListFilter):
    """Objects carrying one quality warning code (or any / none)."""

    title = "quality warning"
    parameter_name = "warning"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("any", "Any warning"), ("none", "No warning")] + [
            (code, f"{code}: {CATALOG[code][1]}") for code in WARNING_CODES
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "any":
            return queryset.exclude(warning_codes="")
        if value == "none":
            return queryset.filter(warning_codes="")
        if value in WARNING_CODES:
            return queryset.filter(warning_codes__contains=f"|{value}|")
        return queryset


def warnings_html(warnings: list[dict[str, str]]) -> str:
    """Plain-text lines ``CODE field: message`` for a read-only admin field."""
    return "\n".join(f"{item['code']} {item['field']}: {item['message']}" for item in warnings) or "-"
