"""The hub admins' Django admin for platforms (onboarding, status, tokens) and the delivery outbox (redrive).

Every state change goes through a service; OCPI errors from the other party become admin messages. Tokens
are never shown except token A, once, on the page that created it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from ocpi_hub.admin import CappedCountPaginator
from ocpi_hub.api.versions import versions_url
from ocpi_hub.exceptions import OcpiError
from parties import outbound
from parties.forms import InviteForm, RegisterForm
from parties.models import (
    ConnectionStatus,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Endpoint,
    Platform,
    PlatformRole,
    ReceiverQueue,
)
from parties.selectors import delivery_summary, format_duration, platform_agreements
from parties.services.clientinfo import platform_set_status
from parties.services.credentials import (
    hub_refresh_endpoints,
    hub_register,
    hub_rotate_token,
    platform_invite,
    platform_reinvite,
)
from parties.services.delivery import deliveries_redrive

STATUS_COLOURS: dict[str, str] = {
    ConnectionStatus.PLANNED: "#666666",
    ConnectionStatus.CONNECTED: "#2e7d32",
    ConnectionStatus.OFFLINE: "#ef6c00",
    ConnectionStatus.SUSPENDED: "#c62828",
}
EDITABLE_FIELDS = ("name", "strictness", "token_base64", "extension_opt_in", "linked_platforms")
TEMPLATES = "admin/parties/platform"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields


class PlatformRoleInline(ReadOnlyInline):
    model = PlatformRole
    fields = ("role", "country_code", "party_id", "business_details")


class EndpointInline(ReadOnlyInline):
    model = Endpoint
    fields = ("identifier", "role", "url")


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "colored_status",
        "version",
        "roles_summary",
        "last_seen_at",
        "attention",
        "pending_deliveries",
        "failed_deliveries",
        "dead_deliveries",
    )
    list_filter = ("status", "version", "needs_attention", "strictness", "token_base64", "extension_opt_in")
    search_fields = ("name", "roles__country_code", "roles__party_id")
    inlines = (PlatformRoleInline, EndpointInline)
    filter_horizontal = ("linked_platforms",)
    fieldsets = (
        (None, {"fields": EDITABLE_FIELDS}),
        (
            "Connection",
            {
                "fields": (
                    "status",
                    "version",
                    "versions_url",
                    "hub_party_id",
                    "registered_at",
                    "last_seen_at",
                    "last_alive_check_at",
                )
            },
        ),
        ("Credentials", {"fields": ("outgoing_token", "token_in_is_registration")}),
        ("Attention", {"fields": ("needs_attention", "attention_reason", "unauthorized_count")}),
        ("Deliveries", {"fields": ("deliveries_summary", "receiver_queue_state")}),
        ("Roaming agreements", {"fields": ("agreements_summary",)}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    actions = ("suspend", "reactivate", "rotate_token", "refresh_endpoints", "clear_attention", "reinvite")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Platform]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("roles")
            .annotate(
                pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
                failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
                dead_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DEAD)),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [name for name in flatten_fieldsets(self.fieldsets) if name not in EDITABLE_FIELDS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # platforms are created by the invite and register views

    def has_onboard_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("parties.add_platform")

    def save_model(self, request: HttpRequest, obj: Platform, form: Any, change: bool) -> None:
        # Only the edited columns: a handshake running meanwhile may be writing tokens and status.
        obj.save(update_fields=[*form.changed_data, "updated_at"])

    # --- columns ---------------------------------------------------------------------------------------

    @admin.display(description="Status", ordering="status")
    def colored_status(self, platform: Platform) -> str:
        colour = STATUS_COLOURS.get(platform.status, "inherit")
        return format_html('<b style="color: {}">{}</b>', colour, platform.get_status_display())

    @admin.display(description="Roles")
    def roles_summary(self, platform: Platform) -> str:
        return ", ".join(str(role) for role in platform.roles.all()) or "-"

    @admin.display(description="Pending", ordering="pending_count")
    def pending_deliveries(self, platform: Platform) -> str:
        return _deliveries_link(platform, DeliveryStatus.PENDING, getattr(platform, "pending_count", 0))

    @admin.display(description="Failed", ordering="failed_count")
    def failed_deliveries(self, platform: Platform) -> str:
        return _deliveries_link(platform, DeliveryStatus.FAILED, getattr(platform, "failed_count", 0))

    @admin.display(description="Dead", ordering="dead_count")
    def dead_deliveries(self, platform: Platform) -> str:
        return _deliveries_link(platform, DeliveryStatus.DEAD, getattr(platform, "dead_count", 0))

    @admin.display(description="Attention", ordering="needs_attention")
    def attention(self, platform: Platform) -> str:
        """A warning sign (with the reason as its tooltip) for a platform that needs attention; else nothing."""
        if not platform.needs_attention:
            return "-"
        reason = platform.attention_reason or "needs attention"
        icon = static("admin/img/icon-alert.svg")
        return format_html('<img src="{}" alt="Needs attention" title="{}"> {}', icon, reason, reason)

    @admin.display(description="Deliveries to this platform")
    @admin.display(description="Receiver queue")
    def receiver_queue_state(self, platform: Platform) -> str:
        """The circuit breaker: paused since, last probe, next probe, backlog (parties.services.drain)."""
        queue = ReceiverQueue.objects.filter(pk=platform.pk).first()
        if queue is None or queue.paused_since is None:
            failures = queue.failures if queue else 0
            return f"sending ({failures} failed attempts in a row)"
        backlog = Delivery.objects.filter(receiver=platform, status=DeliveryStatus.PENDING).count()
        return format_html(
            "<strong>paused</strong> since {} UTC after {} failed attempts in a row; last probe {}; next probe {}; "
            "backlog {} pending",
            _utc(queue.paused_since),
            queue.failures,
            _utc(queue.last_probe_at) if queue.last_probe_at else "none yet",
            _utc(queue.next_probe_at) if queue.next_probe_at else "-",
            backlog,
        )

    def deliveries_summary(self, platform: Platform) -> str:
        summary = delivery_summary(platform=platform)
        links = format_html_join(
            ", ",
            "{}: {}",
            (
                (label, _deliveries_link(platform, status, summary.counts.get(status, 0)))
                for status, label in DeliveryStatus.choices
            ),
        )
        everything = format_html(
            '<a href="{}?{}">all deliveries</a>',
            reverse("admin:parties_delivery_changelist"),
            urlencode({"receiver__id__exact": str(platform.pk)}),
        )
        age = summary.oldest_pending_age
        oldest = f"; oldest pending queued {format_duration(age)} ago" if age is not None else ""
        return format_html("{} ({}{})", links, everything, oldest)

    @admin.display(description="Agreements of its roles")
    def agreements_summary(self, platform: Platform) -> str:
        agreements = platform_agreements(platform)
        if not agreements:
            return "none"
        return format_html_join(
            mark_safe("<br>"),  # noqa: S308 - a constant
            '<a href="{}">CPO {} &harr; eMSP {}</a>: {} ({})',
            (
                (
                    reverse("admin:parties_agreement_change", args=[a.pk]),
                    a.cpo,
                    a.emsp,
                    a.get_status_display(),
                    ", ".join(a.scope_list()) or "nothing",
                )
                for a in agreements
            ),
        )

    @admin.display(description="Token we call it with")
    def outgoing_token(self, platform: Platform) -> str:
        return platform.masked_token_out or "-"

    # --- onboarding views ------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("invite/", view(self.invite_view), name="parties_platform_invite"),
            path("register/", view(self.register_view), name="parties_platform_register"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_onboard_permission": self.has_onboard_permission(request)}
        return super().changelist_view(request, extra_context)

    def invite_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_onboard_permission(request):
            raise PermissionDenied
        form = InviteForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            data = form.cleaned_data
            platform, token = platform_invite(name=data["name"], token_base64=not data["raw_tokens"])
            self.message_user(request, f"Invited {platform}.", messages.SUCCESS)
            return self._invitations(request, [(platform, token)])
        return self._form_page(request, form, "Invite a new party", "Create invitation")

    def register_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_onboard_permission(request):
            raise PermissionDenied
        form = RegisterForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                platform = hub_register(
                    versions_url=data["versions_url"],
                    token_a=data["token_a"],
                    name=data["name"],
                    token_base64=not data["raw_tokens"],
                )
            except OcpiError as exc:
                self.message_user(request, f"Registration failed: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"Registered with {platform} (OCPI {platform.version}).", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:parties_platform_change", args=[platform.pk]))
        return self._form_page(request, form, "Register with a party", "Register")

    def _context(self, request: HttpRequest, title: str) -> dict[str, Any]:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}

    def _form_page(self, request: HttpRequest, form: Any, title: str, submit: str) -> HttpResponse:
        context = {**self._context(request, title), "form": form, "submit_label": submit}
        return TemplateResponse(request, f"{TEMPLATES}/onboard_form.html", context)

    def _invitations(self, request: HttpRequest, invitations: list[tuple[Platform, str]]) -> HttpResponse:
        context = {**self._context(request, "Invitation"), "invitations": invitations, "versions_url": versions_url()}
        return TemplateResponse(request, f"{TEMPLATES}/invitations.html", context)

    # --- actions ---------------------------------------------------------------------------------------

    @admin.action(description="Suspend selected platforms", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "Suspended", lambda p: _set_status(p, ConnectionStatus.SUSPENDED))

    @admin.action(description="Reactivate selected platforms", permissions=["change"])
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        for platform in queryset.filter(token_out=""):
            self.message_user(request, f"{platform}: not registered; re-invite it instead.", messages.WARNING)
        registered = queryset.exclude(token_out="")
        self._each(request, registered, "Reactivated", lambda p: _set_status(p, ConnectionStatus.CONNECTED))

    @admin.action(description="Rotate token (new credentials via PUT)", permissions=["change"])
    def rotate_token(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "Rotated the token of", lambda p: hub_rotate_token(platform=p))

    @admin.action(description="Re-fetch endpoints", permissions=["change"])
    def refresh_endpoints(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        self._each(request, queryset, "Re-fetched the endpoints of", lambda p: hub_refresh_endpoints(platform=p))

    @admin.action(description="Clear the attention flag", permissions=["change"])
    def clear_attention(self, request: HttpRequest, queryset: QuerySet[Platform]) -> None:
        count = queryset.update(needs_attention=False, attention_reason="", unauthorized_count=0)
        self.message_user(request, f"Cleared the attention flag of {count} platform(s).")

    @admin.action(description="Re-invite (new token A; the current token stops working)", permissions=["change"])
    def reinvite(self, request: HttpRequest, queryset: QuerySet[Platform]) -> HttpResponse:
        if request.POST.get("confirm") != "yes":
            context = {
                **self._context(request, "Re-invite platforms"),
                "platforms": queryset,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, f"{TEMPLATES}/reinvite_confirmation.html", context)
        return self._invitations(request, [(p, platform_reinvite(platform=p)) for p in queryset])

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Platform], done: str, action: Callable[[Platform], object]
    ) -> None:
        """Run ``action`` per platform (outside any transaction: it may call the party)."""
        count = 0
        for platform in queryset:
            try:
                action(platform)
            except OcpiError as exc:
                self.message_user(request, f"{platform}: {exc.message}", messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} platform(s).", messages.SUCCESS)


def _set_status(platform: Platform, status: str) -> None:
    with transaction.atomic():
        platform_set_status(platform=platform, status=status)


def _utc(moment: Any) -> str:
    return str(moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))


def _deliveries_link(platform: Platform, status: str, count: int) -> str:
    """The count, linked to the Deliveries list filtered on this receiver and status."""
    query = urlencode({"receiver__id__exact": str(platform.pk), "status__exact": status})
    return format_html('<a href="{}?{}">{}</a>', reverse("admin:parties_delivery_changelist"), query, count)


# --- the delivery outbox ---------------------------------------------------------------------------------


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = (
        "started_at",
        "method",
        "url",
        "request_id",
        "http_status",
        "ocpi_status",
        "duration_ms",
        "outcome",
        "error",
        "response_excerpt",
    )


class ModuleFilter(admin.SimpleListFilter):
    title = "module"
    parameter_name = "module"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(module, module) for module in outbound.modules()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(module=self.value()) if self.value() else queryset


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "receiver",
        "module",
        "object_key",
        "target",
        "status",
        "attempts",
        "next_attempt",
        "last_http_status",
        "last_ocpi_status",
        "short_error",
        "created_at",
    )
    list_display_links = ("object_key",)
    # Large-table list (10^6 rows, bench/admin_scale.py): newest first by id (created_at has no index of its
    # own), no full count, filters without a DISTINCT over the table, search by exact object key in every module
    # (index module + object_key).
    ordering = ("-id",)
    sortable_by = ()
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_filter = ("status", ModuleFilter, "receiver")
    list_select_related = ("receiver",)
    search_fields = ("object_key",)
    search_help_text = "Exact object key, e.g. NL/CPO/LOC1."

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        key = search_term.strip()
        if not key:
            return queryset, False
        return queryset.filter(module__in=outbound.modules(), object_key=key), False

    inlines = (DeliveryAttemptInline,)
    actions = ("redrive",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # read-only; state changes only through the redrive action

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_redrive_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("parties.change_delivery")

    @admin.display(description="Next attempt", ordering="next_attempt_at")
    def next_attempt(self, delivery: Delivery) -> datetime | None:
        """Only a pending delivery has one; a succeeded, failed, dead or superseded one is finished."""
        return delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None

    @admin.display(description="Last error")
    def short_error(self, delivery: Delivery) -> str:
        return Truncator(delivery.last_error).chars(60)

    @admin.action(description="Redrive selected", permissions=["redrive"])
    def redrive(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        selected = queryset.count()
        count = deliveries_redrive(deliveries=queryset)
        self.message_user(
            request, f"Redrove {count} of {selected} selected deliveries (only failed or dead ones are redriven)."
        )


from parties import agreements_admin  # noqa: E402, F401 - registers the roaming agreements' admin
