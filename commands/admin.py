"""Read-only admin of the command relays: the request, the CPO's answer, the results and the timings."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html

from commands.models import CommandRelay, CommandResultRecord
from ocpi_hub.admin import ReadOnlyAdmin


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class CommandResultInline(admin.TabularInline):
    model = CommandResultRecord
    extra = 0
    can_delete = False
    fields = ("received_at", "result", "pretty_document")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description="CommandResult")
    def pretty_document(self, obj: CommandResultRecord) -> str:
        return _pretty(obj.document)


@admin.register(CommandRelay)
class CommandRelayAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "command",
        "emsp_party",
        "cpo_party",
        "outcome",
        "answer_status_code",
        "answer_ms",
        "expires_at",
    )
    list_filter = ("command", "outcome", "emsp", "cpo")
    search_fields = ("correlation_id", "location_key", "session_key", "reservation_key")
    list_select_related = ("emsp", "cpo")
    date_hierarchy = "created_at"
    inlines = [CommandResultInline]
    readonly_fields = (
        "command",
        "emsp",
        "emsp_country_code",
        "emsp_party_id",
        "emsp_version",
        "cpo",
        "cpo_country_code",
        "cpo_party_id",
        "cpo_version",
        "response_url",
        "location_key",
        "session_key",
        "reservation_key",
        "correlation_id",
        "pretty_request",
        "pretty_forwarded",
        "answer_http_status",
        "answer_status_code",
        "pretty_answer",
        "answer_error",
        "timeout",
        "outcome",
        "created_at",
        "answered_at",
        "answer_ms",
        "expires_at",
    )
    exclude = ("request", "forwarded", "answer")

    @admin.display(description="eMSP")
    def emsp_party(self, obj: CommandRelay) -> str:
        return f"{obj.emsp_country_code}/{obj.emsp_party_id}"

    @admin.display(description="CPO")
    def cpo_party(self, obj: CommandRelay) -> str:
        return f"{obj.cpo_country_code}/{obj.cpo_party_id}"

    @admin.display(description="request (from the eMSP)")
    def pretty_request(self, obj: CommandRelay) -> str:
        return _pretty(obj.request)

    @admin.display(description="forwarded (to the CPO)")
    def pretty_forwarded(self, obj: CommandRelay) -> str:
        return _pretty(obj.forwarded)

    @admin.display(description="CPO answer")
    def pretty_answer(self, obj: CommandRelay) -> str:
        return _pretty(obj.answer)
