"""Read-only admin of CDRs: quality warnings (filter by code), Session links (unlinked CDRs), and the
data-quality summary page (``quality-summary/``: Sessions and CDRs per CPO and warning code, in a date range,
with the per-day share carrying warnings)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from cdrs.models import Cdr, LinkMethod
from cdrs.pricing import cost_rows
from cdrs.selectors import warning_summary, warning_trend
from cdrs.services import cdrs_release_held
from ocpi_hub.admin import values_filter
from sessions.admin_filters import ChargingRecordAdmin, WarningCodeFilter
from sessions.models import Session
from sessions.quality import CATALOG, WARNING_CODES


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
    release_held = staticmethod(cdrs_release_held)
    list_display = (
        "object_key",
        "receiver_party",
        "start_date_time",
        "total_energy",
        "currency",
        "link_method",
        "credit",
        "no_agreement",
        "warning_list",
    )
    # Large-table list: newest first by id (the primary key; created_at has no index of its own), search by
    # exact CDR id within the known parties (index unique_cdr).
    list_filter = (
        WarningCodeFilter,
        LinkFilter,
        "credit",
        "no_agreement",
        values_filter("version", ("2.2.1", "2.3.0")),
        "receiver",
    )
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
        "cost_difference",
        "cost_check",
        "pretty_document",
    )
    readonly_fields = fields
    change_list_template = "admin/cdrs/cdr/change_list.html"

    @admin.display(description="cost check (CPO vs. computed from the tariff)")
    def cost_check(self, obj: Cdr) -> str:
        rows = cost_rows(obj.document)
        if not rows:
            return "not priced"
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    row["field"],
                    _amount(row["given_before"]),
                    _amount(row["computed_before"]),
                    _amount(row["given_after"]),
                    _amount(row["computed_after"]),
                )
                for row in rows
            ),
        )
        notes = format_html_join(
            "", "<li>{}</li>", ((note,) for note in obj.document["cost_breakdown"].get("notes") or [])
        )
        head = (
            "<tr><th>field</th><th>CPO excl.</th><th>computed excl.</th><th>CPO incl.</th><th>computed incl.</th></tr>"
        )
        return format_html('<table class="cost-check">{}{}</table><ul>{}</ul>', mark_safe(head), body, notes)  # noqa: S308

    def get_urls(self) -> list[URLPattern]:
        summary = path(
            "quality-summary/", self.admin_site.admin_view(self.quality_summary), name="cdrs_cdr_quality_summary"
        )
        return [summary, *super().get_urls()]

    def quality_summary(self, request: HttpRequest) -> HttpResponse:
        """Sessions and CDRs received in a date range: per CPO in total, with warnings (and in percent), per
        warning code; and the share with warnings per day."""
        owner = request.GET.get("cpo", "").strip()
        country_code, _, party_id = owner.partition("/")
        start, end, error = _date_range(request)
        scope = {"country_code": country_code or None, "party_id": party_id or None}
        context = {
            **self.admin_site.each_context(request),
            "title": "Data quality of Sessions and CDRs",
            "opts": self.model._meta,
            "cpo": owner,
            "start": start,
            "end": end,
            "range_error": error,
            "sections": [_quality_section(name, model, start, end, scope) for name, model in QUALITY_MODELS],
        }
        return TemplateResponse(request, "admin/cdrs/cdr/quality_summary.html", context)


def _amount(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


QUALITY_MODELS = (("Sessions", Session), ("CDRs", Cdr))
DEFAULT_DAYS = 30


def _date_range(request: HttpRequest) -> tuple[date, date, str]:
    """The ``from``/``to`` days (UTC, inclusive) asked for; the last 30 days by default."""
    today = timezone.now().date()
    try:
        end = date.fromisoformat(request.GET["to"]) if request.GET.get("to") else today
        start = (
            date.fromisoformat(request.GET["from"]) if request.GET.get("from") else end - timedelta(DEFAULT_DAYS - 1)
        )
    except ValueError:
        return today - timedelta(DEFAULT_DAYS - 1), today, "Dates are YYYY-MM-DD; showing the last 30 days."
    if start > end or (end - start).days > 366:
        return today - timedelta(DEFAULT_DAYS - 1), today, "A range is at most a year; showing the last 30 days."
    return start, end, ""


def _quality_section(name: str, model: Any, start: date, end: date, scope: dict[str, Any]) -> dict[str, Any]:
    first = datetime.combine(start, time.min, tzinfo=UTC)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    rows = warning_summary(model, start=first, end=after, **scope)
    codes = [code for code in WARNING_CODES if any(row["warnings"][code] for row in rows)]
    return {
        "name": name,
        "codes": [(code, CATALOG[code][1]) for code in codes],
        "rows": [{**row, "cells": [row["warnings"][code] for code in codes]} for row in rows],
        "trend": warning_trend(model, start=start, end=end, **scope),
        "changelist": "admin:cdrs_cdr_changelist" if model is Cdr else "admin:ocpi_sessions_session_changelist",
    }
