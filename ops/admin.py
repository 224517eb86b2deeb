"""The admin site's header and landing page (an overview of the hub's state above the app list), and a
read-only list of process heartbeats."""

from __future__ import annotations

from django.contrib import admin

from ocpi_hub.admin import ReadOnlyAdmin
from ops.models import Heartbeat

admin.site.site_header = "OCPI Hub"
admin.site.site_title = "OCPI Hub admin"
admin.site.index_title = "Overview"
admin.site.site_url = "/api/docs/2.3.0"  # "View site": the API docs (the hub has no other public page)
admin.site.index_template = "admin/ops/index.html"


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("kind", "identity", "seen_at")
    list_filter = ("kind",)
    ordering = ("-seen_at",)
