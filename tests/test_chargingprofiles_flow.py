"""ChargingProfiles end to end over real HTTP: an eMSP (or SCSP) sets, gets and clears the profile of a Session
through the hub, the CPO's results come back through the hub's response_url (real worker), and the CPO's later
ActiveChargingProfile update reaches the party that set the profile. docs/modules/chargingprofiles.md."""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from chargingprofiles.models import ChargingProfileRelay, ChargingProfileResultRecord
from ocpi_party.party import OcpiParty, Recorded, envelope
from parties.models import ConnectionStatus, Delivery, Platform
from tests.bodies import CPO_A, CPO_B, EMSP_X, EMSP_Y, session_body
from tests.factories import register
from tests.ocpi_schema import requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)

SCSP = {"role": "SCSP", "country_code": "NL", "party_id": "SCS", "business_details": {"name": "Smart charging"}}
PROFILE_PATH = r"/chargingprofiles/S1$"
ACCEPTED = {"result": "ACCEPTED", "timeout": 30}
PROFILE = {
    "charging_rate_unit": "W",
    "min_charging_rate": 1000.0,
    "charging_profile_period": [{"start_period": 0, "limit": 11000.0}, {"start_period": 1800, "limit": 7400.0}],
}
ACTIVE = {"start_date_time": "2024-05-01T10:05:00Z", "charging_profile": PROFILE}
EMSP_MODULES = [("sessions", "RECEIVER"), ("chargingprofiles", "SENDER")]
CPO_MODULES = [("sessions", "SENDER"), ("locations", "SENDER"), ("chargingprofiles", "RECEIVER")]


def lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def routing_of(headers: dict[str, str]) -> tuple[str | None, ...]:
    names = ("ocpi-from-country-code", "ocpi-from-party-id", "ocpi-to-country-code", "ocpi-to-party-id")
    return tuple(headers.get(name) for name in names)


def own_url(party: OcpiParty, ref: str) -> str:
    return f"{party.endpoint_url('chargingprofiles', 'SENDER')}/results/{ref}"


def profile_url(party: OcpiParty, session_id: str = "S1", **query: str) -> str:
    url = f"{party.hub_url('chargingprofiles', 'RECEIVER')}/{session_id}"
    return f"{url}?{urlencode(query)}" if query else url


def arrived(party: OcpiParty, ref: str) -> list[Recorded]:
    return [r for r in party.requests_to("chargingprofiles", "POST") if r.path.endswith(f"/results/{ref}")]


@contextlib.contextmanager
def connected(hub: Any, emsp_version: str, cpo_version: str) -> Iterator[tuple[OcpiParty, OcpiParty]]:
    """eMSP X and CPO A registered; CPO A's Session S1 routed to eMSP X; the CPO accepts every request."""
    with (
        OcpiParty(version=emsp_version, roles=[EMSP_X], modules=EMSP_MODULES) as emsp,
        OcpiParty(version=cpo_version, roles=[CPO_A], modules=CPO_MODULES) as cpo,
    ):
        register(hub.url, emsp, "eMSP X")
        register(hub.url, cpo, "CPO A")
        url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/CPA/S1"
        assert cpo.call("PUT", url, session_body(cpo_version)).json()["status_code"] == 1000
        cpo.on("*", PROFILE_PATH, lambda rec: (200, envelope(1000, ACCEPTED)))
        yield emsp, cpo


def result_back(emsp: OcpiParty, cpo: OcpiParty, hub_url: str, ref: str, result: dict[str, Any], schema: str) -> None:
    """The CPO POSTs a result to the hub's response_url; it reaches the eMSP's own URL (checked hop by hop)."""
    posted = cpo.call("POST", hub_url, result)
    assert posted.json()["status_code"] == 1000, posted.text
    emsp.wait_for(lambda _: bool(arrived(emsp, ref)), timeout=20)
    delivered = arrived(emsp, ref)[-1]
    assert delivered.body == result
    validate_object(emsp.version, schema, delivered.body)
    assert routing_of(delivered.headers) == ("NL", "CPA", "NL", "EMX")


@requires_openapi
@pytest.mark.parametrize(("emsp_version", "cpo_version"), [("2.2.1", "2.2.1"), ("2.3.0", "2.2.1")])
def test_set_get_clear_round_trips_and_the_active_profile_update(hub, celery_worker, emsp_version, cpo_version):
    with connected(hub, emsp_version, cpo_version) as (emsp, cpo):
        correlation_id = str(uuid.uuid4())
        body = {"charging_profile": PROFILE, "response_url": own_url(emsp, "set")}
        validate_object(emsp_version, "SetChargingProfile", body)

        response = emsp.call("PUT", profile_url(emsp), body, headers={"X-Correlation-ID": correlation_id})

        assert (response.json()["status_code"], response.json()["data"]) == (1000, ACCEPTED)
        validate_object(emsp_version, "ChargingProfileResponse", response.json()["data"])
        assert routing_of(lower(response.headers)) == ("NL", "CPA", "NL", "EMX")
        forwarded = cpo.requests_to("chargingprofiles", "PUT")[-1]
        assert forwarded.path == f"/{cpo_version}/chargingprofiles/S1"
        validate_object(cpo_version, "SetChargingProfile", forwarded.body)
        assert forwarded.body["charging_profile"] == PROFILE
        assert forwarded.body["response_url"].startswith(f"{hub.url}/ocpi/{cpo_version}/sender/chargingprofiles/S1/")
        assert routing_of(forwarded.headers) == ("NL", "EMX", "NL", "CPA")
        assert forwarded.header("x-correlation-id") == correlation_id
        result_back(emsp, cpo, forwarded.body["response_url"], "set", {"result": "ACCEPTED"}, "ChargingProfileResult")

        got = emsp.call("GET", profile_url(emsp, duration="900", response_url=own_url(emsp, "get"))).json()
        assert (got["status_code"], got["data"]) == (1000, ACCEPTED)
        asked = cpo.requests_to("chargingprofiles", "GET")[-1]
        assert asked.query["duration"] == ["900"]
        hub_url = asked.query["response_url"][0]
        assert hub_url.startswith(f"{hub.url}/ocpi/{cpo_version}/sender/chargingprofiles/S1/")
        active_result = {"result": "ACCEPTED", "profile": ACTIVE}
        result_back(emsp, cpo, hub_url, "get", active_result, "ActiveChargingProfileResult")

        cleared = emsp.call("DELETE", profile_url(emsp, response_url=own_url(emsp, "clear"))).json()
        assert cleared["status_code"] == 1000
        hub_url = cpo.requests_to("chargingprofiles", "DELETE")[-1].query["response_url"][0]
        result_back(emsp, cpo, hub_url, "clear", {"result": "ACCEPTED"}, "ClearProfileResult")

        update = cpo.call("PUT", f"{cpo.hub_url('chargingprofiles', 'SENDER')}/S1", ACTIVE)
        assert update.json()["status_code"] == 1000, update.text
        assert routing_of(lower(update.headers)) == ("NL", "EMX", "NL", "CPA")
        pushed = [r for r in emsp.requests_to("chargingprofiles", "PUT") if r.path.endswith("/sender/S1")][-1]
        assert pushed.body == ACTIVE
        validate_object(emsp_version, "ActiveChargingProfile", pushed.body)
        assert routing_of(pushed.headers) == ("NL", "CPA", "NL", "EMX")
        assert set(ChargingProfileRelay.objects.values_list("method", "outcome")) == {
            ("PUT", "ACCEPTED"),
            ("GET", "ACCEPTED"),
            ("DELETE", "ACCEPTED"),
        }


def test_only_the_sessions_emsp_or_an_scsp_naming_the_cpo(hub):
    with (
        connected(hub, "2.2.1", "2.2.1") as (emsp, cpo),
        OcpiParty(version="2.2.1", roles=[EMSP_Y], modules=EMSP_MODULES) as emsp_y,
        OcpiParty(version="2.3.0", roles=[SCSP], modules=[("chargingprofiles", "SENDER")]) as scsp,
    ):
        register(hub.url, emsp_y, "eMSP Y")
        register(hub.url, scsp, "SCSP")
        body = {"charging_profile": PROFILE, "response_url": own_url(emsp_y, "set")}
        other = emsp_y.call("PUT", profile_url(emsp_y), body)
        assert other.json()["status_code"] == 4001
        assert routing_of(lower(other.headers)) == ("NL", "HUB", "DE", "EMY")
        assert scsp.call("PUT", profile_url(scsp), body).json()["status_code"] == 4001  # no OCPI-to
        assert cpo.requests_to("chargingprofiles") == []

        to_cpo = {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "CPA"}
        routed = scsp.call("PUT", profile_url(scsp), {**body, "response_url": own_url(scsp, "set")}, headers=to_cpo)
        assert routed.json()["status_code"] == 1000
        assert routing_of(cpo.requests_to("chargingprofiles", "PUT")[-1].headers) == ("NL", "SCS", "NL", "CPA")

        no_duration = emsp.call("GET", profile_url(emsp, response_url=own_url(emsp, "get"))).json()
        assert (no_duration["status_code"], no_duration["status_message"].startswith("duration")) == (2001, True)
        no_url = emsp.call("DELETE", profile_url(emsp)).json()
        assert (no_url["status_code"], no_url["status_message"].startswith("response_url")) == (2001, True)
        bad = emsp.call("PUT", profile_url(emsp), {"charging_profile": {"charging_rate_unit": "kW"}}).json()
        assert bad["status_code"] == 2001
        assert "charging_profile.charging_rate_unit" in bad["status_message"]
        never_set = cpo.call("PUT", f"{cpo.hub_url('chargingprofiles', 'SENDER')}/S2", ACTIVE).json()
        assert never_set["status_code"] == 4001


def test_results_from_another_platform_or_to_unknown_urls_are_404(hub):
    with connected(hub, "2.2.1", "2.2.1") as (emsp, cpo), OcpiParty(version="2.2.1", roles=[CPO_B]) as other:
        register(hub.url, other, "CPO B")
        emsp.call("PUT", profile_url(emsp), {"charging_profile": PROFILE, "response_url": own_url(emsp, "set")})
        hub_url = cpo.requests_to("chargingprofiles", "PUT")[-1].body["response_url"]
        assert other.call("POST", hub_url, {"result": "ACCEPTED"}).status_code == 404
        assert cpo.call("POST", hub_url.replace("/S1/", "/S2/"), {"result": "ACCEPTED"}).status_code == 404
        guessed = hub_url.rsplit("/", 1)[0] + "/" + secrets.token_urlsafe(32)
        assert cpo.call("POST", guessed, {"result": "ACCEPTED"}).json()["status_code"] == 2000
        assert cpo.call("POST", hub_url, {"result": "MAYBE"}).json()["status_code"] == 2001
        assert ChargingProfileResultRecord.objects.count() == 0
        assert not Delivery.objects.filter(module="chargingprofileresult").exists()


def test_cpo_slow_is_4002_offline_4003_and_malformed_answers_4000(hub, settings):
    settings.OCPI_HUB_COMMAND_TIMEOUT = 0.3
    with connected(hub, "2.3.0", "2.3.0") as (emsp, cpo):
        body = {"charging_profile": PROFILE, "response_url": own_url(emsp, "set")}
        cpo.on("*", PROFILE_PATH, lambda rec: (200, envelope(1000, [{**ACCEPTED, "timeout": None}])))
        assert emsp.call("PUT", profile_url(emsp), body).json()["status_code"] == 4000  # timeout is required
        cpo.on("*", PROFILE_PATH, lambda rec: (200, envelope(1000, [ACCEPTED])))
        assert emsp.call("PUT", profile_url(emsp), body).json()["data"] == ACCEPTED  # one-element list: its object
        cpo.clear_handlers()
        cpo.respond_with(data=ACCEPTED, delay=1.5, path_regex=PROFILE_PATH)
        assert emsp.call("PUT", profile_url(emsp), body).json()["status_code"] == 4002
        cpo.go_down()
        assert emsp.call("PUT", profile_url(emsp), body).json()["status_code"] == 4003
        cpo.come_up()
        Platform.objects.filter(name="CPO A").update(status=ConnectionStatus.SUSPENDED)
        assert emsp.call("PUT", profile_url(emsp), body).json()["status_code"] == 4003
        assert list(ChargingProfileRelay.objects.order_by("created_at").values_list("outcome", flat=True)) == [
            "HUB_4000",
            "ACCEPTED",
            "HUB_4002",
            "HUB_4003",
        ]
