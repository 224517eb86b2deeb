"""Read-only admin of Sessions with their quality warnings (filter by warning code) and routing."""

from __future__ import annotations

from django.contrib import admin

from cdrs.admin_filters import ChargingRecordAdmin, WarningCodeFilter
from sessions.models import Session


@admin.register(Session)
class SessionAdmin(ChargingRecordAdmin):
    list_display = (
        "object_key",
        "status",
        "receiver_party",
        "start_date_time",
        "end_date_time",
        "last_updated",
        "warning_list",
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
