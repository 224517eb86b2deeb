"""Commands end to end over real HTTP: eMSP test party -> hub -> CPO test party, the CommandResponse relayed,
the CPO's CommandResult POSTed to the hub's rewritten response_url and delivered (real worker) to the eMSP's
original URL. docs/modules/commands.md describes the flow."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from commands.models import CommandRelay, CommandResultRecord
from ocpi_party.party import OcpiParty, Recorded, envelope
from parties.models import ConnectionStatus, Delivery, Platform
from tests.bodies import CPO_A, CPO_B, EMSP_X, EMSP_Y, location, session_body, token
from tests.factories import register
from tests.ocpi_schema import requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)

COMMAND_PATH = r"/commands/[A-Z_]+$"
SCHEMAS = {
    "START_SESSION": "StartSession",
    "STOP_SESSION": "StopSession",
    "RESERVE_NOW": "ReserveNow",
    "CANCEL_RESERVATION": "CancelReservation",
    "UNLOCK_CONNECTOR": "UnlockConnector",
}
ACCEPTED = {"result": "ACCEPTED", "timeout": 30}


def own_url(emsp: OcpiParty, command: str, ref: str = "ref-1") -> str:
    """A response_url of the eMSP's own (its commands SENDER interface)."""
    return f"{emsp.endpoint_url('commands', 'SENDER')}/{command}/{ref}"


def command_body(emsp: OcpiParty, command: str, *, ref: str = "ref-1", **changes: Any) -> dict[str, Any]:
    bodies: dict[str, dict[str, Any]] = {
        "START_SESSION": {"token": token(), "location_id": "LOC1", "evse_uid": "E1", "connector_id": "1"},
        "STOP_SESSION": {"session_id": "S1"},
        "RESERVE_NOW": {
            "token": token(),
            "expiry_date": (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "reservation_id": "R1",
            "location_id": "LOC1",
        },
        "CANCEL_RESERVATION": {"reservation_id": "R1"},
        "UNLOCK_CONNECTOR": {"location_id": "LOC1", "evse_uid": "E1", "connector_id": "1"},
    }
    return {"response_url": own_url(emsp, command, ref), **bodies[command], **changes}


def send(emsp: OcpiParty, command: str, body: dict[str, Any], **headers: str) -> Any:
    return emsp.call("POST", f"{emsp.hub_url('commands', 'RECEIVER')}/{command}", body, headers=dict(headers))


def answer_with(cpo: OcpiParty, data: Any, **kwargs: Any) -> None:
    cpo.on("POST", COMMAND_PATH, lambda rec: (200, envelope(1000, data, **kwargs)))


def results_at(emsp: OcpiParty, command: str, ref: str = "ref-1") -> list[Recorded]:
    return [r for r in emsp.requests_to("commands", "POST") if r.path.endswith(f"/{command}/{ref}")]


def routing_of(headers: Any) -> tuple[str | None, ...]:
    """(from country, from party, to country, to party) of lower-cased headers."""
    return tuple(
        headers.get(name)
        for name in ("ocpi-from-country-code", "ocpi-from-party-id", "ocpi-to-country-code", "ocpi-to-party-id")
    )


@contextlib.contextmanager
def connected(hub: Any, emsp_version: str, cpo_version: str) -> Iterator[tuple[OcpiParty, OcpiParty]]:
    """An eMSP (EMSP_X) and a CPO (CPO_A) registered with the hub; the CPO published LOC1."""
    with (
        OcpiParty(version=emsp_version, roles=[EMSP_X]) as emsp,
        OcpiParty(version=cpo_version, roles=[CPO_A]) as cpo,
    ):
        register(hub.url, emsp, "eMSP X")
        register(hub.url, cpo, "CPO A")
        url = f"{cpo.hub_url('locations', 'RECEIVER')}/NL/CPA/LOC1"
        assert cpo.call("PUT", url, location(owner=CPO_A)).json()["status_code"] == 1000
        yield emsp, cpo


def run_command(emsp: OcpiParty, cpo: OcpiParty, command: str, result: str = "ACCEPTED") -> None:
    """One command through the hub, checked on every hop; its result back at the eMSP's own URL."""
    emsp_v, cpo_v = emsp.version, cpo.version
    answer_with(cpo, {**ACCEPTED, "message": None})  # a null the hub must drop
    body = command_body(emsp, command)
    validate_object(emsp_v, SCHEMAS[command], body)
    request_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())

    response = send(emsp, command, body, **{"X-Request-ID": request_id, "X-Correlation-ID": correlation_id})

    assert (response.status_code, response.json()["status_code"]) == (200, 1000), response.text
    assert response.json()["data"] == ACCEPTED
    validate_object(emsp_v, "CommandResponse", response.json()["data"])
    assert routing_of({k.lower(): v for k, v in response.headers.items()}) == ("NL", "CPA", "NL", "EMX")
    assert response.headers["X-Request-ID"] == request_id
    forwarded = cpo.requests_to("commands", "POST")[-1]
    assert forwarded.path == f"/{cpo_v}/commands/{command}"
    validate_object(cpo_v, SCHEMAS[command], forwarded.body)
    hub_url = forwarded.body["response_url"]
    assert hub_url.startswith(f"{emsp.hub_versions_url.rsplit('/', 1)[0]}/{cpo_v}/sender/commands/{command}/")
    assert body["response_url"] not in hub_url
    assert {k: v for k, v in forwarded.body.items() if k != "response_url"} == {
        k: v for k, v in body.items() if k != "response_url"
    }
    assert routing_of(forwarded.headers) == ("NL", "EMX", "NL", "CPA")
    assert forwarded.header("x-correlation-id") == correlation_id
    assert forwarded.header("x-request-id") not in (None, request_id)

    posted = cpo.call("POST", hub_url, {"result": result})
    assert posted.json()["status_code"] == 1000, posted.text
    assert routing_of({k.lower(): v for k, v in posted.headers.items()}) == ("NL", "HUB", "NL", "CPA")

    delivered = emsp.wait_for(lambda _: bool(results_at(emsp, command)), timeout=20)
    assert delivered
    arrived = results_at(emsp, command)[-1]
    assert arrived.body == {"result": result}
    validate_object(emsp_v, "CommandResult", arrived.body)
    assert routing_of(arrived.headers) == ("NL", "CPA", "NL", "EMX")
    assert arrived.header("x-correlation-id") == correlation_id


@requires_openapi
@pytest.mark.parametrize(("emsp_version", "cpo_version"), [("2.2.1", "2.2.1"), ("2.3.0", "2.3.0"), ("2.2.1", "2.3.0")])
def test_every_command_end_to_end(hub, celery_worker, emsp_version, cpo_version):
    with connected(hub, emsp_version, cpo_version) as (emsp, cpo):
        sessions_url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/S1"
        assert cpo.call("PUT", sessions_url, session_body(cpo_version)).json()["status_code"] == 1000
        for command in ("START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR"):
            run_command(emsp, cpo, command)
        relays = CommandRelay.objects.all()
        assert relays.count() == 5
        assert set(relays.values_list("outcome", flat=True)) == {"ACCEPTED"}
        assert all(len(relay.key) >= 40 and not relay.key.isdigit() for relay in relays)


@requires_openapi
def test_a_230_emaid_token_reaches_a_221_cpo_as_other(hub):
    with connected(hub, "2.3.0", "2.2.1") as (emsp, cpo):
        answer_with(cpo, ACCEPTED)
        emaid = token(uid="NL-EMX-C12345678-X", token_type="EMAID")
        response = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION", token=emaid))
        assert response.json()["data"] == ACCEPTED
        forwarded = cpo.requests_to("commands", "POST")[-1].body
        assert forwarded["token"] == {**emaid, "type": "OTHER"}
        validate_object("2.2.1", "StartSession", forwarded)


def test_reserve_now_stays_open_for_a_later_canceled_reservation(hub, celery_worker):
    with connected(hub, "2.3.0", "2.2.1") as (emsp, cpo):
        answer_with(cpo, {"result": "ACCEPTED", "timeout": 5})
        send(emsp, "RESERVE_NOW", command_body(emsp, "RESERVE_NOW"))
        hub_url = cpo.requests_to("commands", "POST")[-1].body["response_url"]
        relay = CommandRelay.objects.get()
        assert relay.expires_at > timezone.now() + timedelta(minutes=59)  # the reservation's expiry, not 5 s

        assert cpo.call("POST", hub_url, {"result": "ACCEPTED"}).json()["status_code"] == 1000
        emsp.wait_for(lambda _: len(results_at(emsp, "RESERVE_NOW")) == 1, timeout=20)
        assert cpo.call("POST", hub_url, {"result": "CANCELED_RESERVATION"}).json()["status_code"] == 1000

        emsp.wait_for(lambda _: len(results_at(emsp, "RESERVE_NOW")) == 2, timeout=20)
        assert [r.body for r in results_at(emsp, "RESERVE_NOW")] == [
            {"result": "ACCEPTED"},
            {"result": "CANCELED_RESERVATION"},
        ]
        assert CommandRelay.objects.get().outcome == "CANCELED_RESERVATION"


def test_a_result_reaches_an_emsp_that_was_down_when_it_arrived(hub, celery_worker):
    with connected(hub, "2.2.1", "2.2.1") as (emsp, cpo):
        answer_with(cpo, ACCEPTED)
        send(emsp, "UNLOCK_CONNECTOR", command_body(emsp, "UNLOCK_CONNECTOR"))
        hub_url = cpo.requests_to("commands", "POST")[-1].body["response_url"]
        emsp.go_down()

        assert cpo.call("POST", hub_url, {"result": "FAILED"}).json()["status_code"] == 1000
        delivery = Delivery.objects.filter(module="commandresult")
        emsp.wait_for(lambda _: delivery.filter(attempts__gte=1).exists(), timeout=20)
        emsp.come_up()

        emsp.wait_for(lambda _: bool(results_at(emsp, "UNLOCK_CONNECTOR")), timeout=30)
        assert results_at(emsp, "UNLOCK_CONNECTOR")[-1].body == {"result": "FAILED"}


def test_results_from_another_platform_or_to_unknown_or_expired_urls_are_404(hub):
    with connected(hub, "2.2.1", "2.2.1") as (emsp, cpo), OcpiParty(version="2.2.1", roles=[CPO_B]) as other:
        register(hub.url, other, "CPO B")
        answer_with(cpo, ACCEPTED)
        send(emsp, "START_SESSION", command_body(emsp, "START_SESSION"))
        hub_url = cpo.requests_to("commands", "POST")[-1].body["response_url"]

        stranger = other.call("POST", hub_url, {"result": "ACCEPTED"})
        assert (stranger.status_code, stranger.json()["status_code"]) == (404, 2000)
        by_emsp = emsp.call("POST", hub_url.replace("/2.2.1/", f"/{emsp.version}/"), {"result": "ACCEPTED"})
        assert by_emsp.status_code == 404
        guessed = hub_url.rsplit("/", 1)[0] + "/" + secrets.token_urlsafe(32)
        assert cpo.call("POST", guessed, {"result": "ACCEPTED"}).status_code == 404
        other_command = hub_url.replace("/START_SESSION/", "/STOP_SESSION/")
        assert cpo.call("POST", other_command, {"result": "ACCEPTED"}).status_code == 404
        invalid = cpo.call("POST", hub_url, {"result": "MAYBE"}).json()
        assert invalid["status_code"] == 2001
        assert "result" in invalid["status_message"]
        CommandRelay.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        expired = cpo.call("POST", hub_url, {"result": "ACCEPTED"})
        assert (expired.status_code, expired.json()["status_code"]) == (404, 2000)

        assert CommandResultRecord.objects.count() == 0
        assert not Delivery.objects.filter(module="commandresult").exists()


def test_unknown_location_or_receiver_is_4001_saying_set_ocpi_to(hub):
    with connected(hub, "2.3.0", "2.3.0") as (emsp, cpo):
        answer_with(cpo, ACCEPTED)
        unknown = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION", location_id="NOWHERE"))
        body = unknown.json()
        assert body["status_code"] == 4001
        assert "OCPI-to" in body["status_message"]
        assert routing_of({k.lower(): v for k, v in unknown.headers.items()}) == ("NL", "HUB", "NL", "EMX")
        nobody = {"OCPI-to-country-code": "XX", "OCPI-to-party-id": "NOP"}
        assert send(emsp, "START_SESSION", command_body(emsp, "START_SESSION"), **nobody).json()["status_code"] == 4001
        stop = send(emsp, "STOP_SESSION", command_body(emsp, "STOP_SESSION", session_id="S404")).json()
        assert stop["status_code"] == 4001
        cancel = send(emsp, "CANCEL_RESERVATION", command_body(emsp, "CANCEL_RESERVATION")).json()
        assert cancel["status_code"] == 4001
        assert cpo.requests_to("commands") == []
        # OCPI-to naming the CPO routes even a location the hub does not know (the CPO answers for it)
        to_cpo = {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"}
        routed = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION", location_id="NOWHERE"), **to_cpo)
        assert routed.json()["status_code"] == 1000
        assert len(cpo.requests_to("commands", "POST")) == 1


def test_cpo_offline_is_4003_and_without_commands_interface_4000(hub):
    with connected(hub, "2.2.1", "2.2.1") as (emsp, cpo):
        cpo.go_down()
        assert send(emsp, "UNLOCK_CONNECTOR", command_body(emsp, "UNLOCK_CONNECTOR")).json()["status_code"] == 4003
        cpo.come_up()
        Platform.objects.filter(name="CPO A").update(status=ConnectionStatus.OFFLINE)
        cpo.clear_received()
        assert send(emsp, "UNLOCK_CONNECTOR", command_body(emsp, "UNLOCK_CONNECTOR")).json()["status_code"] == 4003
        assert cpo.requests_to("commands") == []
        assert set(CommandRelay.objects.values_list("outcome", flat=True)) == {"HUB_4003"}
    with (
        OcpiParty(version="2.2.1", roles=[EMSP_Y]) as emsp_y,
        OcpiParty(version="2.2.1", roles=[CPO_B], modules=[("locations", "SENDER")]) as bare,
    ):
        register(hub.url, emsp_y, "eMSP Y")
        register(hub.url, bare, "CPO B")
        to_bare = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "CPB"}
        body = command_body(emsp_y, "UNLOCK_CONNECTOR")
        assert send(emsp_y, "UNLOCK_CONNECTOR", body, **to_bare).json()["status_code"] == 4000


def test_cpo_slow_is_4002_and_no_result_is_invented(hub, settings, celery_worker):
    settings.OCPI_HUB_COMMAND_TIMEOUT = 0.3
    with connected(hub, "2.2.1", "2.3.0") as (emsp, cpo):
        cpo.respond_with(data=ACCEPTED, delay=1.5, method="POST", path_regex=COMMAND_PATH)
        body = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION")).json()
        assert body["status_code"] == 4002
        relay = CommandRelay.objects.get()
        assert relay.outcome == "HUB_4002"
        assert relay.expires_at <= timezone.now()
        hub_url = cpo.requests_to("commands", "POST")[-1].body["response_url"]
        assert cpo.call("POST", hub_url, {"result": "ACCEPTED"}).status_code == 404  # closed: no answer came
        assert not Delivery.objects.filter(module="commandresult").exists()
        assert results_at(emsp, "START_SESSION") == []


def test_token_of_another_emsp_is_2001_and_unknown_commands(hub):
    with connected(hub, "2.3.0", "2.3.0") as (emsp, cpo):
        answer_with(cpo, ACCEPTED)
        foreign = command_body(emsp, "START_SESSION", token=token(owner=EMSP_Y, issuer="eMSP X"))
        refused = send(emsp, "START_SESSION", foreign).json()
        assert refused["status_code"] == 2001
        assert refused["status_message"].startswith("token.")
        missing = send(emsp, "RESERVE_NOW", command_body(emsp, "RESERVE_NOW", expiry_date=None)).json()
        assert (missing["status_code"], "expiry_date" in missing["status_message"]) == (2001, True)
        future = send(emsp, "CHARGE_FASTER", {"response_url": own_url(emsp, "CHARGE_FASTER")}).json()
        assert (future["status_code"], future["data"]["result"]) == (1000, "NOT_SUPPORTED")
        old = emsp.call("POST", f"{emsp.hub_url('commands', 'RECEIVER')}/CHARGE_FASTER".replace("2.3.0", "2.2.1"), {})
        assert old.json()["status_code"] == 2001
        assert cpo.requests_to("commands") == []


def test_cpo_errors_are_relayed_and_malformed_answers_normalised_or_4000(hub):
    with connected(hub, "2.2.1", "2.2.1") as (emsp, cpo):
        cpo.on("POST", COMMAND_PATH, lambda rec: (200, envelope(2003, status_message="Unknown location at CPO")))
        error = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION"))
        assert (error.status_code, error.json()["status_code"]) == (200, 2003)
        assert error.json()["status_message"] == "Unknown location at CPO"
        assert routing_of({k.lower(): v for k, v in error.headers.items()}) == ("NL", "CPA", "NL", "EMX")

        answer_with(cpo, [{"result": "REJECTED", "timeout": 10, "message": None}])
        listed = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION")).json()
        assert (listed["status_code"], listed["data"]) == (1000, {"result": "REJECTED", "timeout": 10})

        answer_with(cpo, [ACCEPTED, ACCEPTED])
        two = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION")).json()
        assert two["status_code"] == 4000
        assert "list of 2" in two["status_message"]

        answer_with(cpo, {"result": "MAYBE", "timeout": 10})
        invalid = send(emsp, "START_SESSION", command_body(emsp, "START_SESSION")).json()
        assert invalid["status_code"] == 4000
        assert "result" in invalid["status_message"]
        assert "data" not in invalid
        assert CommandRelay.objects.filter(outcome="HUB_4000").count() == 2
