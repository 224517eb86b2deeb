"""Read-only admin of published Locations: EVSE status inline, status history, per-object delivery state."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from locations.models import Evse, EvseStatusChange, Location
from locations.services import MODULE
from ocpi_hub.admin import ReadOnlyAdmin
from parties.models import Delivery


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
    list_filter = ["publish", "country_code", "party_id"]
    search_fields = ["location_id", "location_key"]
    date_hierarchy = "last_updated"
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
    list_filter = ["status"]
    search_fields = ["uid", "evse_id", "location__location_id"]
    list_select_related = ["location"]
    inlines = [EvseStatusChangeInline]
