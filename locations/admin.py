"""Read-only admin of published Locations: EVSE status inline, status history, per-object delivery state."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from locations.models import Evse, EvseStatusChange, Location
from locations.services import MODULE
from ocpi_hub.admin import PartyFilter, ReadOnlyAdmin, values_filter
from parties.models import Delivery

EVSE_STATUSES = (
    "AVAILABLE",
    "BLOCKED",
    "CHARGING",
    "INOPERATIVE",
    "OUTOFORDER",
    "PLANNED",
    "REMOVED",
    "RESERVED",
    "UNKNOWN",
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


def delivery_table(module: str, object_key: str, limit: int = 50) -> SafeString:
    """The outbox rows of one object (newest first): receiver, status, attempts, last error."""
    rows = Delivery.objects.filter(module=module, object_key=object_key).select_related("receiver")[:limit]
    if not rows:
        return format_html("<p>{}</p>", "No deliveries.")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                row.receiver,
                row.target or "(whole object)",
                row.status,
                row.attempts,
                row.updated_at,
                row.last_error or "",
            )
            for row in rows
        ),
    )
    head = "<tr><th>Receiver</th><th>Target</th><th>Status</th><th>Attempts</th><th>Updated</th><th>Error</th></tr>"
    return format_html("<table>{}{}</table>", SafeString(head), body)


class EvseInline(ReadOnlyInline):
    model = Evse
    fields = readonly_fields = ("uid", "evse_id", "status", "last_updated")


@admin.register(Location)
class LocationAdmin(ReadOnlyAdmin):
    list_display = ["location_id", "country_code", "party_id", "publish", "last_updated", "owner"]
    # Large-table list (ocpi_hub.admin.LargeTableAdmin): default order = the unique index, sorting only by
    # last_updated (index location_page), search by exact id (index location_key).
    list_filter = ["publish", PartyFilter]
    search_keys = ["location_key"]
    sortable_by = ["last_updated"]
    readonly_fields = ["deliveries"]
    inlines = [EvseInline]

    @admin.display(description="Delivery state")
    def deliveries(self, obj: Location) -> SafeString:
        return delivery_table(MODULE, obj.object_key)


class EvseStatusChangeInline(ReadOnlyInline):
    model = EvseStatusChange
    fields = readonly_fields = ("status", "changed_at", "recorded_at")
    show_change_link = False


@admin.register(Evse)
class EvseAdmin(ReadOnlyAdmin):
    list_display = ["uid", "evse_id", "status", "last_updated", "location"]
    # Large-table list: ordered by the unique (location, uid_key) index, no column sorting, the status filter
    # from a fixed list, search by exact EVSE uid (index evse_uid) or Location id (index location_key).
    ordering = ["location_id", "uid_key"]
    sortable_by = ()
    list_filter = [values_filter("status", EVSE_STATUSES)]
    search_keys = ["uid_key"]
    search_help_text = "Exact EVSE uid or Location id."
    list_select_related = ["location"]
    inlines = [EvseStatusChangeInline]

    def get_search_results(self, request: Any, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        key = search_term.strip().upper()
        if not key:
            return queryset, False
        locations = list(Location.objects.filter(location_key=key).values_list("pk", flat=True)[:1000])
        return queryset.filter(Q(uid_key=key) | Q(location_id__in=locations)), False
