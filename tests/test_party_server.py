"""Tests of the OCPI test party server (ocpi_party/party.py). Pure pytest, no Django."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ocpi_party.party import OcpiParty, OcpiPartyError, Recorded, auth_header, envelope

CPO_ROLE = {"role": "CPO", "country_code": "DE", "party_id": "CPO", "business_details": {"name": "Test CPO"}}
HUB_ROLE = {"role": "HUB", "country_code": "NL", "party_id": "HUB", "business_details": {"name": "Fake hub"}}


@pytest.fixture
def party() -> Iterator[OcpiParty]:
    with OcpiParty() as p:
        yield p


@pytest.fixture
def peer() -> Iterator[OcpiParty]:
    """A second party, playing the hub's side where needed."""
    with OcpiParty(roles=[HUB_ROLE], versions=["2.2.1", "2.3.0"]) as p:
        yield p


def get(url: str, token: str | None, *, raw: bool = False, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = auth_header(token, raw)
    return requests.get(url, headers=headers, timeout=5, **kwargs)


def send(method: str, url: str, token: str, body: Any = None, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": auth_header(token), **kwargs.pop("headers", {})}
    return requests.request(method, url, json=body, headers=headers, timeout=5, **kwargs)


def credentials_body(target: OcpiParty, token: str | None = None) -> dict[str, Any]:
    """A Credentials object pointing at ``target``'s versions (so ``target`` answers the callback)."""
    return {"token": token or target.token_b, "url": target.versions_url, "roles": [HUB_ROLE]}


def assert_envelope(response: requests.Response, status_code: int) -> dict[str, Any]:
    body = response.json()
    assert body["status_code"] == status_code
    assert body["timestamp"].endswith("Z")
    return body


# ---- versions / details / authorization ---------------------------------------------------------


def test_versions_and_details_with_token_b(party: OcpiParty) -> None:
    versions = assert_envelope(get(party.versions_url, party.token_b), 1000)["data"]
    assert versions == [{"version": "2.2.1", "url": party.details_url("2.2.1")}]

    details = assert_envelope(get(versions[0]["url"], party.token_b), 1000)["data"]
    assert details["version"] == "2.2.1"
    endpoints = {(e["identifier"], e["role"]): e["url"] for e in details["endpoints"]}
    assert ("credentials", "SENDER") in endpoints
    assert endpoints[("locations", "RECEIVER")] == f"{party.url}/2.2.1/locations"
    assert endpoints[("tokens", "SENDER")] == f"{party.url}/2.2.1/tokens/sender"
    assert len(set(endpoints.values())) == len(endpoints)


def test_cpo_default_modules_and_multiple_versions() -> None:
    with OcpiParty(roles=[CPO_ROLE], versions=["2.2.1", "2.3.0"]) as cpo:
        versions = get(cpo.versions_url, cpo.token_b).json()["data"]
        assert [v["version"] for v in versions] == ["2.2.1", "2.3.0"]
        details = get(cpo.details_url("2.3.0"), cpo.token_b).json()["data"]
    roles = {(e["identifier"], e["role"]) for e in details["endpoints"]}
    assert {("locations", "SENDER"), ("tokens", "RECEIVER"), ("commands", "RECEIVER")} <= roles
    assert details["version"] == "2.3.0"


def test_token_a_only_on_configuration_endpoints(party: OcpiParty) -> None:
    token_a = party.issue_token_a()
    assert get(party.versions_url, token_a).status_code == 200
    assert get(party.details_url(), token_a).status_code == 200
    assert get(party.credentials_url, token_a).status_code == 200

    response = get(party.endpoint_url("locations"), token_a)
    assert response.status_code == 401
    assert_envelope(response, 2000)
    assert party.requests_to("locations")[-1].authorized is False


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_missing_or_wrong_token_is_401_and_recorded(party: OcpiParty, token: str | None) -> None:
    response = get(party.versions_url, token, headers={"X-Request-ID": "req-1", "X-Correlation-ID": "cor-1"})
    assert response.status_code == 401
    assert_envelope(response, 2000)
    assert response.headers["X-Request-ID"] == "req-1"
    assert response.headers["X-Correlation-ID"] == "cor-1"
    [rec] = party.requests_to("versions")
    assert rec.authorized is False
    assert rec.response_status == 401


def test_malformed_authorization_headers_are_rejected(party: OcpiParty) -> None:
    for value in ["Bearer x", "Token", f"Token {party.token_b}", "Token !!notbase64!!"]:
        response = requests.get(party.versions_url, headers={"Authorization": value}, timeout=5)
        assert response.status_code == 401, value


def test_base64_mode_rejects_raw_token(party: OcpiParty) -> None:
    assert get(party.versions_url, party.token_b, raw=True).status_code == 401
    assert get(party.versions_url, party.token_b).status_code == 200
    assert party.received[-1].token == party.token_b


def test_raw_token_mode() -> None:
    with OcpiParty(raw_tokens=True) as raw_party:
        assert get(raw_party.versions_url, raw_party.token_b, raw=True).status_code == 200
        assert get(raw_party.versions_url, raw_party.token_b).status_code == 401
        # and it sends raw tokens itself
        with OcpiParty(raw_tokens=True) as other:
            response = raw_party.call("GET", other.versions_url, token=other.token_b)
            assert response.status_code == 200
            assert other.received[-1].headers["authorization"] == f"Token {other.token_b}"


def test_base64_token_with_trailing_newline_is_accepted(party: OcpiParty) -> None:
    encoded = base64.b64encode(f"{party.token_b}\n".encode()).decode()
    response = requests.get(party.versions_url, headers={"Authorization": f"Token {encoded}"}, timeout=5)
    assert response.status_code == 200


# ---- module endpoints: recording, scripted answers, custom handlers ----------------------------


def test_default_module_answer_and_recording(party: OcpiParty) -> None:
    url = party.endpoint_url("locations") + "/DE/CPO/LOC1?foo=bar&foo=baz"
    headers = {
        "X-Request-ID": "r1",
        "X-Correlation-ID": "c1",
        "OCPI-from-country-code": "DE",
        "OCPI-from-party-id": "CPO",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "EMS",
    }
    response = send("PUT", url, party.token_b, {"id": "LOC1"}, headers=headers)

    assert response.status_code == 200
    body = assert_envelope(response, 1000)
    assert "data" not in body
    assert response.headers["X-Request-ID"] == "r1"
    assert response.headers["X-Correlation-ID"] == "c1"
    assert response.headers["OCPI-from-party-id"] == "EMS"
    assert response.headers["OCPI-to-country-code"] == "DE"
    assert response.headers["OCPI-to-party-id"] == "CPO"
    [rec] = party.requests_to("locations", "put")
    assert rec.path == "/2.2.1/locations/DE/CPO/LOC1"
    assert rec.query == {"foo": ["bar", "baz"]}
    assert rec.body == {"id": "LOC1"}
    assert rec.headers["ocpi-to-party-id"] == "EMS"
    assert (rec.version, rec.interface, rec.authorized) == ("2.2.1", "RECEIVER", True)
    assert rec.status_code == 1000
    assert party.requests_to("locations", "GET") == []


def test_sender_interface_is_recognised(party: OcpiParty) -> None:
    get(party.endpoint_url("tokens", "SENDER") + "?offset=0", party.token_b)
    [rec] = party.requests_to("tokens")
    assert (rec.module, rec.interface, rec.query) == ("tokens", "SENDER", {"offset": ["0"]})


def test_invalid_json_body_is_recorded_raw(party: OcpiParty) -> None:
    response = requests.post(
        party.endpoint_url("cdrs"),
        data=b"{not json",
        headers={"Authorization": auth_header(party.token_b), "Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 400
    assert_envelope(response, 2001)
    [rec] = party.requests_to("cdrs")
    assert (rec.body, rec.raw_body, rec.json_error) == (None, b"{not json", True)


def test_respond_with_queue(party: OcpiParty) -> None:
    party.respond_with(status_code=2001, status_message="bad", times=2)
    party.respond_with(http_status=500, status_code=3000, times=1)
    url = party.endpoint_url("sessions") + "/DE/CPO/S1"

    answers = [send("PUT", url, party.token_b, {}) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 500, 200]
    assert [r.json()["status_code"] for r in answers] == [2001, 2001, 3000, 1000]
    assert answers[0].json()["status_message"] == "bad"
    assert [rec.response_status for rec in party.requests_to("sessions")] == [200, 200, 500, 200]


def test_respond_with_data_forever_and_filters(party: OcpiParty) -> None:
    party.respond_with(data=[{"id": "T1"}], method="GET", path_regex=r"/tokens/")
    for _ in range(3):
        assert get(party.endpoint_url("tokens", "SENDER"), party.token_b).json()["data"] == [{"id": "T1"}]
    assert "data" not in send("POST", party.endpoint_url("tokens", "SENDER"), party.token_b, {}).json()
    party.clear_responses()
    assert "data" not in get(party.endpoint_url("tokens", "SENDER"), party.token_b).json()


def test_respond_with_delay(party: OcpiParty) -> None:
    party.respond_with(delay=0.4, times=1)
    start = time.monotonic()
    get(party.endpoint_url("locations"), party.token_b)
    assert time.monotonic() - start >= 0.4
    start = time.monotonic()
    get(party.endpoint_url("locations"), party.token_b)
    assert time.monotonic() - start < 0.3


def test_respond_with_does_not_touch_configuration_endpoints(party: OcpiParty) -> None:
    party.respond_with(http_status=503, status_code=3000)
    assert get(party.versions_url, party.token_b).status_code == 200
    assert get(party.endpoint_url("cdrs"), party.token_b).status_code == 503


def test_on_custom_handler(party: OcpiParty) -> None:
    seen: list[Recorded] = []

    def authorize(rec: Recorded) -> tuple[int, dict[str, Any], dict[str, str]]:
        seen.append(rec)
        uid = rec.path.split("/")[-2]
        return (
            200,
            {"status_code": 1000, "data": {"allowed": "ALLOWED", "token": {"uid": uid}}},
            {"X-Extra": "1"},
        )

    party.on("POST", r"/tokens/sender/[^/]+/authorize$", authorize)
    party.respond_with(status_code=2000)  # handlers take precedence over scripts
    url = party.endpoint_url("tokens", "SENDER") + "/TOK123/authorize?type=RFID"

    response = send("POST", url, party.token_b, {"location_id": "LOC1"})

    assert response.status_code == 200
    body = assert_envelope(response, 1000)
    assert body["data"]["token"]["uid"] == "TOK123"
    assert response.headers["X-Extra"] == "1"
    assert seen[0].query == {"type": ["RFID"]}
    assert seen[0].body == {"location_id": "LOC1"}


def test_on_handler_failure_gives_500(party: OcpiParty) -> None:
    def broken(rec: Recorded) -> tuple[int, dict[str, Any]]:
        raise ValueError("boom")

    party.on("*", r"/commands/", broken)
    response = send("POST", party.endpoint_url("commands", "SENDER") + "/START_SESSION/1", party.token_b, {})
    assert response.status_code == 500
    assert_envelope(response, 3000)
    assert isinstance(party.errors[0], ValueError)


def test_on_handler_can_break_versions(party: OcpiParty) -> None:
    party.on("GET", r"^/versions$", lambda rec: (503, {"status_code": 3000}))
    response = get(party.versions_url, party.token_b)
    assert response.status_code == 503
    assert_envelope(response, 3000)


# ---- availability ------------------------------------------------------------------------------


def test_go_down_and_come_up_on_same_port(party: OcpiParty) -> None:
    url, port = party.versions_url, party.port
    session = requests.Session()
    session.headers["Authorization"] = auth_header(party.token_b)
    assert session.get(url, timeout=5).status_code == 200  # keeps a connection open

    party.go_down()
    assert not party.is_up
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    with pytest.raises(requests.ConnectionError):
        session.get(url, timeout=5)

    party.come_up()
    assert party.port == port
    assert party.versions_url == url
    assert session.get(url, timeout=5).status_code == 200
    session.close()


def test_go_down_aborts_in_flight_request(party: OcpiParty) -> None:
    party.respond_with(delay=2.0)
    errors: list[BaseException] = []

    def slow_call() -> None:
        try:
            get(party.endpoint_url("locations"), party.token_b)
        except requests.RequestException as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow_call)
    thread.start()
    party.wait_for(lambda reqs: len(reqs) == 1, timeout=5)
    party.go_down()
    thread.join(timeout=5)
    assert len(errors) == 1


def test_stop_is_fast_with_open_keepalive_connection() -> None:
    party = OcpiParty().start()
    session = requests.Session()
    assert session.get(party.versions_url, headers={"Authorization": auth_header(party.token_b)}).ok
    start = time.monotonic()
    party.stop()
    assert time.monotonic() - start < 1.0
    session.close()


def test_url_requires_start() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = OcpiParty().url


# ---- wait_for ----------------------------------------------------------------------------------


def test_wait_for_returns_when_request_arrives(party: OcpiParty) -> None:
    timer = threading.Timer(0.2, get, args=(party.endpoint_url("cdrs"), party.token_b))
    timer.start()
    received = party.wait_for(lambda reqs: any(r.module == "cdrs" for r in reqs), timeout=5)
    assert received[-1].module == "cdrs"
    timer.join()
    assert len(party.wait_for_requests("cdrs", "GET")) == 1


def test_wait_for_timeout_has_summary(party: OcpiParty) -> None:
    get(party.endpoint_url("tariffs"), None)
    with pytest.raises(AssertionError, match=r"GET /2\.2\.1/tariffs -> 401/2000 UNAUTHORIZED"):
        party.wait_for(lambda reqs: False, timeout=0.1)


# ---- client side -------------------------------------------------------------------------------


def test_call_adds_ocpi_headers(party: OcpiParty, peer: OcpiParty) -> None:
    party.token_c = peer.token_b
    response = party.call("PUT", peer.endpoint_url("locations") + "/NL/EMS/L1", {"id": "L1"})
    assert response.status_code == 200
    [rec] = peer.requests_to("locations", "PUT")
    assert rec.headers["authorization"] == auth_header(peer.token_b)
    assert rec.headers["x-request-id"] == response.headers["X-Request-ID"]
    assert rec.headers["x-correlation-id"]
    assert rec.headers["content-type"] == "application/json"
    assert (rec.headers["ocpi-from-country-code"], rec.headers["ocpi-from-party-id"]) == ("NL", "EMS")
    assert "ocpi-to-party-id" not in rec.headers

    party.call("GET", peer.endpoint_url("locations"), headers={"OCPI-to-party-id": "HUB", "X-Request-ID": None})
    rec = peer.requests_to("locations", "GET")[0]
    assert rec.headers["ocpi-to-party-id"] == "HUB"
    assert "x-request-id" not in rec.headers


def test_call_without_token_c_raises(party: OcpiParty) -> None:
    with pytest.raises(OcpiPartyError, match="no token_c"):
        party.call("GET", party.versions_url)


# ---- credentials: the hub registers with the party (party is the receiver) -------------------------


def fake_hub_registers(party: OcpiParty, hub: OcpiParty, token_a: str) -> requests.Response:
    """Minimal initiator: discover ``party`` with token A, then POST credentials pointing at ``hub``."""
    versions = assert_envelope(get(party.versions_url, token_a), 1000)["data"]
    details = assert_envelope(get(versions[-1]["url"], token_a), 1000)["data"]
    [cred_url] = [e["url"] for e in details["endpoints"] if e["identifier"] == "credentials"]
    return send("POST", cred_url, token_a, credentials_body(hub))


def test_credentials_receiver_flow(party: OcpiParty, peer: OcpiParty) -> None:
    token_a = party.issue_token_a()
    old_token_b = party.token_b

    response = fake_hub_registers(party, peer, token_a)

    data = assert_envelope(response, 1000)["data"]
    assert data["token"] == party.token_b != old_token_b
    assert data["url"] == party.versions_url
    assert data["roles"][0]["party_id"] == "EMS"
    # the party called the "hub" back with the token it was given, and stored its endpoints
    assert [r.path for r in peer.requests_to("versions")] == ["/versions", "/2.2.1/details"]
    assert all(r.authorized for r in peer.received)
    assert party.token_c == party.hub_token == peer.token_b
    assert party.hub_version == "2.2.1"
    assert party.hub_credentials is not None
    assert party.hub_credentials["roles"] == [HUB_ROLE]
    assert party.hub_url("credentials", "SENDER") == peer.credentials_url
    assert party.registered
    # token A is dead, the new token B works, the old one does not
    assert get(party.versions_url, token_a).status_code == 401
    assert get(party.versions_url, old_token_b).status_code == 401
    assert get(party.versions_url, party.token_b).status_code == 200
    # and the party can now call the "hub" with token C
    assert party.call("GET", party.hub_url("hubclientinfo", "RECEIVER")).status_code == 200
    assert peer.requests_to("hubclientinfo")[0].authorized


def test_credentials_post_twice_is_405(party: OcpiParty, peer: OcpiParty) -> None:
    fake_hub_registers(party, peer, party.issue_token_a())
    response = send("POST", party.credentials_url, party.token_b, credentials_body(peer))
    assert response.status_code == 405


def test_credentials_put_and_delete_need_registration(party: OcpiParty, peer: OcpiParty) -> None:
    assert send("PUT", party.credentials_url, party.token_b, credentials_body(peer)).status_code == 405
    assert send("DELETE", party.credentials_url, party.token_b).status_code == 405


def test_credentials_put_rotates_and_delete_unregisters(party: OcpiParty, peer: OcpiParty) -> None:
    fake_hub_registers(party, peer, party.issue_token_a())
    token_b = party.token_b
    peer_new_token = "rotated-hub-token"
    peer.token_b = peer_new_token  # the "hub" rotates its own token, then tells the party

    response = send("PUT", party.credentials_url, token_b, credentials_body(peer))

    data = assert_envelope(response, 1000)["data"]
    assert data["token"] == party.token_b != token_b
    assert party.token_c == peer_new_token
    assert get(party.versions_url, token_b).status_code == 401

    response = send("DELETE", party.credentials_url, party.token_b)
    assert_envelope(response, 1000)
    assert not party.registered
    assert party.token_c is None
    assert party.hub_endpoints == {}


def test_credentials_callback_failure_is_3001(party: OcpiParty, peer: OcpiParty) -> None:
    token_a = party.issue_token_a()
    body = credentials_body(peer, token="not-the-peer-token")

    response = send("POST", party.credentials_url, token_a, body)

    assert response.status_code == 200
    assert_envelope(response, 3001)
    assert peer.received[0].authorized is False
    assert not party.registered
    assert party.token_c is None
    assert get(party.versions_url, token_a).status_code == 200  # token A still usable


def test_credentials_callback_unreachable_is_3001(party: OcpiParty, peer: OcpiParty) -> None:
    peer.go_down()
    response = send("POST", party.credentials_url, party.issue_token_a(), credentials_body(peer))
    assert_envelope(response, 3001)


def test_credentials_unsupported_version_is_3002(party: OcpiParty) -> None:
    with OcpiParty(roles=[HUB_ROLE], version="2.3.0") as hub:
        response = send("POST", party.credentials_url, party.issue_token_a(), credentials_body(hub))
    assert_envelope(response, 3002)


def test_credentials_invalid_body(party: OcpiParty, peer: OcpiParty) -> None:
    token_a = party.issue_token_a()
    response = send("POST", party.credentials_url, token_a, {"url": peer.versions_url, "roles": [HUB_ROLE]})
    assert_envelope(response, 2001)
    assert peer.received == []


# ---- credentials: the party registers with a "hub" (party is the initiator) -------------------------


def test_register_update_unregister(party: OcpiParty, peer: OcpiParty) -> None:
    hub_token_a = peer.issue_token_a()

    hub_credentials = party.register_with(peer.versions_url, hub_token_a)

    assert hub_credentials["token"] == peer.token_b == party.token_c
    assert party.hub_credentials == hub_credentials
    assert peer.token_c == party.token_b  # the "hub" called us back and stored our token
    assert party.hub_version == "2.2.1"  # highest mutual version
    assert party.hub_url("locations", "RECEIVER") == peer.endpoint_url("locations")
    assert all(r.authorized for r in party.received)

    old_c, old_b = party.token_c, party.token_b
    updated = party.update_credentials()
    assert updated["token"] == party.token_c == peer.token_b != old_c
    assert party.token_b != old_b
    assert peer.token_c == party.token_b
    assert get(party.versions_url, old_b).status_code == 401

    response = party.unregister()
    assert response.status_code == 200
    assert not party.registered
    assert not peer.registered
    assert party.token_c is None


def test_register_with_highest_mutual_version(peer: OcpiParty) -> None:
    with OcpiParty(version="2.3.0", versions=["2.2.1", "2.3.0"]) as party:
        party.register_with(peer.versions_url, peer.issue_token_a())
        assert party.hub_version == "2.3.0"
        assert peer.hub_version == "2.3.0"
        assert peer.requests_to("credentials", "POST")[0].path == "/2.3.0/credentials"


def test_register_with_wrong_token_a_raises(party: OcpiParty, peer: OcpiParty) -> None:
    peer.issue_token_a()
    with pytest.raises(OcpiPartyError, match=r"GET versions.*HTTP 401"):
        party.register_with(peer.versions_url, "bad-token")
    assert party.token_c is None


def test_register_with_rejected_post_raises(party: OcpiParty, peer: OcpiParty) -> None:
    peer.on("POST", r"/credentials$", lambda rec: (200, envelope(3003, status_message="no endpoints")))
    with pytest.raises(OcpiPartyError, match="POST credentials.*status_code 3003"):
        party.register_with(peer.versions_url, peer.issue_token_a())
    assert not party.registered


def test_update_credentials_failure_keeps_old_token(party: OcpiParty, peer: OcpiParty) -> None:
    party.register_with(peer.versions_url, peer.issue_token_a())
    old_b = party.token_b
    peer.on("PUT", r"/credentials$", lambda rec: (200, envelope(3001)))
    with pytest.raises(OcpiPartyError):
        party.update_credentials()
    assert party.token_b == old_b
    assert get(party.versions_url, old_b).status_code == 200
