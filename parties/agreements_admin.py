"""The admin of roaming agreements: list with filters, create, activate/suspend/end actions, the CPO x eMSP
matrix and a CSV import. Status changes go through ``parties.services.agreements`` (back-fill, HubClientInfo)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from ocpi_hub.exceptions import InvalidParameters
from parties.forms import AgreementForm, AgreementImportForm
from parties.models import SCOPES, Agreement, AgreementStatus, PlatformRole
from parties.services.agreements import (
    agreement_activate,
    agreement_change,
    agreement_create,
    agreement_end,
    agreement_suspend,
    agreements_import_csv,
)

STATUS_COLOURS: dict[str, str] = {
    AgreementStatus.PROPOSED: "#666666",
    AgreementStatus.ACTIVE: "#2e7d32",
    AgreementStatus.SUSPENDED: "#ef6c00",
    AgreementStatus.ENDED: "#c62828",
}
TEMPLATES = "admin/parties/agreement"
EMSP_SIDE_ROLES = ("EMSP", "NSP", "NAP", "OTHER", "SCSP")


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):
    list_display = ("cpo", "emsp", "coloured_status", "scopes", "valid_from", "valid_until", "activated_at", "note")
    list_filter = ("status", *SCOPES, "cpo_country_code", "emsp_country_code")
    search_fields = ("cpo_party_id", "emsp_party_id", "note")
    actions = ("activate", "suspend", "end")
    form = AgreementForm
    fields = (
        ("cpo_country_code", "cpo_party_id"),
        ("emsp_country_code", "emsp_party_id"),
        "status",
        ("valid_from", "valid_until"),
        SCOPES,
        "note",
        ("activated_at", "ended_at"),
        ("created_at", "updated_at"),
    )

    def save_model(self, request: HttpRequest, obj: Agreement, form: Any, change: bool) -> None:
        if change:
            queued = agreement_change(agreement=obj, changed=list(form.changed_data))
            if queued:
                self.message_user(request, f"{queued} deliveries back-filled for the new scope.", messages.INFO)
            return
        try:
            created = agreement_create(
                cpo=(obj.cpo_country_code, obj.cpo_party_id),
                emsp=(obj.emsp_country_code, obj.emsp_party_id),
                scopes=obj.scope_list(),  # the form asks for at least one
                valid_from=obj.valid_from,
                valid_until=obj.valid_until,
                note=obj.note,
            )
        except InvalidParameters as exc:
            raise ValidationError(exc.message) from None
        obj.pk, obj.status, obj.created_at = created.pk, created.status, created.created_at

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        done = ["status", "activated_at", "ended_at", "created_at", "updated_at"]
        if obj is not None:  # the pair of an existing agreement never changes: end it and make a new one
            done += ["cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id"]
        return done

    @admin.display(description="Status", ordering="status")
    def coloured_status(self, agreement: Agreement) -> str:
        colour = STATUS_COLOURS.get(agreement.status, "#000")
        return format_html('<strong style="color:{}">{}</strong>', colour, agreement.get_status_display())

    @admin.display(description="Scope")
    def scopes(self, agreement: Agreement) -> str:
        chosen = agreement.scope_list()
        return "all" if len(chosen) == len(SCOPES) else ", ".join(chosen) or "nothing"

    # --- actions ---------------------------------------------------------------------------------------

    @admin.action(description="Activate (back-fill both sides)", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> None:
        done, queued = 0, 0
        for agreement in queryset.exclude(status__in=[AgreementStatus.ACTIVE, AgreementStatus.ENDED]):
            queued += agreement_activate(agreement=agreement)
            done += 1
        self.message_user(request, f"Activated {done} agreements; {queued} deliveries back-filled.", messages.SUCCESS)

    @admin.action(description="Suspend (nothing flows until activated again)", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> None:
        done = sum(agreement_suspend(agreement=agreement) for agreement in queryset)
        self.message_user(request, f"Suspended {done} agreements.", messages.SUCCESS)

    @admin.action(description="End (for good)", permissions=["change"])
    def end(self, request: HttpRequest, queryset: QuerySet[Agreement]) -> None:
        done = sum(agreement_end(agreement=agreement) for agreement in queryset)
        self.message_user(request, f"Ended {done} agreements.", messages.SUCCESS)

    # --- matrix and import -----------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("matrix/", view(self.matrix_view), name="parties_agreement_matrix"),
            path("import/", view(self.import_view), name="parties_agreement_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_add_permission": self.has_add_permission(request)}
        return super().changelist_view(request, extra_context)

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def matrix_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        agreements = list(Agreement.objects.order_by("created_at"))
        roles = PlatformRole.objects.order_by().values_list("role", "country_code", "party_id")
        cpos = {f"{cc}/{pid}" for role, cc, pid in roles if role == "CPO"} | {a.cpo for a in agreements}
        emsps = {f"{cc}/{pid}" for role, cc, pid in roles if role in EMSP_SIDE_ROLES} | {a.emsp for a in agreements}
        current: dict[tuple[str, str], Agreement] = {}
        for agreement in agreements:  # oldest first: a later one, or one not ended, wins
            known = current.get((agreement.cpo, agreement.emsp))
            if known is None or known.status == AgreementStatus.ENDED or agreement.status != AgreementStatus.ENDED:
                current[(agreement.cpo, agreement.emsp)] = agreement
        columns = sorted(emsps)
        rows = []
        for cpo in sorted(cpos):
            cells = []
            for emsp in columns:
                found = current.get((cpo, emsp))
                cells.append(
                    None
                    if found is None
                    else {
                        "status": found.status,
                        "scopes": ", ".join(found.scope_list()),
                        "url": reverse("admin:parties_agreement_change", args=[found.pk]),
                    }
                )
            rows.append((cpo, cells))
        context = {
            **self._context(request, "Roaming agreements: CPOs x eMSPs"),
            "cpos": sorted(cpos),
            "emsps": columns,
            "rows": rows,
            "policy": settings.OCPI_HUB_ROUTING_POLICY,
        }
        return TemplateResponse(request, f"{TEMPLATES}/matrix.html", context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AgreementImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        if request.method == "POST" and form.is_valid():
            result = agreements_import_csv(form.cleaned_data["text"])
            errors = result.errors
            level = messages.WARNING if errors else messages.SUCCESS
            self.message_user(request, f"Imported {len(result.created)} agreements, {len(errors)} lines not.", level)
        context = {
            **self._context(request, "Import roaming agreements"),
            "form": form,
            "errors": errors,
            "scopes": ", ".join(SCOPES),
        }
        return TemplateResponse(request, f"{TEMPLATES}/import.html", context)
