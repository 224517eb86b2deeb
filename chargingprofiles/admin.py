"""Read-only admin of the charging profile relays: request, CPO answer, results and timings."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html

from chargingprofiles.models import ChargingProfileRelay, ChargingProfileResultRecord
from ocpi_hub.admin import ReadOnlyAdmin


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True))


class ResultInline(admin.TabularInline):
    model = ChargingProfileResultRecord
    extra = 0
    can_delete = False
    fields = ("received_at", "result", "pretty_document")
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.display(description="result")
    def pretty_document(self, obj: ChargingProfileResultRecord) -> str:
        return _pretty(obj.document)


@admin.register(ChargingProfileRelay)
class ChargingProfileRelayAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "method", "session_id", "requester", "cpo", "outcome", "answer_ms", "expires_at")
    list_filter = ("method", "outcome", "requester", "cpo")
    search_fields = ("session_key", "correlation_id")
    list_select_related = ("requester", "cpo")
    date_hierarchy = "created_at"
    inlines = [ResultInline]
    exclude = ("request", "answer")
    readonly_fields = (
        "method",
        "session_id",
        "requester",
        "requester_country_code",
        "requester_party_id",
        "requester_version",
        "cpo",
        "cpo_country_code",
        "cpo_party_id",
        "cpo_version",
        "response_url",
        "correlation_id",
        "pretty_request",
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

    @admin.display(description="request")
    def pretty_request(self, obj: ChargingProfileRelay) -> str:
        return _pretty(obj.request)

    @admin.display(description="CPO answer")
    def pretty_answer(self, obj: ChargingProfileRelay) -> str:
        return _pretty(obj.answer)
