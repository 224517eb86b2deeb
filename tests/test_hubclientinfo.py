"""HubClientInfo: status changes pushed to the other parties by a real Celery worker; still-alive check."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Delivery, Platform
from parties.services.alive import platform_check_alive
from parties.services.clientinfo import platform_set_status
from tests.factories import register
from tests.ocpi_schema import requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)

EMSP = {"role": "EMSP", "country_code": "NL", "party_id": "EMS", "business_details": {"name": "eMSP"}}
CPO = {"role": "CPO", "country_code": "DE", "party_id": "CPA", "business_details": {"name": "CPO"}}


def _wait_until(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.1)


def _client_info_puts(party: OcpiParty, path: str) -> list:
    return [r for r in party.requests_to("hubclientinfo", "PUT") if r.path.endswith(path)]


def test_connect_and_suspend_are_pushed_to_other_parties(hub, celery_worker):
    with OcpiParty(version="2.3.0", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO]) as cpo:
        register(hub.url, emsp, "eMSP")
        cpo_platform = register(hub.url, cpo, "CPO")

        emsp.wait_for(lambda rs: any(r.path.endswith("/hubclientinfo/DE/CPA") for r in rs), timeout=20)
        connected = _client_info_puts(emsp, "/DE/CPA")[-1]
        assert connected.body["status"] == "CONNECTED"
        assert connected.body["role"] == "CPO"
        assert connected.header("authorization") is not None
        assert connected.header("ocpi-from-country-code") is None  # configuration module: never routed
        # the newly connected CPO was told about the eMSP that was already there
        cpo.wait_for(lambda rs: any(r.path.endswith("/hubclientinfo/NL/EMS") for r in rs), timeout=20)

        platform_set_status(platform=cpo_platform, status=ConnectionStatus.SUSPENDED)

        emsp.wait_for(
            lambda rs: any(r.path.endswith("/DE/CPA") and (r.body or {}).get("status") == "SUSPENDED" for r in rs),
            timeout=20,
        )
        _wait_until(lambda: Delivery.objects.filter(module="hubclientinfo", status="succeeded").count() >= 3)


@requires_openapi
def test_pushed_client_info_validates_against_the_official_schema(hub, celery_worker):
    with OcpiParty(version="2.3.0", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        emsp.wait_for(lambda rs: any(r.path.endswith("/DE/CPA") for r in rs), timeout=20)
        cpo.wait_for(lambda rs: any(r.path.endswith("/NL/EMS") for r in rs), timeout=20)
        validate_object("2.3.0", "clientInfo", _client_info_puts(emsp, "/DE/CPA")[-1].body)
        validate_object("2.2.1", "clientInfo", _client_info_puts(cpo, "/NL/EMS")[-1].body)


def test_hubclientinfo_sender_lists_every_party(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        response = emsp.call("GET", emsp.hub_url("hubclientinfo", "SENDER"))
    items = {(i["country_code"], i["party_id"]): i for i in response.json()["data"]}
    assert set(items) == {("NL", "EMS"), ("DE", "CPA")}
    assert items[("DE", "CPA")]["status"] == "CONNECTED"
    assert items[("DE", "CPA")]["last_updated"].endswith("Z")


def test_alive_check_marks_offline_and_back_connected(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO]) as cpo:
        register(hub.url, emsp, "eMSP")
        cpo_platform = register(hub.url, cpo, "CPO")
        cpo.go_down()

        assert platform_check_alive(platform=cpo_platform) is False
        cpo_platform.refresh_from_db()
        assert cpo_platform.status == ConnectionStatus.OFFLINE
        assert Delivery.objects.filter(receiver__name="eMSP", module="hubclientinfo", object_key="DE/CPA").exists()

        cpo.come_up()
        assert platform_check_alive(platform=cpo_platform) is True
        cpo_platform.refresh_from_db()
        assert cpo_platform.status == ConnectionStatus.CONNECTED
        assert cpo_platform.last_seen_at is not None


def test_beat_runs_the_alive_check_after_silence(hub, celery_worker, settings):
    with OcpiParty(version="2.2.1", roles=[CPO]) as cpo:
        platform = register(hub.url, cpo, "CPO")
        Platform.objects.filter(pk=platform.pk).update(last_seen_at=timezone.now() - timedelta(hours=1))
        cpo.go_down()
        celery_worker.stop()
        worker = type(celery_worker)(
            hub.url, extra_env={"OCPI_HUB_ALIVE_INTERVAL": "1", "OCPI_HUB_ALIVE_SILENCE": "60"}
        )
        worker.start()
        try:
            deadline = timezone.now() + timedelta(seconds=25)
            while timezone.now() < deadline:
                platform.refresh_from_db()
                if platform.status == ConnectionStatus.OFFLINE:
                    break
                time.sleep(0.2)
            assert platform.status == ConnectionStatus.OFFLINE
        finally:
            worker.stop()
