"""Roaming agreements end to end over real HTTP (routing policy ``agreements``, real worker): CPO A has an
agreement with eMSP X and none with eMSP Y. Pushes, GETs, real-time authorize, commands, CDRs and the
back-fill on activation all follow the agreement; agreements are on roles, not platforms."""

from __future__ import annotations

import time
from typing import Any

import pytest

from cdrs.models import Cdr
from ocpi_party.party import OcpiParty, envelope
from parties.models import Delivery
from parties.services.agreements import agreement_activate, agreement_create, agreement_suspend
from parties.services.credentials import platform_invite
from sessions.models import Session
from tests.bodies import CPO_A, CPO_B, EMSP_X, EMSP_Y, cdr_body, cdr_token, location, session_body, tariff, token
from tests.factories import register

pytestmark = pytest.mark.django_db(transaction=True)

CPO_A2 = {"role": "CPO", "country_code": "NL", "party_id": "CPZ", "business_details": {"name": "CPO A's second brand"}}
AUTHORIZE = r"/tokens/sender/[^/]+/authorize$"


def _push_location(cpo: OcpiParty, owner: dict[str, Any], location_id: str = "LOC1") -> None:
    url = f"{cpo.hub_url('locations', 'RECEIVER')}/{owner['country_code']}/{owner['party_id']}/{location_id}"
    assert cpo.call("PUT", url, location(location_id, owner=owner)).json()["status_code"] == 1000


def _push_tariff(cpo: OcpiParty, owner: dict[str, Any], tariff_id: str = "T1") -> None:
    url = f"{cpo.hub_url('tariffs', 'RECEIVER')}/{owner['country_code']}/{owner['party_id']}/{tariff_id}"
    body = tariff(tariff_id, owner=owner, version=cpo.version)
    assert cpo.call("PUT", url, body).json()["status_code"] == 1000


def _push_token(emsp: OcpiParty, token: dict[str, Any]) -> None:
    base = emsp.hub_url("tokens", "RECEIVER")
    url = f"{base}/{token['country_code']}/{token['party_id']}/{token['uid']}?type=RFID"
    assert emsp.call("PUT", url, token).json()["status_code"] == 1000


def _ids(party: OcpiParty, module: str) -> set[str]:
    return {r.path.rsplit("/", 1)[-1] for r in party.requests_to(module, "PUT")}


def _listed(party: OcpiParty, module: str) -> list[str]:
    response = party.call("GET", party.hub_url(module, "SENDER"))
    body = response.json()
    assert body["status_code"] == 1000, body
    return sorted(item.get("id") or item["uid"] for item in body["data"])


def _queued_for(name: str, module: str) -> set[str]:
    return set(Delivery.objects.filter(receiver__name=name, module=module).values_list("object_key", flat=True))


def test_only_parties_with_an_agreement_see_each_other(hub, agreements):
    with (
        OcpiParty(version="2.3.0", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        register(hub.url, emsp_y, "eMSP Y")
        agreement_create(cpo="NL/CPA", emsp="NL/EMX", activate=True)

        # Locations and Tariffs: to X only; Y's GETs show none of A's.
        _push_tariff(cpo, CPO_A)
        _push_location(cpo, CPO_A)
        emsp_x.wait_for(lambda rs: "LOC1" in _ids(emsp_x, "locations") and "T1" in _ids(emsp_x, "tariffs"))
        assert _queued_for("eMSP Y", "locations") == _queued_for("eMSP Y", "tariffs") == set()
        assert _listed(emsp_x, "locations") == ["LOC1"]
        assert _listed(emsp_x, "tariffs") == ["T1"]
        assert _listed(emsp_y, "locations") == []
        assert _listed(emsp_y, "tariffs") == []
        by_id = emsp_y.call("GET", f"{emsp_y.hub_url('locations', 'SENDER')}/LOC1").json()
        assert by_id["status_code"] != 1000

        # Tokens: X's reach A, Y's do not (neither pushed nor listed).
        tokx = token(EMSP_X, "TOKX")
        _push_token(emsp_x, tokx)
        _push_token(emsp_y, token(EMSP_Y, "TOKY"))
        cpo.wait_for(lambda rs: "TOKX" in _ids(cpo, "tokens"))
        assert _queued_for("CPO A", "tokens") == {"NL/EMX/TOKX/RFID"}
        assert _listed(cpo, "tokens") == ["TOKX"]

        # Real-time authorize: for Y's token refused with 4001 naming the agreement, X's forwarded.
        emsp_x.on("POST", AUTHORIZE, lambda rec: (200, envelope(1000, {"allowed": "ALLOWED", "token": tokx})))
        refused = cpo.call("POST", f"{cpo.hub_url('tokens', 'SENDER')}/TOKY/authorize?type=RFID").json()
        assert refused["status_code"] == 4001
        assert "No roaming agreement between CPO NL/CPA and eMSP DE/EMY" in refused["status_message"]
        assert emsp_y.requests_to("tokens", "POST") == []
        allowed = cpo.call("POST", f"{cpo.hub_url('tokens', 'SENDER')}/TOKX/authorize?type=RFID").json()
        assert allowed["status_code"] == 1000, allowed
        assert len(emsp_x.requests_to("tokens", "POST")) == 1

        # Commands to A's location: from Y refused, from X forwarded.
        cpo.on(
            "POST",
            r"/commands/START_SESSION$",
            lambda rec: (200, envelope(1000, {"result": "ACCEPTED", "timeout": 30})),
        )

        def start(emsp: OcpiParty, owner: dict[str, Any], uid: str) -> dict[str, Any]:
            body = {
                "response_url": f"{emsp.endpoint_url('commands', 'SENDER')}/START_SESSION/r1",
                "token": token(owner, uid),
                "location_id": "LOC1",
                "evse_uid": "E1",
                "connector_id": "1",
            }
            return emsp.call("POST", f"{emsp.hub_url('commands', 'RECEIVER')}/START_SESSION", body).json()

        refused = start(emsp_y, EMSP_Y, "TOKY")
        assert refused["status_code"] == 4001
        assert "No roaming agreement" in refused["status_message"]
        assert start(emsp_x, EMSP_X, "TOKX")["status_code"] == 1000
        assert len(cpo.requests_to("commands", "POST")) == 1


def test_a_cdr_without_agreement_is_stored_flagged_and_not_forwarded(hub, agreements):
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        register(hub.url, emsp_y, "eMSP Y")
        agreement_create(cpo="NL/CPA", emsp="NL/EMX", activate=True)
        url = cpo.hub_url("cdrs", "RECEIVER")
        to_y = cdr_body("2.2.1", cdr_id="CDRY", cdr_token=cdr_token(EMSP_Y))
        assert cpo.call("POST", url, to_y).json()["status_code"] == 1000
        assert cpo.call("POST", url, cdr_body("2.2.1", cdr_id="CDRX")).json()["status_code"] == 1000
        emsp_x.wait_for(lambda rs: len(emsp_x.requests_to("cdrs", "POST")) == 1)

        held = Cdr.objects.get(cdr_id="CDRY")
        assert held.no_agreement
        assert held.receiver_party_id == "EMY"
        assert not Cdr.objects.get(cdr_id="CDRX").no_agreement
        assert _queued_for("eMSP Y", "cdrs") == set()
        listed = emsp_y.call("GET", emsp_y.hub_url("cdrs", "SENDER")).json()
        assert listed["data"] == []

        sessions = cpo.hub_url("sessions", "RECEIVER")
        held_session = session_body("2.2.1", session_id="SY", cdr_token=cdr_token(EMSP_Y))
        assert cpo.call("PUT", f"{sessions}/NL/CPA/SY", held_session).json()["status_code"] == 1000
        assert (
            cpo.call("PUT", f"{sessions}/NL/CPA/SX", session_body("2.2.1", session_id="SX")).json()["status_code"]
            == 1000
        )
        emsp_x.wait_for(lambda rs: len(emsp_x.requests_to("sessions", "PUT")) == 1)
        assert Session.objects.get(session_id="SY").no_agreement
        assert not Session.objects.get(session_id="SX").no_agreement
        assert emsp_y.call("GET", emsp_y.hub_url("sessions", "SENDER")).json()["data"] == []
        time.sleep(1.0)  # the worker had time to send anything queued
        assert emsp_y.requests_to("cdrs") == []
        assert emsp_y.requests_to("sessions") == []


def test_credentials_and_client_info_list_only_agreed_parties(hub, agreements):
    """2.3.0: the hub's credentials list the parties reachable through it; under agreements, only the agreed
    ones. HubClientInfo follows: GET lists only them, and a suspended agreement shows the CPO SUSPENDED."""
    with (
        OcpiParty(version="2.3.0", roles=[CPO_A]) as cpo_a,
        OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo_b,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
    ):
        register(hub.url, cpo_a, "CPO A")
        register(hub.url, cpo_b, "CPO B")
        agreement = agreement_create(cpo="NL/CPA", emsp="NL/EMX", activate=True)  # before X is connected
        credentials = emsp_x.register_with(f"{hub.url}/ocpi/versions", platform_invite(name="eMSP X")[1])
        roles = {(r["country_code"], r["party_id"], r["role"]) for r in credentials["roles"]}
        assert roles == {("NL", "HUB", "OTHER"), ("NL", "CPA", "CPO")}
        listed = emsp_x.call("GET", emsp_x.hub_url("hubclientinfo", "SENDER")).json()["data"]
        assert [(info["country_code"], info["party_id"]) for info in listed] == [("NL", "CPA")]

        def infos(status: str) -> list[Any]:
            return [r for r in emsp_x.requests_to("hubclientinfo", "PUT") if r.body and r.body["status"] == status]

        emsp_x.wait_for(lambda rs: any(r.path.endswith("/NL/CPA") for r in infos("CONNECTED")))
        assert agreement_suspend(agreement=agreement)
        emsp_x.wait_for(lambda rs: any(r.path.endswith("/NL/CPA") for r in infos("SUSPENDED")))
        assert not any(r.path.endswith("/DE/CPB") for r in emsp_x.requests_to("hubclientinfo"))  # never agreed
        assert emsp_x.call("GET", emsp_x.hub_url("hubclientinfo", "SENDER")).json()["data"] == []


def test_activating_back_fills_and_suspending_stops_pushes(hub, agreements):
    with (
        OcpiParty(version="2.3.0", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        _push_tariff(cpo, CPO_A)
        _push_location(cpo, CPO_A)
        _push_token(emsp_x, token(EMSP_X, "TOKX"))
        assert _queued_for("eMSP X", "locations") == _queued_for("CPO A", "tokens") == set()  # no agreement yet

        agreement = agreement_create(cpo="NL/CPA", emsp="NL/EMX")
        assert _queued_for("eMSP X", "locations") == set()  # proposed: nothing flows
        assert agreement_activate(agreement=agreement) == 3
        emsp_x.wait_for(lambda rs: "LOC1" in _ids(emsp_x, "locations") and "T1" in _ids(emsp_x, "tariffs"))
        cpo.wait_for(lambda rs: "TOKX" in _ids(cpo, "tokens"))
        tariff_put = next(r for r in emsp_x.requests_to("tariffs", "PUT"))
        location_put = next(r for r in emsp_x.requests_to("locations", "PUT"))
        assert tariff_put.received_at <= location_put.received_at  # Tariffs first: Connectors refer to them

        assert agreement_suspend(agreement=agreement)
        _push_location(cpo, CPO_A, "LOC2")
        assert not Delivery.objects.filter(object_key="NL/CPA/LOC2").exists()  # the push reaches nobody
        time.sleep(1.0)
        assert "LOC2" not in _ids(emsp_x, "locations")
        assert _listed(emsp_x, "locations") == []


def test_agreements_are_on_roles_not_platforms(hub, agreements):
    """One CPO platform with two CPO roles; the agreement names one of them."""
    with (
        OcpiParty(version="2.3.0", roles=[CPO_A, CPO_A2]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        agreement_create(cpo="NL/CPA", emsp="NL/EMX", activate=True)
        _push_location(cpo, CPO_A, "LOCA")
        _push_location(cpo, CPO_A2, "LOCZ")
        emsp_x.wait_for(lambda rs: "LOCA" in _ids(emsp_x, "locations"))
        assert _queued_for("eMSP X", "locations") == {"NL/CPA/LOCA"}
        assert _listed(emsp_x, "locations") == ["LOCA"]

        # An agreement on the second role back-fills that role's Locations only.
        agreement_create(cpo="NL/CPZ", emsp="NL/EMX", activate=True)
        emsp_x.wait_for(lambda rs: "LOCZ" in _ids(emsp_x, "locations"))
        assert _listed(emsp_x, "locations") == ["LOCA", "LOCZ"]
        assert len([r for r in emsp_x.requests_to("locations", "PUT") if r.path.endswith("/LOCA")]) == 1


def test_policy_open_routes_everyone_without_agreements(hub, celery_worker):
    with (
        OcpiParty(version="2.3.0", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp_x,
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp_x, "eMSP X")
        register(hub.url, emsp_y, "eMSP Y")
        _push_location(cpo, CPO_A)
        for emsp in (emsp_x, emsp_y):
            emsp.wait_for(lambda rs, emsp=emsp: "LOC1" in _ids(emsp, "locations"))
            assert _listed(emsp, "locations") == ["LOC1"]
