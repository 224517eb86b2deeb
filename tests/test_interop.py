"""Interoperability with real peers (issue 12): test parties that behave like the frameworks seen in the field.

- endpoint URLs listed with a trailing slash, and a 307 on the other form (FastAPI, Django APPEND_SLASH);
- ids that need percent-encoding in every outbound URL;
- envelopes on every method of every ``/ocpi/`` path (no CSRF page);
- 403 for the hub's token counted like 401.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
import requests

from ocpi_party.party import OcpiParty, Recorded, new_token
from parties.models import Delivery, DeliveryStatus, Platform
from parties.outbound import join_url
from parties.services.credentials import hub_register, platform_invite
from sessions.tests.charging import deliver_pending
from tests.bodies import CPO_A, CPO_ROLE, EMSP_X, cdr_body, evse, location, session_body, tariff
from tests.factories import register
from tests.ocpi_schema import requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)

AWKWARD_IDS = [".", "..", "A%41", "HH#frag", "HQ?x=1"]


def _redirect_to_slash(party: OcpiParty):
    """What FastAPI/Starlette answers on the form of a collection URL it does not list: 307 to the other form."""

    def answer(rec: Recorded) -> tuple[Any, ...]:
        return 307, b"", {"Location": f"{party.url}{rec.path}/", "Content-Type": "text/plain"}

    return answer


def _segments(rec: Recorded, after: str) -> list[str]:
    """The path segments of a received request after ``after``, each decoded on its own."""
    return [unquote(part) for part in rec.path.split(f"/{after}/", 1)[1].split("/")]


# --- 12.2: an envelope on every method of every /ocpi/ path -----------------------------------------------------

OCPI_PATHS = [
    "/ocpi",
    "/ocpi/",
    "/ocpi/unknown",
    "/ocpi/9.9.9/locations",
    "/ocpi/2.2.1/unknown/module",
    "/ocpi/2.3.0/receiver/locations",
    "/ocpi/versions",
    "/ocpi/2.2.1",
    "/ocpi/2.2.1/credentials",
    "/ocpi/2.3.0/receiver/locations/NL/CPO/L1",
    "/ocpi/2.3.0/sender/cdrs/",
]


@pytest.mark.parametrize("token", [None, "stranger"])
def test_every_method_on_every_ocpi_path_answers_an_envelope(hub, token):
    headers = {"Authorization": f"Token {token}"} if token else {}
    for path in OCPI_PATHS:
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            response = requests.request(method, hub.url + path, headers=headers, data=b"{}", timeout=10)
            where = f"{method} {path}: HTTP {response.status_code} {response.text[:80]!r}"
            assert response.headers["Content-Type"] == "application/json", where
            assert response.json()["status_code"] in (2000, 2001), where
            assert response.status_code in (401, 404, 405), where


# --- 12.1: one URL builder ---------------------------------------------------------------------------------------


def test_join_url_keeps_the_advertised_url_and_encodes_each_segment():
    assert join_url("http://e/ocpi/cdrs/") == "http://e/ocpi/cdrs/"
    assert join_url("http://e/ocpi/cdrs") == "http://e/ocpi/cdrs"
    assert join_url("http://e/locations/", "NL", "CPO", "L1") == "http://e/locations/NL/CPO/L1"
    assert join_url("http://e/locations", "NL", "CPO", "L1") == "http://e/locations/NL/CPO/L1"
    encoded = [join_url("http://e/l", value).rsplit("/", 1)[1] for value in AWKWARD_IDS + ["AB 12/x"]]
    assert encoded == ["%2E", "%2E%2E", "A%2541", "HH%23frag", "HQ%3Fx%3D1", "AB%2012%2Fx"]
    assert join_url("http://e/t/", "U 1", query={"type": "RFID"}) == "http://e/t/U%201?type=RFID"


def test_cdr_reaches_an_emsp_whose_endpoint_ends_in_a_slash(hub):
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X], trailing_slash=True) as emsp,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp, "eMSP X")
        emsp.on("*", r"/cdrs$", _redirect_to_slash(emsp))
        assert cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), cdr_body()).status_code == 201

        assert deliver_pending("cdrs") == ["succeeded"]
        [posted] = emsp.requests_to("cdrs", "POST")
        assert (posted.path, posted.response_status, posted.body["id"]) == ("/2.3.0/cdrs/", 200, "CDR1")


def test_a_redirect_is_a_retryable_failure_and_is_never_followed(hub):
    with (
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
        OcpiParty(version="2.3.0", roles=[EMSP_X]) as emsp,
    ):
        register(hub.url, cpo, "CPO A")
        register(hub.url, emsp, "eMSP X")
        emsp.on("*", r"/cdrs$", _redirect_to_slash(emsp))
        cpo.call("POST", cpo.hub_url("cdrs", "RECEIVER"), cdr_body())

        assert deliver_pending("cdrs") == ["retry"]
        delivery = Delivery.objects.get(module="cdrs")
        assert (delivery.status, delivery.last_http_status) == (DeliveryStatus.PENDING, 307)
        assert delivery.last_error == f"HTTP 307: redirect to {emsp.url}/2.3.0/cdrs/ not followed"
        assert [rec.path for rec in emsp.requests_to("cdrs")] == ["/2.3.0/cdrs"]


def test_ids_that_need_encoding_arrive_intact_as_one_segment(hub):
    with (
        OcpiParty(version="2.3.0", roles=[CPO_ROLE]) as cpo,
        OcpiParty(version="2.2.1", roles=[{**EMSP_X, "party_id": "EMA"}], trailing_slash=True) as emsp,
    ):
        register(hub.url, cpo, "CPO NL")
        register(hub.url, emsp, "eMSP A")
        for location_id in AWKWARD_IDS:
            body = location(location_id, evses=[evse("E1")])
            url = join_url(cpo.hub_url("locations", "RECEIVER"), "NL", "CPO", location_id)
            assert cpo.call("PUT", url, body).json()["status_code"] == 1000, location_id

        assert deliver_pending("locations") == ["succeeded"] * len(AWKWARD_IDS)
        received = [_segments(rec, "locations") for rec in emsp.requests_to("locations", "PUT")]
        assert sorted(received) == sorted(["NL", "CPO", location_id] for location_id in AWKWARD_IDS)


def test_session_pushes_and_the_preferences_relay_encode_the_session_id(parties):
    cpo, emsp, _ = parties
    cpo.respond_with(data="ACCEPTED", path_regex="charging_preferences$")
    preferences = {"profile_type": "FAST", "departure_time": "2024-05-01T18:00:00Z", "energy_need": 30}
    for session_id in AWKWARD_IDS:
        url = join_url(cpo.hub_url("sessions", "RECEIVER"), "NL", "CPA", session_id)
        assert cpo.call("PUT", url, session_body(session_id=session_id)).json()["status_code"] == 1000
        relay = join_url(emsp.hub_url("sessions", "SENDER"), session_id, "charging_preferences")
        assert emsp.call("PUT", relay, preferences).json()["data"] == "ACCEPTED", session_id

    assert deliver_pending("sessions") == ["succeeded"] * len(AWKWARD_IDS)
    pushed = [_segments(rec, "sessions") for rec in emsp.requests_to("sessions", "PUT")]
    assert sorted(pushed) == sorted(["NL", "CPA", session_id] for session_id in AWKWARD_IDS)
    relayed = [_segments(rec, "sessions/sender") for rec in cpo.requests_to("sessions", "PUT")]
    assert sorted(relayed) == sorted([session_id, "charging_preferences"] for session_id in AWKWARD_IDS)


def test_token_pushes_encode_the_uid_and_keep_the_type_query(hub):
    emsp_role = {"role": "EMSP", "country_code": "DE", "party_id": "TNM"}
    with (
        OcpiParty(version="2.2.1", roles=[emsp_role]) as emsp,
        OcpiParty(version="2.2.1", roles=[CPO_A], trailing_slash=True) as cpo,
    ):
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        for uid in AWKWARD_IDS:
            token = {
                **{key: emsp_role[key] for key in ("country_code", "party_id")},
                "uid": uid,
                "type": "RFID",
                "contract_id": "DE8ACC12E46L89",
                "issuer": "TNM",
                "valid": True,
                "whitelist": "ALLOWED",
                "last_updated": "2024-03-01T10:00:00Z",
            }
            url = join_url(emsp.hub_url("tokens", "RECEIVER"), "DE", "TNM", uid, query={"type": "RFID"})
            assert emsp.call("PUT", url, token).json()["status_code"] == 1000, uid

        assert deliver_pending("tokens") == ["succeeded"] * len(AWKWARD_IDS)
        pushed = cpo.requests_to("tokens", "PUT")
        assert sorted(_segments(rec, "tokens") for rec in pushed) == sorted(["DE", "TNM", uid] for uid in AWKWARD_IDS)
        assert {rec.query["type"][0] for rec in pushed} == {"RFID"}


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("PATCH", "locations/NL/CPO/" + "L" * 37, "location_id"),
        ("PATCH", "locations/NL/CPO/LOC1/%C3%891", "evse_uid"),
        ("PUT", "tariffs/NL/CPO/T%01", "tariff_id"),
        ("PATCH", "sessions/NL/CPOX/S1", "party_id"),
        ("GET", "cdrs/NL/CPO/" + "C" * 40, "cdr_id"),
    ],
)
def test_ids_in_the_url_that_cannot_be_a_cistring_are_2001(cpo, method, path, name):
    url = cpo.hub_url("locations", "RECEIVER").replace("locations", path)
    body = {"last_updated": "2024-05-01T12:00:00Z"}
    response = cpo.call(method, url, body)

    assert (response.status_code, response.json()["status_code"]) == (200, 2001)
    assert response.json()["status_message"].startswith(f"{name} (URL): must be a CiString(")


# --- 12.4: 403 to the hub's token counts like 401 ------------------------------------------------------------


def test_a_receiver_answering_403_to_the_hubs_token_is_flagged_for_attention(hub, cpo, settings):
    settings.OCPI_HUB_UNAUTHORIZED_FLAG_AFTER = 2
    with OcpiParty(version="2.2.1", roles=[{**EMSP_X, "party_id": "EMA"}], unknown_token_status=403) as emsp:
        platform = register(hub.url, emsp, "eMSP A")
        emsp.token_b = new_token()  # the eMSP no longer knows the token the hub calls it with
        for number in (1, 2):
            body = location(f"LOC{number}", evses=[evse("E1")])
            cpo.call("PUT", join_url(cpo.hub_url("locations", "RECEIVER"), "NL", "CPO", f"LOC{number}"), body)
            assert deliver_pending("locations") == ["failed"]
            platform.refresh_from_db()
            assert (platform.unauthorized_count, platform.needs_attention) == (number, number == 2)
        assert platform.attention_reason == "answered HTTP 401/403 to 2 or more pushes in a row"
        assert {rec.response_status for rec in emsp.requests_to("locations")} == {403}


# --- 12.3: custom modules only for platforms that opted in ---------------------------------------------------


def _details(party: OcpiParty, version: str) -> dict[str, Any]:
    return party.call("GET", f"{party.hub_versions_url.rsplit('/', 1)[0]}/{version}").json()["data"]


def _identifiers(details: dict[str, Any]) -> set[str]:
    return {endpoint["identifier"] for endpoint in details["endpoints"]}


@requires_openapi
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_a_platform_that_did_not_opt_in_sees_only_standard_modules(hub, version):
    with OcpiParty(version=version, roles=[EMSP_X]) as emsp:
        register(hub.url, emsp, "eMSP X")
        assert ("chargex-errors", "SENDER") not in emsp.hub_endpoints  # nor during the registration
        details = _details(emsp, version)

    validate_object(version, "VersionDetails", details)  # the official ModuleID enum, strictly
    assert "chargex-errors" not in _identifiers(details)
    assert {"credentials", "locations", "sessions", "cdrs", "tokens"} <= _identifiers(details)


def test_a_platform_listing_chargex_errors_sees_the_module_after_registration(hub):
    modules = [("sessions", "RECEIVER"), ("chargex-errors", "RECEIVER")]
    with OcpiParty(version="2.3.0", roles=[EMSP_X], modules=modules) as emsp:
        register(hub.url, emsp, "eMSP X")
        endpoints = _details(emsp, "2.3.0")["endpoints"]

    ours = {(item["role"], item["url"].rsplit("/ocpi/", 1)[1]) for item in endpoints}
    assert {("RECEIVER", "2.3.0/receiver/chargex-errors"), ("SENDER", "2.3.0/sender/chargex-errors")} <= ours


def test_an_admin_opt_in_advertises_the_module_from_the_first_discovery(hub):
    platform, token_a = platform_invite(name="CPO A")
    Platform.objects.filter(pk=platform.pk).update(extension_opt_in=True)
    with OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        cpo.register_with(f"{hub.url}/ocpi/versions", token_a)
        assert cpo.hub_url("chargex-errors", "RECEIVER").endswith("/ocpi/2.2.1/receiver/chargex-errors")
        assert "chargex-errors" in _identifiers(_details(cpo, "2.2.1"))


# --- 12.6: one status-code rule for new objects on the receiver interfaces ---------------------------------------


def test_a_put_answers_http_200_whether_the_object_is_new_or_replaced(hub):
    emsp_role = {"role": "EMSP", "country_code": "DE", "party_id": "TNM"}
    with (
        OcpiParty(version="2.3.0", roles=[CPO_ROLE, emsp_role]) as party,
    ):
        register(hub.url, party, "CPO and eMSP")
        token = {
            "country_code": "DE",
            "party_id": "TNM",
            "uid": "U1",
            "type": "RFID",
            "contract_id": "DE8ACC12E46L89",
            "issuer": "TNM",
            "valid": True,
            "whitelist": "ALLOWED",
            "last_updated": "2024-03-01T10:00:00Z",
        }
        pushes = [
            (join_url(party.hub_url("tokens", "RECEIVER"), "DE", "TNM", "U1"), token),
            (join_url(party.hub_url("locations", "RECEIVER"), "NL", "CPO", "LOC1"), location("LOC1")),
            (join_url(party.hub_url("tariffs", "RECEIVER"), "NL", "CPO", "T1"), tariff("T1")),
        ]
        for url, body in pushes * 2:  # new, then replaced
            headers = {"OCPI-from-country-code": body["country_code"], "OCPI-from-party-id": body["party_id"]}
            response = party.call("PUT", url, body, headers=headers)
            assert (response.status_code, response.json()["status_code"]) == (200, 1000), url


# --- tolerances: envelopes as real peers send them ---------------------------------------------------------------

OTHER_TIMESTAMPS = ["2024-05-01T12:00:00+00:00", "2024-05-01T12:00:00.123456Z", "2024-05-01t12:00:00z"]


def _loose(status: int, data: Any, stamp: str) -> tuple[Any, ...]:
    """An envelope without status_message, with another RFC 3339 timestamp form."""
    return status, {"status_code": 1000, "data": data, "timestamp": stamp}


@pytest.mark.parametrize("stamp", OTHER_TIMESTAMPS)
def test_a_party_answering_its_version_details_as_a_list_registers(hub, stamp):
    with OcpiParty(version="2.2.1", roles=[EMSP_X]) as emsp:
        emsp.on("GET", r"/versions$", lambda rec: _loose(200, emsp._versions_data(), stamp))
        emsp.on("GET", r"/details$", lambda rec: _loose(200, [emsp._details_data("2.2.1")], stamp))
        platform = register(hub.url, emsp, "eMSP X")

    assert platform.status == "CONNECTED"
    assert platform.endpoint_url("cdrs", "RECEIVER") == emsp.endpoint_url("cdrs")


def test_the_hub_registering_with_a_party_reads_list_shaped_credentials(hub):
    with OcpiParty(version="2.3.0", roles=[CPO_A]) as cpo:

        def answer(rec: Recorded) -> tuple[Any, ...]:
            reply = cpo._credentials_answer(rec)
            return _loose(reply.http_status, [reply.body["data"]], OTHER_TIMESTAMPS[0])

        cpo.on("POST", r"/credentials$", answer)
        platform = hub_register(versions_url=cpo.versions_url, token_a=cpo.issue_token_a(), name="CPO A")

        assert (platform.status, platform.token_out) == ("CONNECTED", cpo.token_b)
        assert [(role.country_code, role.party_id) for role in platform.roles.all()] == [("NL", "CPA")]


def test_lower_case_cistring_ids_are_the_same_ids(hub):
    lower = {"role": "CPO", "country_code": "nl", "party_id": "cpo"}
    with OcpiParty(version="2.3.0", roles=[lower]) as cpo:
        register(hub.url, cpo, "CPO nl")
        body = location("loc1", owner=lower, evses=[evse("e1")])
        base = cpo.hub_url("locations", "RECEIVER")
        assert cpo.call("PUT", join_url(base, "nl", "cpo", "loc1"), body).json()["status_code"] == 1000

        stored = cpo.call("GET", join_url(base, "NL", "CPO", "LOC1")).json()
        assert (stored["status_code"], stored["data"]["id"]) == (1000, "loc1")
        patch = {"status": "CHARGING", "last_updated": "2024-05-01T13:00:00Z"}
        assert cpo.call("PATCH", join_url(base, "NL", "CPO", "LOC1", "E1"), patch).json()["status_code"] == 1000


@pytest.mark.parametrize("stamp", OTHER_TIMESTAMPS)
def test_push_answers_without_status_message_and_other_timestamps_succeed(hub, cpo, stamp):
    with OcpiParty(version="2.2.1", roles=[{**EMSP_X, "party_id": "EMA"}]) as emsp:
        register(hub.url, emsp, "eMSP A")
        emsp.respond_with(raw_body=f'{{"status_code": 1000, "timestamp": "{stamp}"}}'.encode())
        url = join_url(cpo.hub_url("locations", "RECEIVER"), "NL", "CPO", "LOC1")
        cpo.call("PUT", url, location("LOC1", evses=[evse("E1")]))

        assert deliver_pending("locations") == ["succeeded"]
