"""Read-only admin of Sessions with their quality warnings (filter by warning code) and routing."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from cdrs.admin_filters import WarningCodeFilter, warnings_html
from sessions.models import Session


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = (
        "object_key",
        "status",
        "receiver_party",
        "start_date_time",
        "end_date_time",
        "last_updated",
        "warning_count",
    )
    list_filter = (WarningCodeFilter, "status", "receiver")
    search_fields = ("session_id", "country_code", "party_id", "token_uid_key", "location_key", "evse_uid_key")
    date_hierarchy = "start_date_time"
    list_select_related = ("receiver",)
    fields = (
        "object_key",
        "owner",
        "receiver",
        "receiver_party",
        "status",
        "start_date_time",
        "end_date_time",
        "last_updated",
        "created_at",
        "updated_at",
        "warnings",
        "pretty_document",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="receiver party")
    def receiver_party(self, obj: Session) -> str:
        return f"{obj.receiver_country_code}/{obj.receiver_party_id}"

    @admin.display(description="warnings")
    def warning_count(self, obj: Session) -> int:
        return len(obj.quality_warnings or [])

    @admin.display(description="quality warnings")
    def warnings(self, obj: Session) -> str:
        return format_html("<pre>{}</pre>", warnings_html(obj.quality_warnings or []))

    @admin.display(description="document")
    def pretty_document(self, obj: Session) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.document, indent=2))
