"""chargex-errors end to end over real HTTP: CPO -> hub -> eMSPs, pushed by a real Celery worker.

An eMSP opts in by listing ``chargex-errors`` RECEIVER in its version details; only opted-in eMSPs get
error records, and a record tied to a session goes only to that session's eMSP.
"""

from __future__ import annotations

import time

import pytest

from errors.catalog import catalog_sync
from errors.models import ErrorRecord, MrecCode
from errors.tests.helpers import make_location, make_session
from ocpi_party.party import OcpiParty, Recorded
from parties.models import Delivery, DeliveryStatus, Platform
from parties.services.credentials import platform_invite
from tests.bodies import MINUTE, record_body, ts

pytestmark = pytest.mark.django_db(transaction=True)

CPO = {"role": "CPO", "country_code": "NL", "party_id": "CPO", "business_details": {"name": "Charge NL"}}
EMSP_A = {"role": "EMSP", "country_code": "NL", "party_id": "EMA", "business_details": {"name": "eMSP A"}}
EMSP_B = {"role": "EMSP", "country_code": "BE", "party_id": "EMB", "business_details": {"name": "eMSP B"}}
EMSP_PLAIN = {"role": "EMSP", "country_code": "DE", "party_id": "EMP", "business_details": {"name": "eMSP plain"}}
OPTED_IN = [("chargex-errors", "RECEIVER"), ("sessions", "RECEIVER"), ("hubclientinfo", "RECEIVER")]
PLAIN = [("locations", "RECEIVER"), ("sessions", "RECEIVER"), ("hubclientinfo", "RECEIVER")]


@pytest.fixture(autouse=True)
def mrec_catalog(transactional_db) -> None:  # noqa: ANN001 - a transactional test elsewhere may have flushed it
    if not MrecCode.objects.exists():
        catalog_sync(MrecCode)


def register(hub, party: OcpiParty, name: str) -> Platform:  # noqa: ANN001
    """Register ``party``. The hub advertises chargex-errors only to platforms that opted in: a CPO is opted in
    by the admin at the invitation; an eMSP listing the module sees it when it re-reads the version details."""
    platform, token_a = platform_invite(name=name)
    if party.roles[0]["role"] == "CPO":
        Platform.objects.filter(pk=platform.pk).update(extension_opt_in=True)
    party.register_with(f"{hub.url}/ocpi/versions", token_a)
    party.rediscover_hub()
    return Platform.objects.get(name=name)


def error_puts(party: OcpiParty) -> list[Recorded]:
    return party.requests_to("chargex-errors", "PUT")


def wait_until_delivered(timeout: float = 20.0) -> None:
    """Every chargex-errors delivery has finished (so 'nothing received' is a real nothing)."""
    deadline = time.monotonic() + timeout
    open_states = (DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT)
    while Delivery.objects.filter(module="chargex-errors", status__in=open_states).exists():
        assert time.monotonic() < deadline, list(Delivery.objects.values("receiver__name", "status", "last_error"))
        time.sleep(0.1)


def test_error_record_is_pushed_and_cleared_to_opted_in_emsps_only(hub, celery_worker):  # noqa: ANN001
    with (
        OcpiParty(version="2.2.1", roles=[CPO]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_A], modules=OPTED_IN) as opted,
        OcpiParty(version="2.2.1", roles=[EMSP_PLAIN], modules=PLAIN) as plain,
    ):
        cpo_platform = register(hub, cpo, "cpo")
        register(hub, opted, "opted")
        register(hub, plain, "plain")
        make_location(cpo_platform)
        url = cpo.hub_url("chargex-errors", "RECEIVER") + "/NL/CPO/ERR1"
        assert opted.hub_url("chargex-errors", "SENDER").endswith("/ocpi/2.3.0/sender/chargex-errors")

        body = record_body()
        assert cpo.call("PUT", url, body).json()["status_code"] == 1000
        opted.wait_for(lambda rs: len([r for r in rs if r.module == "chargex-errors"]) >= 1, timeout=20)
        pushed = error_puts(opted)[0]
        assert pushed.path == "/2.3.0/chargex-errors/NL/CPO/ERR1"
        assert pushed.body == body
        assert (pushed.header("ocpi-from-party-id"), pushed.header("ocpi-to-party-id")) == ("HUB", "EMA")

        clear = {"cleared_at": ts(45 * MINUTE), "last_updated": ts(45 * MINUTE)}
        assert cpo.call("PATCH", url, clear).json()["status_code"] == 1000
        opted.wait_for(lambda rs: any((r.body or {}).get("cleared_at") == ts(45 * MINUTE) for r in rs), timeout=20)
        assert error_puts(opted)[-1].body == {**body, **clear}

        wait_until_delivered()
        assert plain.requests_to("chargex-errors") == []
        assert not Delivery.objects.filter(receiver__name="plain", module="chargex-errors").exists()
        listed = opted.call("GET", opted.hub_url("chargex-errors", "SENDER")).json()["data"]
        assert listed == [{**body, **clear}]
        plain_list = plain.call("GET", f"{hub.url}/ocpi/2.2.1/sender/chargex-errors").json()["data"]
        assert plain_list == []


def test_invalid_record_is_rejected_over_http_and_nothing_is_pushed(hub, celery_worker):  # noqa: ANN001
    with (
        OcpiParty(version="2.3.0", roles=[CPO]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_A], modules=OPTED_IN) as opted,
    ):
        make_location(register(hub, cpo, "cpo"))
        register(hub, opted, "opted")
        url = cpo.hub_url("chargex-errors", "RECEIVER") + "/NL/CPO/ERR1"
        reply = cpo.call("PUT", url, record_body(code="CX099")).json()
        assert reply["status_code"] == 2001
        assert "CX099" in reply["status_message"]
        reply = cpo.call("PUT", url, record_body(severity=12)).json()
        assert reply["status_code"] == 2001
        assert reply["status_message"].startswith("severity:")
        assert ErrorRecord.objects.count() == 0
        assert not Delivery.objects.filter(module="chargex-errors").exists()
        assert opted.requests_to("chargex-errors") == []


def test_session_linked_record_reaches_only_that_sessions_emsp(hub, celery_worker):  # noqa: ANN001
    with (
        OcpiParty(version="2.2.1", roles=[CPO]) as cpo,
        OcpiParty(version="2.2.1", roles=[EMSP_A], modules=OPTED_IN) as emsp_a,
        OcpiParty(version="2.3.0", roles=[EMSP_B], modules=OPTED_IN) as emsp_b,
    ):
        cpo_platform = register(hub, cpo, "cpo")
        a_platform = register(hub, emsp_a, "emsp-a")
        register(hub, emsp_b, "emsp-b")
        make_location(cpo_platform)
        make_session(cpo_platform, a_platform, "SESS-1", receiver_party=("NL", "EMA"))
        base = cpo.hub_url("chargex-errors", "RECEIVER")

        private = record_body("ERR-S", session_id="SESS-1", code="CX020", source="USER", severity=7)
        assert cpo.call("PUT", f"{base}/NL/CPO/ERR-S", private).json()["status_code"] == 1000
        public = record_body("ERR-E", code="CX013", source="NETWORK")
        assert cpo.call("PUT", f"{base}/NL/CPO/ERR-E", public).json()["status_code"] == 1000

        emsp_a.wait_for(lambda rs: len([r for r in rs if r.module == "chargex-errors"]) >= 2, timeout=20)
        emsp_b.wait_for(lambda rs: len([r for r in rs if r.module == "chargex-errors"]) >= 1, timeout=20)
        wait_until_delivered()
        by_path = {r.path: r for r in error_puts(emsp_a)}
        assert by_path["/2.2.1/chargex-errors/NL/CPO/ERR-S"].body == private
        assert by_path["/2.2.1/chargex-errors/NL/CPO/ERR-S"].header("ocpi-from-party-id") == "CPO"
        assert [r.path for r in error_puts(emsp_b)] == ["/2.3.0/chargex-errors/NL/CPO/ERR-E"]
        listed_b = emsp_b.call("GET", emsp_b.hub_url("chargex-errors", "SENDER")).json()["data"]
        assert [item["id"] for item in listed_b] == ["ERR-E"]
