"""Read-only admin of CDRs: quality warnings (filter by code), Session links (unlinked CDRs), and the
per-CPO quality summary page (``quality-summary/``: number of CDRs per warning code)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from cdrs.admin_filters import ChargingRecordAdmin, WarningCodeFilter
from cdrs.models import Cdr, LinkMethod
from cdrs.quality import CATALOG, WARNING_CODES
from cdrs.selectors import cdr_warning_summary
from ocpi_hub.admin import values_filter


class LinkFilter(admin.SimpleListFilter):
    title = "session link"
    parameter_name = "link"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("unlinked", "Not linked"),
            (LinkMethod.SESSION_ID, "By session_id"),
            (LinkMethod.TOKEN_EVSE_TIME, "By token + EVSE + time"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "unlinked":
            return queryset.filter(link_method=LinkMethod.NONE)
        if value in (LinkMethod.SESSION_ID, LinkMethod.TOKEN_EVSE_TIME):
            return queryset.filter(link_method=value)
        return queryset


@admin.register(Cdr)
class CdrAdmin(ChargingRecordAdmin):
    list_display = (
        "object_key",
        "receiver_party",
        "start_date_time",
        "total_energy",
        "currency",
        "link_method",
        "credit",
        "warning_count",
    )
    # Large-table list: newest first by id (the primary key; created_at has no index of its own), search by
    # exact CDR id within the known parties (index unique_cdr).
    list_filter = (WarningCodeFilter, LinkFilter, "credit", values_filter("version", ("2.2.1", "2.3.0")), "receiver")
    party_scoped_keys = ("cdr_key",)
    ordering = ("-id",)
    sortable_by = ()
    list_select_related = ("receiver",)
    fields = (
        "object_key",
        "owner",
        "receiver",
        "receiver_party",
        "version",
        "start_date_time",
        "end_date_time",
        "session_ref",
        "session",
        "link_method",
        "credit",
        "credit_reference",
        "total_energy",
        "currency",
        "last_updated",
        "created_at",
        "warnings",
        "pretty_document",
    )
    readonly_fields = fields
    change_list_template = "admin/cdrs/cdr/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        summary = path(
            "quality-summary/", self.admin_site.admin_view(self.quality_summary), name="cdrs_cdr_quality_summary"
        )
        return [summary, *super().get_urls()]

    def quality_summary(self, request: HttpRequest) -> HttpResponse:
        """Per CPO: CDRs in total, with warnings, and per warning code."""
        owner = request.GET.get("cpo", "")
        country_code, _, party_id = owner.partition("/")
        rows = cdr_warning_summary(country_code=country_code or None, party_id=party_id or None)
        codes = [code for code in WARNING_CODES if any(row["warnings"][code] for row in rows)]
        context = {
            **self.admin_site.each_context(request),
            "title": "CDR quality per CPO",
            "opts": self.model._meta,
            "codes": [(code, CATALOG[code][1]) for code in codes],
            "rows": [{**row, "cells": [row["warnings"][code] for code in codes]} for row in rows],
            "cpo": owner,
        }
        return TemplateResponse(request, "admin/cdrs/cdr/quality_summary.html", context)
