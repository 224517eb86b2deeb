"""Read-only admin of published Tariffs with the per-object delivery state."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from ocpi_hub.admin import PartyFilter, ReadOnlyAdmin
from parties.models import Delivery
from tariffs.models import Tariff
from tariffs.services import MODULE


def delivery_table(module: str, object_key: str, limit: int = 50) -> SafeString:
    """The outbox rows of one object (newest first): receiver, status, attempts, last error."""
    rows = Delivery.objects.filter(module=module, object_key=object_key).select_related("receiver")[:limit]
    if not rows:
        return format_html("<p>{}</p>", "No deliveries.")
    body = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((row.receiver, row.status, row.attempts, row.updated_at, row.last_error or "") for row in rows),
    )
    head = "<tr><th>Receiver</th><th>Status</th><th>Attempts</th><th>Updated</th><th>Error</th></tr>"
    return format_html("<table>{}{}</table>", SafeString(head), body)


@admin.register(Tariff)
class TariffAdmin(ReadOnlyAdmin):
    """Tariffs are owned by the CPOs: the admin shows them, only the OCPI API changes them."""

    list_display = ["tariff_id", "country_code", "party_id", "last_updated", "deleted_at", "owner"]
    # Large-table list: default order = the unique index, search by exact id within the known parties.
    list_filter = [PartyFilter, ("deleted_at", admin.EmptyFieldListFilter)]
    party_scoped_keys = ["tariff_key"]
    sortable_by = ["last_updated"]
    readonly_fields = ["deliveries"]

    @admin.display(description="Delivery state")
    def deliveries(self, obj: Tariff) -> SafeString:
        return delivery_table(MODULE, obj.object_key)
