"""Admin for the chargex-errors extension: the MREC catalog and error records (read-only: both are owned
elsewhere), and the reliability dashboard (figures from ``errors.reports``, charts from ``errors.charts``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from errors import charts
from errors.forms import DashboardFilterForm
from errors.models import ErrorRecord, MrecCode
from errors.reports import Figure, build_figures
from ocpi_hub.admin import PartyFilter, ReadOnlyAdmin, values_filter
from ocpi_hub.api.datetimes import format_datetime


@admin.register(MrecCode)
class MrecCodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "responsible", "classes", "ocpp16_error_code")
    search_fields = ("code", "name", "description")
    fields = (
        "code",
        "number",
        "name",
        "description",
        "responsible_entities",
        "functional_classes",
        "ocpp16_error_code",
    )

    @admin.display(description="Responsible")
    def responsible(self, code: MrecCode) -> str:
        return ", ".join(code.responsible_entities)

    @admin.display(description="Functional classes")
    def classes(self, code: MrecCode) -> str:
        return ", ".join(code.functional_classes)


SeverityFilter = values_filter("severity", tuple(str(level) for level in range(10)))


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("cleared", "Cleared")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ErrorRecord]) -> QuerySet[ErrorRecord]:
        if self.value() in ("open", "cleared"):
            return queryset.filter(cleared_at__isnull=self.value() == "open")
        return queryset


@admin.register(ErrorRecord)
class ErrorRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "severity",
        "source",
        "location_id",
        "evse_uid",
        "occurred_at",
        "cleared_at",
        "is_private",
    )
    # Large-table list: newest first (index error_record_occurred), search by exact record id within the known
    # parties (index unique_error_record).
    list_filter = (OpenFilter, "scheme", "source", SeverityFilter, "is_private", PartyFilter)
    party_scoped_keys = ("record_key",)
    sortable_by = ("occurred_at",)
    readonly_fields = ("document",)
    list_select_related = ("owner",)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("dashboard/", view, name="errors_errorrecord_dashboard"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {**(extra_context or {}), "dashboard_url": reverse("admin:errors_errorrecord_dashboard")}
        return super().changelist_view(request, extra)

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = DashboardFilterForm(request.GET)
        figures = build_figures(form.report_filter()) if form.is_valid() else []
        context = {
            **self.admin_site.each_context(request),
            "title": "Reliability dashboard",
            "opts": self.model._meta,
            "form": form,
            "generated_at": format_datetime(timezone.now()),
            **dashboard_context({figure.name: figure for figure in figures}),
        }
        return TemplateResponse(request, "admin/errors/dashboard.html", context)


def dashboard_context(figures: dict[str, Figure]) -> dict[str, Any]:
    """Figures and their charts, keyed for the template."""
    if not figures:
        return {"figures": {}}
    return {
        "figures": figures,
        "errors_svg": charts.errors_over_time_svg(figures["errors_per_code"]),
        "errors_legend": charts.legend(figures["errors_per_code"]),
        "clear_bars": charts.bars(figures["time_to_clear"], value=5),
        "evse_bars": charts.bars(figures["top_evses"]),
        "cpo_bars": charts.bars(figures["session_success_cpo"], value=3, scale=1.0, as_percent=True),
        "location_bars": charts.bars(figures["session_success_location"], value=3, scale=1.0, as_percent=True),
        "availability_bars": charts.availability_bars(figures["evse_availability"]),
        "open_total": sum(row[2] for row in figures["open_errors"].rows),
    }
