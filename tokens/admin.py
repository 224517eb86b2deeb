"""Read-only admin of the Tokens the eMSPs published (the eMSP is the data owner; the hub never edits)."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from ocpi_hub.admin import ReadOnlyAdmin
from tokens.models import Token


@admin.register(Token)
class TokenAdmin(ReadOnlyAdmin):
    list_display = ("uid", "type", "country_code", "party_id", "contract_id", "valid", "whitelist", "last_updated")
    list_filter = ("owner", "type", "valid", "whitelist")
    search_fields = ("uid_key", "contract_id", "country_code", "party_id")
    list_select_related = ("owner",)
    date_hierarchy = "last_updated"
    ordering = ("-last_updated",)
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
