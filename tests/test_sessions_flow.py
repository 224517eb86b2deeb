"""Sessions end to end over real HTTP: CPO push (PUT/PATCH), private routing to the token owner, eMSP pull,
Charging Preferences relayed live, quality reports. Test parties are real OCPI servers on 127.0.0.1."""

from __future__ import annotations

import pytest

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Delivery, Platform
from sessions.models import Session
from sessions.tests.charging import deliver_pending
from tests.bodies import CPO_A, CPO_B, EMSP_X, cdr_token, example, period, price, session_body, without
from tests.factories import register
from tests.ocpi_schema import requires_examples, requires_openapi, validate_object

pytestmark = pytest.mark.django_db(transaction=True)


def _url(cpo: OcpiParty, session_id: str = "S1", owner: dict = CPO_A) -> str:
    return f"{cpo.hub_url('sessions', 'RECEIVER')}/{owner['country_code']}/{owner['party_id']}/{session_id}"


def _put(cpo: OcpiParty, body: dict, **kwargs) -> dict:
    response = cpo.call("PUT", _url(cpo, body["id"]), body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def _sessions_of(party: OcpiParty) -> list[dict]:
    response = party.call("GET", party.hub_url("sessions", "SENDER"))
    assert response.status_code == 200
    assert response.json()["status_code"] == 1000
    return response.json()["data"]


# --- routing ----------------------------------------------------------------------------------------------------


def test_session_goes_only_to_the_token_owner(parties, celery_worker):
    cpo, emsp_x, emsp_y = parties
    assert _put(cpo, session_body("2.2.1"))["status_code"] == 1000

    received = emsp_x.wait_for_requests("sessions", "PUT", timeout=20)[-1]
    assert received.path.endswith("/2.3.0/sessions/NL/CPA/S1")
    assert received.body["total_cost"] == {"before_taxes": 1.0, "taxes": [{"name": "VAT", "amount": 0.21}]}
    # party-to-party via the hub: from = the owning CPO, to = the eMSP
    assert (received.header("ocpi-from-country-code"), received.header("ocpi-from-party-id")) == ("NL", "CPA")
    assert (received.header("ocpi-to-country-code"), received.header("ocpi-to-party-id")) == ("NL", "EMX")
    assert [s["id"] for s in _sessions_of(emsp_x)] == ["S1"]
    assert _sessions_of(emsp_y) == []
    assert emsp_y.requests_to("sessions") == []
    assert not Delivery.objects.filter(module="sessions", receiver__name="eMSP Y").exists()


@requires_openapi
def test_mixed_versions_receive_schema_valid_sessions(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body("2.2.1", charging_periods=[period("2024-05-01T10:00:00Z", ENERGY=2.0, POWER=11.0)]))
    assert deliver_pending("sessions") == ["succeeded"]
    pushed = emsp_x.requests_to("sessions", "PUT")[-1].body
    validate_object("2.3.0", "session", pushed)
    validate_object("2.3.0", "session", _sessions_of(emsp_x)[0])
    own = cpo.call("GET", _url(cpo)).json()["data"]
    validate_object("2.2.1", "session", own)
    assert own["total_cost"] == {"excl_vat": 1.0, "incl_vat": 1.21}


def test_ocpi_to_headers_win_over_the_cdr_token(parties):
    cpo, emsp_x, emsp_y = parties
    headers = {"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMY"}
    _put(cpo, session_body(), headers=headers)
    assert Session.objects.get().receiver.name == "eMSP Y"
    assert [s["id"] for s in _sessions_of(emsp_y)] == ["S1"]
    assert _sessions_of(emsp_x) == []


def test_a_rerouted_session_is_no_longer_pushed_to_the_former_receiver(parties):
    cpo, emsp_x, emsp_y = parties
    _put(cpo, session_body())
    rerouted = session_body(last_updated="2024-05-01T10:31:00Z")
    _put(cpo, rerouted, headers={"OCPI-to-country-code": "DE", "OCPI-to-party-id": "EMY"})
    deliver_pending("sessions")
    assert emsp_x.requests_to("sessions") == []  # its queued delivery renders nothing any more
    assert emsp_y.requests_to("sessions", "PUT")[-1].body["last_updated"] == "2024-05-01T10:31:00Z"
    assert _sessions_of(emsp_x) == []


def test_unknown_token_owner_is_4001_and_nothing_is_stored(parties):
    cpo, _, _ = parties
    body = session_body(cdr_token=cdr_token({"country_code": "FR", "party_id": "UNK"}))
    answer = _put(cpo, body)
    assert answer["status_code"] == 4001
    assert "FR/UNK" in answer["status_message"]
    assert not Session.objects.exists()
    assert not Delivery.objects.filter(module="sessions").exists()


def test_offline_token_owner_is_4003_and_nothing_is_stored(parties):
    cpo, _, _ = parties
    Platform.objects.filter(name="eMSP X").update(status=ConnectionStatus.OFFLINE)
    answer = _put(cpo, session_body())
    assert answer["status_code"] == 4003
    assert not Session.objects.exists()


def test_token_store_owner_is_the_last_resort(parties):
    pytest.importorskip("tokens.services")
    cpo, emsp_x, _ = parties
    token = {
        **cdr_token(EMSP_X, uid="STORED1"),
        "issuer": "eMSP X",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-05-01T09:00:00Z",
    }
    url = f"{emsp_x.hub_url('tokens', 'RECEIVER')}/NL/EMX/STORED1"
    assert emsp_x.call("PUT", url, token).json()["status_code"] == 1000
    stranger = dict(cdr_token({"country_code": "FR", "party_id": "UNK"}), uid="STORED1")
    assert _put(cpo, session_body(cdr_token=stranger))["status_code"] == 1000
    assert Session.objects.get().receiver.name == "eMSP X"


# --- receiver interface rules ----------------------------------------------------------------------------------


def test_patch_appends_charging_periods_and_pushes_the_full_session(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body())
    deliver_pending("sessions")
    patch = {
        "kwh": 5.0,
        "charging_periods": [period("2024-05-01T10:30:00Z", ENERGY=3.0)],
        "last_updated": "2024-05-01T10:45:00Z",
    }
    assert cpo.call("PATCH", _url(cpo), patch).json()["status_code"] == 1000

    stored = cpo.call("GET", _url(cpo)).json()["data"]
    assert [p["start_date_time"] for p in stored["charging_periods"]] == [
        "2024-05-01T10:00:00Z",
        "2024-05-01T10:30:00Z",
    ]
    assert stored["kwh"] == 5.0
    assert stored["total_cost"] == {"excl_vat": 1.0, "incl_vat": 1.21}  # untouched fields stay
    assert deliver_pending("sessions") == ["succeeded"]
    pushed = emsp_x.requests_to("sessions", "PUT")[-1]
    assert len(pushed.body["charging_periods"]) == 2
    assert pushed.body["last_updated"] == "2024-05-01T10:45:00Z"


def test_221_patch_of_a_230_session_loses_nothing_on_the_way_to_a_230_receiver(parties):
    cpo, emsp_x, _ = parties
    body = session_body("2.3.0", total_cost={"before_taxes": 2.0, "taxes": [{"name": "VAT", "amount": 0.4}]})
    body["cdr_token"]["type"] = "EMAID"
    body["charging_periods"] = [period("2024-05-01T10:00:00Z", ENERGY=2.0, RESERVATION_OVERTIME=0.1)]
    url_230 = _url(cpo).replace("/2.2.1/", "/2.3.0/")
    assert cpo.call("PUT", url_230, body).json()["status_code"] == 1000
    patch = {
        "kwh": 3.0,
        "charging_periods": [period("2024-05-01T10:30:00Z", ENERGY=1.0)],
        "last_updated": "2024-05-01T10:45:00Z",
    }
    assert cpo.call("PATCH", _url(cpo), patch).json()["status_code"] == 1000

    deliver_pending("sessions")
    pushed = emsp_x.requests_to("sessions", "PUT")[-1].body
    assert pushed["cdr_token"]["type"] == "EMAID"
    assert pushed["total_cost"] == body["total_cost"]
    assert pushed["charging_periods"] == body["charging_periods"] + patch["charging_periods"]
    assert pushed["kwh"] == 3.0


def test_put_replaces_charging_periods(parties):
    cpo, _, _ = parties
    _put(cpo, session_body())
    replaced = session_body(charging_periods=[], kwh=0.0, last_updated="2024-05-01T10:40:00Z")
    _put(cpo, replaced)
    assert "charging_periods" not in cpo.call("GET", _url(cpo)).json()["data"]


def test_stale_updates_are_acknowledged_but_neither_applied_nor_forwarded(parties):
    cpo, _, _ = parties
    _put(cpo, session_body(kwh=2.0))
    deliver_pending("sessions")
    older = session_body(kwh=9.0, charging_periods=[], last_updated="2024-05-01T10:00:00Z")
    answer = _put(cpo, older)
    assert answer["status_code"] == 1000
    assert "older" in answer["status_message"]
    stale_patch = {"kwh": 9.0, "last_updated": "2024-05-01T10:10:00Z"}
    assert cpo.call("PATCH", _url(cpo), stale_patch).json()["status_code"] == 1000
    assert Session.objects.get().document["kwh"] == 2.0
    assert Delivery.objects.filter(module="sessions").count() == 1


def test_patch_without_last_updated_is_2001(parties):
    cpo, _, _ = parties
    _put(cpo, session_body())
    answer = cpo.call("PATCH", _url(cpo), {"kwh": 3.0}).json()
    assert answer["status_code"] == 2001
    assert "last_updated" in answer["status_message"]


def test_patch_of_an_unknown_session_is_2001(parties):
    cpo, _, _ = parties
    answer = cpo.call("PATCH", _url(cpo, "NOPE"), {"kwh": 1.0, "last_updated": "2024-05-01T10:00:00Z"}).json()
    assert answer["status_code"] == 2001


def test_ids_in_url_must_equal_the_body(parties):
    cpo, _, _ = parties
    answer = cpo.call("PUT", _url(cpo, "OTHER"), session_body()).json()
    assert answer["status_code"] == 2001
    assert answer["status_message"].startswith("id:")
    assert not Session.objects.exists()


def test_a_cpo_writes_only_its_own_sessions(parties, hub):
    cpo, _, _ = parties
    with OcpiParty(version="2.2.1", roles=[CPO_B]) as other:
        register(hub.url, other, "CPO B")
        answer = other.call("PUT", _url(other, owner=CPO_A), session_body()).json()
        assert answer["status_code"] == 2001
        assert other.call("GET", _url(other, owner=CPO_A)).json()["status_code"] == 2001
    assert not Session.objects.exists()


def test_invalid_session_is_2001_naming_the_field(parties):
    cpo, _, _ = parties
    answer = _put(cpo, without(session_body(), "cdr_token"))
    assert answer["status_code"] == 2001
    assert "cdr_token" in answer["status_message"]
    assert not Session.objects.exists()


def test_date_from_is_optional_and_filters_when_given(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body(session_id="S1", last_updated="2024-05-01T10:30:00Z"))
    _put(cpo, session_body(session_id="S2", last_updated="2024-05-02T10:30:00Z"))
    url = emsp_x.hub_url("sessions", "SENDER")
    assert [s["id"] for s in emsp_x.call("GET", url).json()["data"]] == ["S1", "S2"]
    later = emsp_x.call("GET", f"{url}?date_from=2024-05-02T00:00:00Z").json()["data"]
    assert [s["id"] for s in later] == ["S2"]
    page = emsp_x.call("GET", f"{url}?limit=1")
    assert page.headers["X-Total-Count"] == "2"
    assert 'rel="next"' in page.headers["Link"]


@requires_examples
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_official_session_examples_are_accepted(hub, version):
    owners = [
        {"role": "CPO", "country_code": "NL", "party_id": "STK"},
        {"role": "CPO", "country_code": "BE", "party_id": "BEC"},
    ]
    emsp = {"role": "EMSP", "country_code": "NL", "party_id": "TST"}
    with OcpiParty(version=version, roles=owners) as cpo, OcpiParty(version=version, roles=[emsp]) as tst:
        register(hub.url, cpo, "Example CPO")
        register(hub.url, tst, "Example eMSP")
        for name in ("session_example_1_simple_start.json", "session_example_2_short_finished.json"):
            body = example(version, name)
            url = f"{cpo.hub_url('sessions', 'RECEIVER')}/{body['country_code']}/{body['party_id']}/{body['id']}"
            assert cpo.call("PUT", url, body).json()["status_code"] == 1000, name
        patch = example(version, "session_patch_example_total_cost.json")
        patch["last_updated"] = "2020-03-09T10:20:00Z"
        url = f"{cpo.hub_url('sessions', 'RECEIVER')}/NL/STK/101"
        assert cpo.call("PATCH", url, patch).json()["status_code"] == 1000
        assert Session.objects.filter(receiver__name="Example eMSP").count() == 2
        finished = Session.objects.get(country_code="BE")
        # example 2 reports ENERGY in Wh while kwh is in kWh: accepted, with a quality warning
        assert finished.warning_codes == "|ENERGY_MISMATCH|"


# --- quality ---------------------------------------------------------------------------------------------------


def test_quality_error_is_2001_naming_the_field_and_nothing_is_stored(parties):
    cpo, _, _ = parties
    answer = _put(cpo, session_body(end_date_time="2024-05-01T09:00:00Z"))
    assert answer["status_code"] == 2001
    assert answer["status_message"].startswith("end_date_time:")
    assert not Session.objects.exists()


def test_quality_warnings_are_stored_and_told_to_the_cpo(parties):
    cpo, _, _ = parties
    body = session_body(status="COMPLETED", end_date_time="2024-05-01T11:00:00Z", kwh=0.0, charging_periods=[])
    answer = _put(cpo, body)
    assert answer["status_code"] == 1000
    assert "ZERO_ENERGY" in answer["status_message"]
    session = Session.objects.get()
    assert session.quality_warnings == [
        {"code": "ZERO_ENERGY", "field": "kwh", "message": "completed session with kwh 0 and no session type"}
    ]


def test_strict_platform_rejects_warnings(parties):
    cpo, _, _ = parties
    Platform.objects.filter(name="CPO A").update(strictness="strict")
    answer = _put(cpo, session_body(currency="eur"))
    assert answer["status_code"] == 2001
    assert "CURRENCY_NOT_UPPERCASE" in answer["status_message"]
    Platform.objects.filter(name="CPO A").update(strictness="standard")
    assert _put(cpo, session_body(currency="eur"))["status_code"] == 1000


def test_non_utc_offsets_rejected_unless_lenient_then_recorded(parties):
    cpo, _, _ = parties
    body = session_body(start_date_time="2024-05-01T12:00:00+02:00")
    assert _put(cpo, body)["status_code"] == 2001
    Platform.objects.filter(name="CPO A").update(strictness="lenient")
    assert _put(cpo, body)["status_code"] == 1000
    session = Session.objects.get()
    assert session.document["start_date_time"] == "2024-05-01T10:00:00Z"
    assert session.quality_warnings[0]["code"] == "NON_UTC_OFFSET"
    assert session.quality_warnings[0]["field"] == "start_date_time"


# --- charging preferences --------------------------------------------------------------------------------------

PREFERENCES = {"profile_type": "FAST", "departure_time": "2024-05-01T18:00:00Z", "energy_need": 30}


def _preferences_url(emsp: OcpiParty, session_id: str = "S1") -> str:
    return f"{emsp.hub_url('sessions', 'SENDER')}/{session_id}/charging_preferences"


def test_charging_preferences_are_relayed_to_the_owning_cpo(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body())
    cpo.respond_with(data="ACCEPTED", path_regex="charging_preferences$")

    response = emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES)

    assert response.json()["status_code"] == 1000
    assert response.json()["data"] == "ACCEPTED"
    forwarded = cpo.requests_to("sessions", "PUT")[-1]
    assert forwarded.path == "/2.2.1/sessions/sender/S1/charging_preferences"
    assert forwarded.body == {"profile_type": "FAST", "departure_time": "2024-05-01T18:00:00Z", "energy_need": 30.0}
    assert (forwarded.header("ocpi-from-party-id"), forwarded.header("ocpi-to-party-id")) == ("EMX", "CPA")


def test_charging_preferences_cpo_answer_is_relayed_as_is(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body())
    cpo.respond_with(http_status=404, status_code=2001, status_message="EVSE not capable", path_regex="preferences")
    response = emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES)
    assert response.status_code == 404
    assert (response.json()["status_code"], response.json()["status_message"]) == (2001, "EVSE not capable")


def test_charging_preferences_answers_are_normalised_or_4000(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body())
    cpo.respond_with(data=["ACCEPTED"], path_regex="charging_preferences$", times=1)
    response = emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES)
    assert (response.json()["status_code"], response.json()["data"]) == (1000, "ACCEPTED")
    assert (response.headers["OCPI-from-party-id"], response.headers["OCPI-to-party-id"]) == ("CPA", "EMX")
    cpo.respond_with(data="TURBO", path_regex="charging_preferences$", times=1)
    invalid = emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES).json()
    assert invalid["status_code"] == 4000
    assert "ChargingPreferencesResponse" in invalid["status_message"]
    assert "data" not in invalid


def test_charging_preferences_timeout_is_4002(parties, settings):
    cpo, emsp_x, _ = parties
    settings.OCPI_HUB_CHARGING_PREFERENCES_TIMEOUT = 0.3
    _put(cpo, session_body())
    cpo.respond_with(data="ACCEPTED", delay=1.0, path_regex="charging_preferences$")
    assert emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES).json()["status_code"] == 4002


def test_charging_preferences_cpo_offline_is_4003(parties):
    cpo, emsp_x, _ = parties
    _put(cpo, session_body())
    cpo.go_down()
    assert emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES).json()["status_code"] == 4003
    cpo.come_up()
    Platform.objects.filter(name="CPO A").update(status=ConnectionStatus.OFFLINE)
    assert emsp_x.call("PUT", _preferences_url(emsp_x), PREFERENCES).json()["status_code"] == 4003


def test_charging_preferences_only_for_sessions_routed_to_the_caller(parties):
    cpo, emsp_x, emsp_y = parties
    _put(cpo, session_body())
    assert emsp_y.call("PUT", _preferences_url(emsp_y), PREFERENCES).json()["status_code"] == 4001
    assert emsp_x.call("PUT", _preferences_url(emsp_x, "S404"), PREFERENCES).json()["status_code"] == 4001
    invalid = emsp_x.call("PUT", _preferences_url(emsp_x), {"profile_type": "TURBO"}).json()
    assert invalid["status_code"] == 2001
    assert "profile_type" in invalid["status_message"]
    assert cpo.requests_to("sessions") == []


def test_session_230_price_is_stored_canonical(parties, hub):
    _, emsp_x, _ = parties
    with OcpiParty(version="2.3.0", roles=[CPO_B]) as cpo_b:
        register(hub.url, cpo_b, "CPO B")
        body = session_body("2.3.0", cpo=CPO_B, total_cost=price("2.3.0", 2.0, 0.42))
        url = f"{cpo_b.hub_url('sessions', 'RECEIVER')}/DE/CPB/S1"
        assert cpo_b.call("PUT", url, body).json()["status_code"] == 1000
    assert Session.objects.get().document["total_cost"] == {
        "before_taxes": 2.0,
        "taxes": [{"name": "VAT", "amount": 0.42}],
    }
    assert _sessions_of(emsp_x)[0]["total_cost"]["before_taxes"] == 2.0
