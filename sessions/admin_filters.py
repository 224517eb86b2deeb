"""Admin list filters shared by the Sessions and CDRs admins."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from ocpi_hub.admin import ReadOnlyAdmin
from sessions.quality import CATALOG, WARNING_CODES
from sessions.services import Released


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


class ChargingRecordAdmin(ReadOnlyAdmin):
    """Read-only admin of Sessions and CDRs: who receives them, their quality warnings, the document; the one
    action forwards held records (stored without a roaming agreement) once their agreement exists."""

    actions = ("forward_held",)
    release_held: Callable[[Iterable[Any]], Released]  # the app's service (sessions or cdrs)

    @admin.action(description="Forward the held ones whose roaming agreement now exists", permissions=("forward",))
    def forward_held(self, request: HttpRequest, queryset: QuerySet) -> None:
        held = queryset.filter(no_agreement=True).select_related("receiver")
        released = type(self).release_held(held.iterator(chunk_size=500))
        name = self.model._meta.verbose_name_plural
        level = messages.SUCCESS if released.forwarded else messages.WARNING
        self.message_user(
            request,
            f"Forwarded {released.forwarded} held {name}; {released.still_held} still have no active roaming "
            f"agreement covering sessions ({queryset.count() - released.forwarded - released.still_held} of the "
            f"selected were not held).",
            level,
        )

    def has_forward_permission(self, request: HttpRequest) -> bool:
        """Who may manage roaming agreements may forward what they held."""
        return bool(request.user.has_perm("parties.change_agreement"))

    @admin.display(description="receiver party")
    def receiver_party(self, obj: Any) -> str:
        return f"{obj.receiver_country_code}/{obj.receiver_party_id}"

    @admin.display(description="warnings")
    def warning_list(self, obj: Any) -> str:
        """The warning codes it carries (each once), e.g. ``ENERGY_MISMATCH, NO_CURRENCY``; "-" for none."""
        return ", ".join(code for code in obj.warning_codes.split("|") if code) or "-"

    @admin.display(description="quality warnings")
    def warnings(self, obj: Any) -> str:
        return format_html("<pre>{}</pre>", warnings_html(obj.quality_warnings or []))

    @admin.display(description="document")
    def pretty_document(self, obj: Any) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.document, indent=2))
