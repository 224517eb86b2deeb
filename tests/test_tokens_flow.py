"""Tokens end to end over real HTTP: eMSPs push, the hub stores and broadcasts to every CPO (real worker),
CPOs pull, and real-time authorization is routed live from a CPO to the owning eMSP."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from ocpi_party.party import OcpiParty, Recorded, envelope
from parties.models import ConnectionStatus, Delivery, DeliveryStatus, Platform
from tests import bodies
from tests.factories import register
from tests.ocpi_schema import example_path, requires_examples, requires_openapi, validate_object
from tokens.models import Token

pytestmark = pytest.mark.django_db(transaction=True)

EMSP = {"role": "EMSP", "country_code": "DE", "party_id": "TNM", "business_details": {"name": "TNM"}}
EMSP_NL = {"role": "EMSP", "country_code": "NL", "party_id": "TNM", "business_details": {"name": "TNM NL"}}
CPO_A = {"role": "CPO", "country_code": "DE", "party_id": "CPA", "business_details": {"name": "CPO A"}}
CPO_B = {"role": "CPO", "country_code": "FR", "party_id": "CPB", "business_details": {"name": "CPO B"}}
AUTHORIZE = r"/tokens/sender/[^/]+/authorize$"
Headers = dict[str, str | None]


def _token(uid: str = "12345678905880", token_type: str = "RFID", **fields: Any) -> dict[str, Any]:
    """The official examples' token (DE/TNM, issued by TheNewMotion)."""
    defaults = {"contract_id": "DE8ACC12E46L89", "issuer": "TheNewMotion", "last_updated": "2024-03-01T10:00:00Z"}
    return bodies.token(EMSP, uid, token_type, **{**defaults, **fields})


def _example(version: str, name: str) -> dict[str, Any]:
    path = example_path(version, name)
    assert path is not None, name
    return json.loads(path.read_text())


def _token_url(party: OcpiParty, token: dict[str, Any]) -> str:
    base = party.hub_url("tokens", "RECEIVER")
    return f"{base}/{token['country_code']}/{token['party_id']}/{token['uid']}?type={token['type']}"


def _put(emsp: OcpiParty, token: dict[str, Any]) -> dict[str, Any]:
    response = emsp.call("PUT", _token_url(emsp, token), token)
    assert response.status_code == 200, response.text
    return response.json()


def _authorize_url(cpo: OcpiParty, uid: str, token_type: str = "RFID") -> str:
    return f"{cpo.hub_url('tokens', 'SENDER')}/{uid}/authorize?type={token_type}"


def _puts_of(party: OcpiParty, uid: str) -> list[Recorded]:
    return [r for r in party.requests_to("tokens", "PUT") if r.path.endswith(f"/{uid}")]


# --- push: eMSP -> hub -> every CPO ------------------------------------------------------------------


@requires_openapi
def test_tokens_reach_every_cpo_in_its_version(hub, celery_worker):
    with (
        OcpiParty(version="2.3.0", roles=[EMSP]) as emsp,
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo221,
        OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo230,
    ):
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo221, "CPO 2.2.1")
        register(hub.url, cpo230, "CPO 2.3.0")
        rfid, emaid = _token(), _token(uid="DE-TNM-C12345678-X", token_type="EMAID", whitelist="NEVER")
        assert _put(emsp, rfid)["status_code"] == 1000
        assert _put(emsp, emaid)["status_code"] == 1000

        cpo230.wait_for(lambda rs: len(_puts_of(cpo230, rfid["uid"])) == len(_puts_of(cpo230, emaid["uid"])) == 1)
        cpo221.wait_for(lambda rs: len(_puts_of(cpo221, rfid["uid"])) == 1, timeout=20)
        emaid_to_221 = Delivery.objects.filter(receiver__name="CPO 2.2.1", object_key="DE/TNM/DE-TNM-C12345678-X/EMAID")
        cpo221.wait_for(lambda rs: emaid_to_221.filter(status=DeliveryStatus.SUCCEEDED).exists(), timeout=20)
        assert _puts_of(cpo221, emaid["uid"]) == []  # 2.2.1 has no EMAID: never sent

        pushed = _puts_of(cpo221, rfid["uid"])[0]
        assert pushed.path == f"/2.2.1/tokens/DE/TNM/{rfid['uid']}"
        assert pushed.query == {"type": ["RFID"]}
        assert pushed.body == rfid
        assert (pushed.header("ocpi-from-country-code"), pushed.header("ocpi-from-party-id")) == ("NL", "HUB")
        assert (pushed.header("ocpi-to-country-code"), pushed.header("ocpi-to-party-id")) == ("DE", "CPA")
        validate_object("2.2.1", "token", pushed.body)
        pushed_emaid = _puts_of(cpo230, emaid["uid"])[0]
        assert pushed_emaid.body == emaid
        assert pushed_emaid.query == {"type": ["EMAID"]}
        validate_object("2.3.0", "token", pushed_emaid.body)
        validate_object("2.3.0", "token", _puts_of(cpo230, rfid["uid"])[0].body)

        patch = {"valid": False, "last_updated": "2024-03-02T10:00:00Z"}
        assert emsp.call("PATCH", _token_url(emsp, rfid), patch).json()["status_code"] == 1000
        cpo221.wait_for(lambda rs: len(_puts_of(cpo221, rfid["uid"])) == 2, timeout=20)
        assert _puts_of(cpo221, rfid["uid"])[1].body == {**rfid, **patch}  # a PATCH is pushed as the full state


def test_a_targeted_push_reaches_only_the_cpo_named_in_ocpi_to(hub, celery_worker):
    """ocpi/ocpi #507/#508: OCPI-to naming one CPO (not the hub) sends the Token to that CPO only, and keeps it
    out of the other CPOs' GET of all Tokens; a later push without OCPI-to makes it a broadcast Token."""
    with (
        OcpiParty(version="2.3.0", roles=[EMSP]) as emsp,
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo_a,
        OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo_b,
    ):
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo_a, "CPO A")
        register(hub.url, cpo_b, "CPO B")
        token = _token(uid="ONLY-FOR-A")
        to_a = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "CPA"}

        response = emsp.call("PUT", _token_url(emsp, token), token, headers=to_a)

        assert response.json()["status_code"] == 1000, response.text
        cpo_a.wait_for(lambda rs: len(_puts_of(cpo_a, token["uid"])) == 1, timeout=20)
        pushed = _puts_of(cpo_a, token["uid"])[0]
        assert (pushed.header("ocpi-from-country-code"), pushed.header("ocpi-from-party-id")) == ("DE", "TNM")
        assert (pushed.header("ocpi-to-country-code"), pushed.header("ocpi-to-party-id")) == ("DE", "CPA")
        assert Delivery.objects.filter(module="tokens").count() == 1  # nothing queued for CPO B
        listed_b = cpo_b.call("GET", cpo_b.hub_url("tokens", "SENDER")).json()["data"]
        assert [t["uid"] for t in listed_b] == []
        listed_a = cpo_a.call("GET", cpo_a.hub_url("tokens", "SENDER")).json()["data"]
        assert [t["uid"] for t in listed_a] == ["ONLY-FOR-A"]
        nobody = {"OCPI-to-country-code": "XX", "OCPI-to-party-id": "NOP"}
        assert emsp.call("PUT", _token_url(emsp, token), token, headers=nobody).json()["status_code"] == 4001

        everyone = {**token, "last_updated": "2024-03-02T10:00:00Z"}
        assert _put(emsp, everyone)["status_code"] == 1000  # no OCPI-to: broadcast
        cpo_b.wait_for(lambda rs: len(_puts_of(cpo_b, token["uid"])) == 1, timeout=20)
        assert _puts_of(cpo_b, token["uid"])[0].header("ocpi-from-party-id") == "HUB"
        assert [t["uid"] for t in cpo_b.call("GET", cpo_b.hub_url("tokens", "SENDER")).json()["data"]] == ["ONLY-FOR-A"]


# --- pull: CPO GET -----------------------------------------------------------------------------------


@requires_examples
@requires_openapi
def test_cpo_lists_tokens_in_its_version_with_pagination(hub):
    listed = _example("2.3.0", "transport_and_format_get_token_list_example.json")["data"]
    with (
        OcpiParty(version="2.3.0", roles=[EMSP_NL]) as emsp,
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo221,
        OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo230,
    ):
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo221, "CPO 2.2.1")
        register(hub.url, cpo230, "CPO 2.3.0")
        for token in listed:
            _put(emsp, token)
        _put(emsp, _token(uid="NL-TNM-EMAID1", token_type="EMAID", country_code="NL"))

        url = cpo221.hub_url("tokens", "SENDER")
        first = cpo221.call("GET", f"{url}?limit=2")
        assert first.headers["X-Total-Count"] == "3"  # the EMAID token does not exist in 2.2.1
        assert first.headers["X-Limit"] == "1000"
        assert [t["uid"] for t in first.json()["data"]] == ["100014", "100012"]  # oldest first
        next_url = first.headers["Link"].split(";")[0].strip("<>")
        assert "offset=2" in next_url
        assert "limit=2" in next_url
        second = cpo221.call("GET", next_url)
        assert [t["uid"] for t in second.json()["data"]] == ["100013"]
        assert "Link" not in second.headers
        for token in first.json()["data"] + second.json()["data"]:
            validate_object("2.2.1", "token", token)
        assert second.json()["data"][0] == listed[1]

        everything = cpo230.call("GET", url.replace("2.2.1", "2.3.0")).json()["data"]
        assert [t["uid"] for t in everything] == ["100014", "100012", "100013", "NL-TNM-EMAID1"]
        for token in everything:
            validate_object("2.3.0", "token", token)
        recent = cpo221.call("GET", f"{url}?date_from=2015-06-28T00:00:00Z").json()["data"]
        assert [t["uid"] for t in recent] == ["100013"]
        refused = emsp.call("GET", emsp.hub_url("tokens", "SENDER")).json()
        assert refused["status_code"] == 2001  # tokens are shared with CPOs only


# --- real-time authorization -------------------------------------------------------------------------


def _answer(info: dict[str, Any]):
    return lambda rec: (200, envelope(1000, info))


@requires_openapi
def test_authorize_is_forwarded_live_and_answered(hub):
    with OcpiParty(version="2.3.0", roles=[EMSP]) as emsp, OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        token = _token()
        _put(emsp, token)
        info = {
            "allowed": "ALLOWED",
            "token": token,
            "location": {"location_id": "LOC1", "evse_uids": ["E1"]},
            "authorization_reference": "AUTH-1",
        }
        emsp.on("POST", AUTHORIZE, _answer(info))
        request_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())

        response = cpo.call(
            "POST",
            _authorize_url(cpo, token["uid"]),
            {"location_id": "LOC1", "evse_uids": ["E1", "E2"]},
            headers={"X-Request-ID": request_id, "X-Correlation-ID": correlation_id},
        )

        body = response.json()
        assert (response.status_code, body["status_code"], body["data"]) == (200, 1000, info)
        validate_object("2.3.0", "authorizationInfo", body["data"])
        assert response.headers["X-Request-ID"] == request_id
        assert (response.headers["OCPI-from-country-code"], response.headers["OCPI-to-party-id"]) == ("DE", "CPB")
        forwarded = emsp.requests_to("tokens", "POST")[-1]
        assert forwarded.path == f"/2.3.0/tokens/sender/{token['uid']}/authorize"
        assert forwarded.query == {"type": ["RFID"]}
        assert forwarded.body == {"location_id": "LOC1", "evse_uids": ["E1", "E2"]}
        assert (forwarded.header("ocpi-from-country-code"), forwarded.header("ocpi-from-party-id")) == ("FR", "CPB")
        assert (forwarded.header("ocpi-to-country-code"), forwarded.header("ocpi-to-party-id")) == ("DE", "TNM")
        assert forwarded.header("x-correlation-id") == correlation_id
        assert forwarded.header("x-request-id") not in (None, request_id)


def test_authorize_relays_the_emsp_errors_and_routes_by_ocpi_to(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        emsp.on("POST", AUTHORIZE, lambda rec: (404, envelope(2004, status_message="Unknown token")))
        to_emsp: Headers = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "TNM"}

        response = cpo.call("POST", _authorize_url(cpo, "NOT-PUBLISHED"), headers=to_emsp)  # not in the store

        assert (response.status_code, response.json()["status_code"]) == (404, 2004)
        assert response.json()["status_message"] == "Unknown token"
        assert "data" not in response.json()
        assert emsp.requests_to("tokens", "POST")[-1].path.endswith("/NOT-PUBLISHED/authorize")
        emsp.on("POST", AUTHORIZE, lambda rec: (200, envelope(2002, status_message="Need a location")))
        response = cpo.call("POST", _authorize_url(cpo, "NOT-PUBLISHED"), headers=to_emsp)
        assert (response.status_code, response.json()["status_code"]) == (200, 2002)


@requires_openapi
def test_authorize_translates_between_a_221_cpo_and_a_230_emsp(hub):
    with OcpiParty(version="2.3.0", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        token = _token(uid="ABC123")
        _put(emsp, token)
        answered = {**token, "last_updated": "2024-03-01T10:00:00+00:00", "loyalty_tier": "gold"}  # 2.3.0-only
        emsp.on("POST", AUTHORIZE, _answer({"allowed": "BLOCKED", "token": answered, "custom_flag": True}))

        body = cpo.call("POST", _authorize_url(cpo, "abc123")).json()  # uids are case-insensitive

        assert body["status_code"] == 1000
        assert body["data"] == {"allowed": "BLOCKED", "token": token}
        validate_object("2.2.1", "authorizationInfo", body["data"])
        assert emsp.requests_to("tokens", "POST")[-1].path == "/2.3.0/tokens/sender/abc123/authorize"
        emsp.on("POST", AUTHORIZE, _answer({"allowed": "ALLOWED"}))  # cannot be translated without its token
        invalid = cpo.call("POST", _authorize_url(cpo, "abc123")).json()
        assert invalid["status_code"] == 4000
        assert "token: Field required" in invalid["status_message"]


def test_authorize_times_out_with_4002(hub, settings):
    settings.OCPI_HUB_AUTHORIZE_TIMEOUT = 0.3
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        _put(emsp, _token())
        emsp.respond_with(delay=1.5, method="POST", path_regex=AUTHORIZE)

        body = cpo.call("POST", _authorize_url(cpo, "12345678905880")).json()

        assert body["status_code"] == 4002
        assert len(emsp.requests_to("tokens", "POST")) == 1


def test_authorize_to_an_offline_or_unconnected_emsp_is_4003(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        emsp_platform = register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        _put(emsp, _token())
        emsp.go_down()
        assert cpo.call("POST", _authorize_url(cpo, "12345678905880")).json()["status_code"] == 4003

        emsp.come_up()
        Platform.objects.filter(pk=emsp_platform.pk).update(status=ConnectionStatus.OFFLINE)
        emsp.clear_received()
        assert cpo.call("POST", _authorize_url(cpo, "12345678905880")).json()["status_code"] == 4003
        assert emsp.requests_to("tokens") == []  # nothing forwarded to a party that is not connected


def test_authorize_for_an_unknown_owner_is_4001(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        _put(emsp, _token())
        url = _authorize_url(cpo, "UNKNOWN-UID")
        assert cpo.call("POST", url).json()["status_code"] == 4001
        hub_itself: Headers = {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "HUB"}
        assert cpo.call("POST", url, headers=hub_itself).json()["status_code"] == 4001
        nobody: Headers = {"OCPI-to-country-code": "XX", "OCPI-to-party-id": "NOP"}
        assert cpo.call("POST", _authorize_url(cpo, "12345678905880"), headers=nobody).json()["status_code"] == 4001
        wrong_type = _authorize_url(cpo, "12345678905880", "APP_USER")  # same uid, other type: unknown
        assert cpo.call("POST", wrong_type).json()["status_code"] == 4001
        assert emsp.requests_to("tokens", "POST") == []


def test_authorize_failures_of_the_emsp_are_hub_errors(hub):
    without_sender = [("hubclientinfo", "RECEIVER")]  # no tokens SENDER interface
    with (
        OcpiParty(version="2.2.1", roles=[EMSP]) as emsp,
        OcpiParty(version="2.2.1", roles=[EMSP_NL], modules=without_sender) as silent,
        OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo,
    ):
        register(hub.url, emsp, "eMSP")
        register(hub.url, silent, "eMSP without sender")
        register(hub.url, cpo, "CPO")
        url = _authorize_url(cpo, "ANY")
        to_silent: Headers = {"OCPI-to-country-code": "NL", "OCPI-to-party-id": "TNM"}
        assert cpo.call("POST", url, headers=to_silent).json()["status_code"] == 4000
        to_emsp: Headers = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "TNM"}
        emsp.on("POST", AUTHORIZE, lambda rec: (401, envelope(2000, status_message="Unauthorized")))
        refused = cpo.call("POST", url, headers=to_emsp)
        assert (refused.status_code, refused.json()["status_code"]) == (200, 4003)  # not the CPO's token problem
        emsp.on("POST", AUTHORIZE, lambda rec: (502, b"<html>Bad gateway</html>"))
        assert cpo.call("POST", url, headers=to_emsp).json()["status_code"] == 4000
        emsp.on("POST", AUTHORIZE, _answer({"allowed": "ALLOWED"}))  # AuthorizationInfo without its token
        invalid = cpo.call("POST", url, headers=to_emsp).json()
        assert invalid["status_code"] == 4000  # never passed through invalid, not even in the same version
        assert "token: Field required" in invalid["status_message"]
        assert "data" not in invalid
        assert len(emsp.requests_to("tokens", "POST")) == 3
        assert silent.requests_to("tokens") == []


@requires_openapi
def test_authorize_answers_are_normalised_before_they_are_relayed(hub):
    """A same-version eMSP answering ``data`` as a one-element list with nulls: the CPO gets the object
    without the nulls; a longer list is 4000 naming the problem (issue 12, item 5)."""
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        token = _token()
        _put(emsp, token)
        with_nulls = {"allowed": "ALLOWED", "token": {**token, "group_id": None}, "location": None, "info": None}
        emsp.on("POST", AUTHORIZE, lambda rec: (200, envelope(1000, [with_nulls])))

        response = cpo.call("POST", _authorize_url(cpo, token["uid"]))

        body = response.json()
        assert (body["status_code"], body["data"]) == (1000, {"allowed": "ALLOWED", "token": token})
        validate_object("2.2.1", "authorizationInfo", body["data"])
        assert (response.headers["OCPI-from-party-id"], response.headers["OCPI-to-party-id"]) == ("TNM", "CPA")
        emsp.on("POST", AUTHORIZE, lambda rec: (200, envelope(1000, [with_nulls, with_nulls])))
        two = cpo.call("POST", _authorize_url(cpo, token["uid"])).json()
        assert two["status_code"] == 4000
        assert "list of 2" in two["status_message"]
        unknown = cpo.call("POST", _authorize_url(cpo, "UNKNOWN-UID"))  # the hub's own answer: from = the hub
        assert unknown.json()["status_code"] == 4001
        assert (unknown.headers["OCPI-from-party-id"], unknown.headers["OCPI-to-party-id"]) == ("HUB", "CPA")


# --- the receiver interface: examples, validation, staleness ----------------------------------------


@requires_examples
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_official_token_examples_are_accepted(hub, version):
    names = ["token_example_1_app_user.json", "token_example_2_full_rfid.json", "token_put_example.json"]
    with OcpiParty(version=version, roles=[EMSP, EMSP_NL]) as emsp:
        register(hub.url, emsp, "eMSP")
        for name in names:
            example = _example(version, name)
            response = emsp.call("PUT", _token_url(emsp, example), example)
            assert (response.status_code, response.json()["status_code"]) == (200, 1000), name
            assert emsp.call("GET", _token_url(emsp, example)).json()["data"] == example, name

        put = _example(version, "token_put_example.json")
        patch = _example(version, "token_patch_example.json")
        response = emsp.call("PATCH", _token_url(emsp, put), patch)
        assert (response.status_code, response.json()["status_code"]) == (200, 1000)
        assert emsp.call("GET", _token_url(emsp, put)).json()["data"] == {**put, **patch}
        assert Token.objects.count() == 3


def test_malformed_tokens_are_2001_naming_the_field(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp:
        register(hub.url, emsp, "eMSP")
        cases = {
            "whitelist": _token(whitelist="SOMETIMES"),
            "energy_contract.supplier_name": _token(energy_contract={"contract_id": "1"}),
            "last_updated": _token(last_updated="yesterday"),
            "contract_id": {k: v for k, v in _token().items() if k != "contract_id"},
            "type": _token(token_type="EMAID"),  # not a 2.2.1 TokenType
        }
        for field, token in cases.items():
            body = emsp.call("PUT", _token_url(emsp, token), token).json()
            assert body["status_code"] == 2001, field
            assert body["status_message"].startswith(field), body["status_message"]
        mismatch = emsp.call("PUT", _token_url(emsp, _token(uid="OTHER")), _token()).json()
        assert mismatch["status_code"] == 2001
        assert "uid" in mismatch["status_message"]
        foreign = _token(country_code="FR", party_id="XYZ")
        assert emsp.call("PUT", _token_url(emsp, foreign), foreign).json()["status_code"] == 2001
        broken = emsp.call("PUT", _token_url(emsp, _token()), data=b'{"uid": ')
        assert broken.status_code == 400
        assert Token.objects.count() == 0  # nothing stored

        _put(emsp, _token())
        no_date = emsp.call("PATCH", _token_url(emsp, _token()), {"valid": False}).json()
        assert no_date["status_code"] == 2001
        assert no_date["status_message"].startswith("last_updated")
        bad = emsp.call("PATCH", _token_url(emsp, _token()), {"valid": "maybe", "last_updated": "2025-01-01T00:00:00Z"})
        assert bad.json()["status_code"] == 2001
        assert bad.json()["status_message"].startswith("valid")
        assert Token.objects.get().document == _token()
        unknown = emsp.call("PATCH", _token_url(emsp, _token(uid="NOPE")), {"last_updated": "2025-01-01T00:00:00Z"})
        assert unknown.status_code == 404


def test_stale_changes_are_ignored_and_not_pushed(hub):
    with OcpiParty(version="2.3.0", roles=[EMSP]) as emsp, OcpiParty(version="2.2.1", roles=[CPO_A]) as cpo:
        register(hub.url, emsp, "eMSP")
        register(hub.url, cpo, "CPO")
        token = _token(last_updated="2024-03-02T10:00:00Z")
        _put(emsp, token)
        deliveries = Delivery.objects.filter(module="tokens")
        assert deliveries.count() == 1
        deliveries.update(status=DeliveryStatus.SUCCEEDED)  # as if the worker had pushed it

        stale_patch = {"valid": False, "last_updated": "2024-03-01T10:00:00Z"}
        assert emsp.call("PATCH", _token_url(emsp, token), stale_patch).json()["status_code"] == 1000
        stale_put = {**token, "whitelist": "NEVER", "last_updated": "2024-02-01T10:00:00Z"}
        assert emsp.call("PUT", _token_url(emsp, token), stale_put).status_code == 200
        assert emsp.call("PUT", _token_url(emsp, token), token).status_code == 200  # same state again

        assert emsp.call("GET", _token_url(emsp, token)).json()["data"] == token
        assert not deliveries.filter(status=DeliveryStatus.PENDING).exists()  # nothing new to push
        fresh = {"valid": False, "last_updated": "2024-03-03T10:00:00Z"}
        assert emsp.call("PATCH", _token_url(emsp, token), fresh).json()["status_code"] == 1000
        assert Token.objects.get().document == {**token, **fresh}
        assert deliveries.filter(status=DeliveryStatus.PENDING, object_key="DE/TNM/12345678905880/RFID").exists()
