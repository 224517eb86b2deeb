"""Read-only admin of the Tokens the eMSPs published (the eMSP is the data owner; the hub never edits)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from ocpi_hub.admin import ReadOnlyAdmin, values_filter
from tokens.models import Token

TOKEN_TYPES = ("AD_HOC_USER", "APP_USER", "EMAID", "OTHER", "RFID")


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    list_display = ("uid", "type", "country_code", "party_id", "contract_id", "valid", "whitelist", "last_updated")
    # Large-table list: newest first (index token_page), search by exact uid (index token_uid).
    list_filter = ("owner", values_filter("type", TOKEN_TYPES), "valid", "whitelist")
    search_keys = ("uid_key",)
    list_select_related = ("owner",)
    ordering = ("-last_updated",)
    sortable_by = ("last_updated",)
    readonly_fields = (
        "owner",
        "country_code",
        "party_id",
        "uid",
        "type",
        "contract_id",
        "valid",
        "whitelist",
        "last_updated",
        "created_at",
        "updated_at",
        "pretty_document",
    )
    exclude = ("document",)

    @admin.display(description="document")
    def pretty_document(self, obj: Token) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.document, indent=2, sort_keys=True))
