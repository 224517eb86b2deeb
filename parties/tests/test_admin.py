"""The hub admins' Django admin: pages render, onboarding views and actions call the services."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Delivery, DeliveryAttempt, DeliveryStatus, Platform
from parties.tokens import hash_token
from tests.factories import EndpointFactory, party_platform

TOKEN_OUT = "tok-out-0123456789-secret-value"
CPO = {"role": "CPO", "country_code": "DE", "party_id": "CPA"}


def _platform(name: str = "Charge DE", party_id: str = "CPA", **fields) -> Platform:
    now = timezone.now()
    fields = {
        "status": ConnectionStatus.CONNECTED,
        "version": "2.2.1",
        "token_out": TOKEN_OUT,
        "versions_url": "https://cpo.example/versions",
        "registered_at": now,
        "last_seen_at": now,
        "token_in_hash": hash_token(f"token-c-{name}"),
        **fields,
    }
    platform = party_platform(name, "CPO", "DE", party_id, business_details={"name": name}, **fields)
    EndpointFactory(platform=platform, identifier="locations", role="SENDER", url="https://cpo.example/loc")
    return platform


def _delivery(receiver: Platform, status: str = DeliveryStatus.DEAD, **fields) -> Delivery:
    long_ago = timezone.now() - timedelta(days=1)
    fields = {
        "module": "locations",
        "object_key": "DE/CPA/LOC1",
        "status": status,
        "attempts": 7,
        "next_attempt_at": long_ago,
        "queued_at": long_ago,
        "last_http_status": 503,
        "last_ocpi_status": None,
        "last_error": "HTTP 503 " + "x" * 200,
        **fields,
    }
    return Delivery.objects.create(receiver=receiver, **fields)


def _attempt(delivery: Delivery) -> DeliveryAttempt:
    return DeliveryAttempt.objects.create(
        delivery=delivery,
        request_id="req-1",
        method="PUT",
        url="https://emsp.example/loc/DE/CPA/LOC1",
        started_at=timezone.now(),
        duration_ms=12,
        http_status=503,
        outcome="retry",
        error="HTTP 503",
        response_excerpt="<html>busy</html>",
    )


def _act(client, model: str, action: str, objects, **extra):
    url = reverse(f"admin:parties_{model}_changelist")
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data, follow=True)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- pages render ------------------------------------------------------------------------------------------

ADMIN_PAGES = [
    "admin:parties_platform_changelist",
    "admin:parties_delivery_changelist",
    "admin:parties_platform_invite",
    "admin:parties_platform_register",
    "admin:index",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_pages_render_without_data(admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


def test_pages_render_with_data(admin_client):
    platform = _platform()
    _platform("Planned", "PLA", status=ConnectionStatus.PLANNED, token_out="", registered_at=None)
    delivery = _delivery(platform)
    _attempt(delivery)
    _delivery(platform, DeliveryStatus.PENDING, object_key="DE/CPA/LOC2")
    pages = [
        *(reverse(name) for name in ADMIN_PAGES),
        reverse("admin:parties_platform_change", args=[platform.pk]),
        reverse("admin:parties_delivery_change", args=[delivery.pk]),
        reverse("admin:parties_platform_changelist") + "?q=CPA&status__exact=CONNECTED&needs_attention__exact=0",
        reverse("admin:parties_delivery_changelist") + f"?q=LOC1&receiver__id__exact={platform.pk}",
    ]
    for url in pages:
        assert admin_client.get(url).status_code == 200, url


def test_platform_changelist_shows_roles_and_delivery_counts(admin_client):
    platform = _platform()
    _delivery(platform)
    _delivery(platform, DeliveryStatus.PENDING, object_key="DE/CPA/LOC2")
    _delivery(platform, DeliveryStatus.PENDING, object_key="DE/CPA/LOC3")

    response = admin_client.get(reverse("admin:parties_platform_changelist") + "?q=DE")

    row = response.context["cl"].result_list.get()
    assert (row.pending_count, row.dead_count) == (2, 1)
    html = response.content.decode()
    assert "DE/CPA CPO" in html
    assert f"receiver__id__exact={platform.pk}&amp;status__exact=dead" in html
    assert reverse("admin:parties_platform_invite") in html


def test_platform_change_page_shows_only_masked_outgoing_token(admin_client):
    platform = _platform()

    html = admin_client.get(reverse("admin:parties_platform_change", args=[platform.pk])).content.decode()

    assert TOKEN_OUT not in html
    assert platform.token_in_hash not in html
    assert platform.masked_token_out in html


def test_platform_edit_saves_only_editable_fields(admin_client):
    platform = _platform()
    url = reverse("admin:parties_platform_change", args=[platform.pk])
    data = {
        "name": "Renamed",
        "strictness": "strict",
        "token_base64": "",
        "extension_opt_in": "on",
        "token_out": "injected",
        "status": "PLANNED",
        **_empty_inlines(),
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    platform.refresh_from_db()
    assert (platform.name, platform.strictness, platform.token_base64) == ("Renamed", "strict", False)
    assert platform.extension_opt_in is True
    assert (platform.token_out, platform.status) == (TOKEN_OUT, ConnectionStatus.CONNECTED)


def _empty_inlines() -> dict[str, str]:
    data = {}
    for prefix in ("roles", "endpoints"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def test_no_add_pages(admin_client):
    assert admin_client.get(reverse("admin:parties_platform_add")).status_code == 403
    assert admin_client.get(reverse("admin:parties_delivery_add")).status_code == 403


# --- invitations -------------------------------------------------------------------------------------------


def test_invite_view_creates_planned_platform_and_shows_token_a_once(admin_client, monkeypatch):
    token = "invite-token-A-0123456789"
    monkeypatch.setattr("parties.services.credentials.generate_token", lambda: token)

    response = admin_client.post(reverse("admin:parties_platform_invite"), {"name": "Acme", "raw_tokens": "on"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count(token) == 1
    assert "/ocpi/versions" in html
    platform = Platform.objects.get()
    assert (platform.name, platform.status) == ("Acme", ConnectionStatus.PLANNED)
    assert platform.token_in_hash == hash_token(token)
    assert platform.token_in_is_registration is True
    assert platform.token_base64 is False
    change_page = admin_client.get(reverse("admin:parties_platform_change", args=[platform.pk]))
    assert token not in change_page.content.decode()


def test_invite_view_without_name_shows_the_form_again(admin_client):
    response = admin_client.post(reverse("admin:parties_platform_invite"), {"name": ""})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert not Platform.objects.exists()


def test_reinvite_action_asks_first_then_shows_new_token_a_once(admin_client, monkeypatch):
    platform = _platform()
    old_hash = platform.token_in_hash
    token = "reinvite-token-A-0123456789"
    monkeypatch.setattr("parties.services.credentials.generate_token", lambda: token)

    confirmation = _act(admin_client, "platform", "reinvite", [platform])
    platform.refresh_from_db()
    assert platform.token_in_hash == old_hash
    assert "stops" in confirmation.content.decode()

    response = _act(admin_client, "platform", "reinvite", [platform], confirm="yes")

    assert response.content.decode().count(token) == 1
    platform.refresh_from_db()
    assert platform.token_in_hash == hash_token(token)
    assert platform.token_in_is_registration is True


# --- platform actions --------------------------------------------------------------------------------------


def test_suspend_action_sets_suspended(admin_client):
    platform = _platform()
    other = _platform("Other", "OTH", status=ConnectionStatus.OFFLINE)

    response = _act(admin_client, "platform", "suspend", [platform, other])

    assert _messages(response) == ["Suspended 2 platform(s)."]
    assert set(Platform.objects.values_list("status", flat=True)) == {ConnectionStatus.SUSPENDED}


def test_reactivate_action_connects_registered_platforms_only(admin_client):
    registered = _platform(status=ConnectionStatus.SUSPENDED)
    unregistered = _platform("Gone", "GON", status=ConnectionStatus.SUSPENDED, token_out="")

    response = _act(admin_client, "platform", "reactivate", [registered, unregistered])

    registered.refresh_from_db()
    unregistered.refresh_from_db()
    assert registered.status == ConnectionStatus.CONNECTED
    assert unregistered.status == ConnectionStatus.SUSPENDED
    assert _messages(response) == ["Gone: not registered; re-invite it instead.", "Reactivated 1 platform(s)."]


def test_clear_attention_action(admin_client):
    platform = _platform(needs_attention=True, attention_reason="401s", unauthorized_count=9)

    _act(admin_client, "platform", "clear_attention", [platform])

    platform.refresh_from_db()
    assert (platform.needs_attention, platform.attention_reason, platform.unauthorized_count) == (False, "", 0)


def test_rotate_token_of_unregistered_platform_shows_error(admin_client):
    platform = _platform("Planned", status=ConnectionStatus.PLANNED, token_out="", registered_at=None)

    response = _act(admin_client, "platform", "rotate_token", [platform])

    assert response.status_code == 200
    assert _messages(response) == ["Planned: Not registered"]


def test_refresh_endpoints_of_unreachable_platform_shows_error(admin_client):
    platform = _platform(versions_url=f"http://127.0.0.1:{_free_port()}/versions")

    response = _act(admin_client, "platform", "refresh_endpoints", [platform])

    assert response.status_code == 200
    [message] = _messages(response)
    assert message.startswith("Charge DE: Could not reach your versions endpoint")
    assert platform.endpoints.count() == 1


# --- registering with a party ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_register_view_registers_with_live_party(hub, admin_client):
    with OcpiParty(version="2.2.1", roles=[CPO]) as party:
        data = {"versions_url": party.versions_url, "token_a": party.issue_token_a(), "name": "Charge DE"}

        response = admin_client.post(reverse("admin:parties_platform_register"), data, follow=True)

        platform = Platform.objects.get()
        assert response.redirect_chain == [(reverse("admin:parties_platform_change", args=[platform.pk]), 302)]
        assert _messages(response) == ["Registered with Charge DE (OCPI 2.2.1)."]
        assert (platform.name, platform.status, platform.version) == ("Charge DE", ConnectionStatus.CONNECTED, "2.2.1")
        assert party.hub_token is not None
        assert platform.token_in_hash == hash_token(party.hub_token)
        assert {(r.country_code, r.party_id, r.role) for r in platform.roles.all()} == {("DE", "CPA", "CPO")}
        assert party.token_b not in response.content.decode()

        old_token_out = platform.token_out
        rotated = _act(admin_client, "platform", "rotate_token", [platform])
        refreshed = _act(admin_client, "platform", "refresh_endpoints", [platform])

    platform.refresh_from_db()
    assert _messages(rotated) == ["Rotated the token of 1 platform(s)."]
    assert platform.token_out != old_token_out
    assert platform.token_out == party.token_b
    assert _messages(refreshed) == ["Re-fetched the endpoints of 1 platform(s)."]


def test_register_view_with_unreachable_url_shows_error(admin_client):
    data = {"versions_url": f"http://127.0.0.1:{_free_port()}/versions", "token_a": "token-a", "name": "Nobody"}

    response = admin_client.post(reverse("admin:parties_platform_register"), data)

    assert response.status_code == 200
    [message] = _messages(response)
    assert message.startswith("Registration failed: Could not reach your versions endpoint")
    assert not Platform.objects.filter(status=ConnectionStatus.CONNECTED).exists()


# --- deliveries --------------------------------------------------------------------------------------------


def test_redrive_action_moves_dead_delivery_back_to_pending(admin_client):
    platform = _platform()
    dead = _delivery(platform)
    succeeded = _delivery(platform, DeliveryStatus.SUCCEEDED, object_key="DE/CPA/LOC2")

    response = _act(admin_client, "delivery", "redrive", [dead, succeeded])

    assert _messages(response) == ["Redrove 1 of 2 selected deliveries (only failed or dead ones are redriven)."]
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_error) == (DeliveryStatus.PENDING, 0, "")
    assert dead.next_attempt_at > timezone.now() - timedelta(minutes=1)
    succeeded.refresh_from_db()
    assert succeeded.status == DeliveryStatus.SUCCEEDED


def test_delivery_pages_are_read_only_and_only_superusers_delete(client, django_user_model):
    delivery = _delivery(_platform())
    staff = django_user_model.objects.create_user("staff", password="pw", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="parties"))
    client.force_login(staff)

    changelist = client.get(reverse("admin:parties_delivery_changelist"))
    actions = [name for name, _ in changelist.context["action_form"].fields["action"].choices]

    assert actions == ["", "redrive"]
    assert client.get(reverse("admin:parties_delivery_delete", args=[delivery.pk])).status_code == 403
    change_page = client.get(reverse("admin:parties_delivery_change", args=[delivery.pk]))
    assert change_page.status_code == 200
    assert 'name="_save"' not in change_page.content.decode()
