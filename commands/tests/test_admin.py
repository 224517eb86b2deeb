"""The relay admins: a relay's request, the CPO's answer, its results and timings; filters; read-only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chargingprofiles.models import ChargingProfileRelay
from commands.models import CommandRelay, CommandResultRecord
from parties.models import Platform
from tests.factories import party_platform

pytestmark = pytest.mark.django_db


def _platform(name: str, role: str, party_id: str) -> Platform:
    return party_platform(name, role, "NL", party_id, business_details={"name": name}, token_out="")


def _relay(emsp: Platform, cpo: Platform, command: str, outcome: str) -> CommandRelay:
    now = timezone.now()
    return CommandRelay.objects.create(
        command=command,
        emsp=emsp,
        emsp_country_code="NL",
        emsp_party_id="EMX",
        emsp_version="2.3.0",
        cpo=cpo,
        cpo_country_code="NL",
        cpo_party_id="CPA",
        cpo_version="2.2.1",
        response_url="https://emsp.example/commands/ref-1",
        location_key="LOC1",
        request={"response_url": "https://emsp.example/commands/ref-1", "location_id": "LOC1"},
        forwarded={"response_url": "https://hub.example/x", "location_id": "LOC1"},
        answer={"result": "ACCEPTED", "timeout": 30},
        answer_http_status=200,
        answer_status_code=1000,
        answer_ms=42,
        outcome=outcome,
        answered_at=now,
        expires_at=now + timedelta(minutes=5),
    )


def test_command_relays_list_filter_and_detail(admin_client):
    emsp, cpo = _platform("eMSP X", "EMSP", "EMX"), _platform("CPO A", "CPO", "CPA")
    started = _relay(emsp, cpo, "START_SESSION", "ACCEPTED")
    CommandResultRecord.objects.create(relay=started, result="ACCEPTED", document={"result": "ACCEPTED"})
    _relay(emsp, cpo, "UNLOCK_CONNECTOR", "HUB_4002")
    changelist = reverse("admin:commands_commandrelay_changelist")

    def shown(query: str) -> list[CommandRelay]:
        return list(admin_client.get(f"{changelist}{query}").context["cl"].result_list)

    assert {relay.command for relay in shown("")} == {"START_SESSION", "UNLOCK_CONNECTOR"}
    assert [relay.command for relay in shown("?outcome=HUB_4002")] == ["UNLOCK_CONNECTOR"]
    assert [relay.command for relay in shown(f"?command=START_SESSION&emsp__id__exact={emsp.pk}")] == ["START_SESSION"]
    assert shown(f"?cpo__id__exact={emsp.pk}") == []

    detail = admin_client.get(reverse("admin:commands_commandrelay_change", args=[started.pk])).content.decode()
    assert "https://emsp.example/commands/ref-1" in detail
    assert "&quot;timeout&quot;: 30" in detail
    assert "42" in detail
    assert admin_client.get(reverse("admin:commands_commandrelay_add")).status_code == 403


def test_charging_profile_relays_render(admin_client):
    emsp, cpo = _platform("eMSP X", "EMSP", "EMX"), _platform("CPO A", "CPO", "CPA")
    relay = ChargingProfileRelay.objects.create(
        method="PUT",
        requester=emsp,
        requester_country_code="NL",
        requester_party_id="EMX",
        requester_version="2.2.1",
        cpo=cpo,
        cpo_country_code="NL",
        cpo_party_id="CPA",
        cpo_version="2.2.1",
        session_id="S1",
        session_key="S1",
        response_url="https://emsp.example/profiles/ref-1",
        request={"response_url": "https://emsp.example/profiles/ref-1"},
        outcome="ACCEPTED",
        expires_at=timezone.now(),
    )
    changelist = reverse("admin:chargingprofiles_chargingprofilerelay_changelist")
    assert "S1" in admin_client.get(f"{changelist}?method=PUT").content.decode()
    change = reverse("admin:chargingprofiles_chargingprofilerelay_change", args=[relay.pk])
    assert "https://emsp.example/profiles/ref-1" in admin_client.get(change).content.decode()
