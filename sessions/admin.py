"""Read-only admin of Sessions with their quality warnings (filter by warning code) and routing."""

from __future__ import annotations

from django.contrib import admin

from ocpi_hub.admin import values_filter
from sessions.admin_filters import ChargingRecordAdmin, WarningCodeFilter
from sessions.models import Session
from sessions.services import sessions_release_held

SESSION_STATUSES = ("ACTIVE", "COMPLETED", "INVALID", "PENDING", "RESERVATION")


@admin.register(Session)
class SessionAdmin(ChargingRecordAdmin):
    release_held = staticmethod(sessions_release_held)
    list_display = (
        "object_key",
        "status",
        "receiver_party",
        "start_date_time",
        "end_date_time",
        "last_updated",
        "no_agreement",
        "warning_list",
    )
    # Large-table list: newest first (index session_last_updated), search by exact session id or token uid
    # within the known parties (indexes unique_session, session_link).
    list_filter = (WarningCodeFilter, values_filter("status", SESSION_STATUSES), "no_agreement", "receiver")
    party_scoped_keys = ("session_key", "token_uid_key")
    sortable_by = ("last_updated",)
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
