"""Credentials handshake in both directions between the live hub and test parties over real HTTP."""

from __future__ import annotations

import base64
import copy

import pytest
import requests
from django.core.management import CommandError, call_command

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Platform
from parties.services.credentials import platform_invite, platform_reinvite
from parties.tokens import hash_token

pytestmark = pytest.mark.django_db(transaction=True)

EMSP = {
    "role": "EMSP",
    "country_code": "NL",
    "party_id": "EMS",
    "business_details": {"name": "E-Mobility NL"},
}
CPO = {"role": "CPO", "country_code": "DE", "party_id": "CPA", "business_details": {"name": "Charge DE"}}


def _get(url: str, token: str | None, *, raw: bool = False) -> requests.Response:
    headers = {}
    if token is not None:
        value = token if raw else base64.b64encode(token.encode()).decode()
        headers["Authorization"] = f"Token {value}"
    return requests.get(url, headers=headers, timeout=10)


@pytest.fixture
def party():
    with OcpiParty(version="2.2.1", roles=[EMSP]) as emsp:
        yield emsp


def test_party_registers_with_hub_and_gets_token_c(hub, party):
    platform, token_a = platform_invite(name="E-Mobility NL")
    versions_url = f"{hub.url}/ocpi/versions"

    hub_credentials = party.register_with(versions_url, token_a)

    platform.refresh_from_db()
    assert platform.status == ConnectionStatus.CONNECTED
    assert platform.version == "2.2.1"
    assert platform.token_out == party.token_b
    assert platform.token_in_hash == hash_token(party.token_c)
    assert {(r.country_code, r.party_id, r.role) for r in platform.roles.all()} == {("NL", "EMS", "EMSP")}
    assert platform.endpoint_url("locations", "RECEIVER") == party.endpoint_url("locations", "RECEIVER")
    assert hub_credentials["roles"] == [
        {"role": "HUB", "country_code": "NL", "party_id": "HUB", "business_details": {"name": "OCPI Hub"}}
    ]
    # the hub fetched the party's versions and details with token B
    discovery = [r for r in party.received if r.method == "GET" and r.path in ("/versions", "/2.2.1/details")]
    assert len(discovery) == 2
    assert all(
        r.header("authorization") == f"Token {base64.b64encode(party.token_b.encode()).decode()}" for r in discovery
    )
    # token C works, token A no longer does
    assert _get(versions_url, party.token_c).json()["status_code"] == 1000
    assert _get(versions_url, token_a).status_code == 401


def test_token_a_is_refused_on_functional_modules(hub):
    _, token_a = platform_invite(name="New party")
    response = _get(f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo", token_a)
    assert response.status_code == 401
    assert response.json()["status_code"] == 2000
    assert _get(f"{hub.url}/ocpi/versions", token_a).status_code == 200


def test_registration_on_230_lists_reachable_parties_and_hub_party_id(hub):
    with OcpiParty(version="2.2.1", roles=[CPO]) as cpo, OcpiParty(version="2.3.0", roles=[EMSP]) as emsp:
        cpo.register_with(f"{hub.url}/ocpi/versions", platform_invite(name="CPO")[1])
        credentials = emsp.register_with(f"{hub.url}/ocpi/versions", platform_invite(name="eMSP")[1])
    assert credentials["hub_party_id"] == "NLHUB"
    roles = {(r["country_code"], r["party_id"], r["role"]) for r in credentials["roles"]}
    assert roles == {("NL", "HUB", "OTHER"), ("DE", "CPA", "CPO")}
    assert Platform.objects.get(name="eMSP").version == "2.3.0"


def test_post_when_registered_is_405_and_put_rotates_token(hub, party):
    party.register_with(f"{hub.url}/ocpi/versions", platform_invite(name="p")[1])
    credentials_url = party.hub_url("credentials", "SENDER")
    again = party.call("POST", credentials_url, json=party.own_credentials())
    assert again.status_code == 405

    old_token_c = party.token_c
    party.update_credentials()

    assert party.token_c != old_token_c
    assert _get(f"{hub.url}/ocpi/versions", old_token_c).status_code == 401
    assert _get(f"{hub.url}/ocpi/versions", party.token_c).status_code == 200
    assert Platform.objects.get().token_out == party.token_b


def test_delete_unregisters_and_put_delete_unregistered_are_405(hub, party):
    _, token_a = platform_invite(name="p")
    credentials_url = f"{hub.url}/ocpi/2.2.1/credentials"
    for method in ("PUT", "DELETE"):
        response = party.call(method, credentials_url, json=party.own_credentials(), token=token_a)
        assert response.status_code == 405, method
    party.register_with(f"{hub.url}/ocpi/versions", token_a)
    token_c = party.token_c

    assert party.unregister().json()["status_code"] == 1000

    platform = Platform.objects.get()
    assert platform.status == ConnectionStatus.SUSPENDED
    assert platform.token_out == ""
    assert _get(f"{hub.url}/ocpi/versions", token_c).status_code == 401


def test_registration_fails_with_3001_when_party_versions_unreachable(hub, party):
    _, token_a = platform_invite(name="p")
    body = party.own_credentials()
    party.go_down()
    response = requests.post(
        f"{hub.url}/ocpi/2.2.1/credentials",
        json=body,
        timeout=10,
        headers={"Authorization": f"Token {base64.b64encode(token_a.encode()).decode()}"},
    )
    assert response.status_code == 200
    assert response.json()["status_code"] == 3001
    platform = Platform.objects.get()
    assert platform.status == ConnectionStatus.PLANNED
    assert platform.roles.count() == 0
    assert _get(f"{hub.url}/ocpi/versions", token_a).status_code == 200  # token A still valid for a retry


def test_registration_fails_with_3002_for_unsupported_version(hub):
    with OcpiParty(version="2.3.0", versions=["2.3.0"], roles=[EMSP]) as party:
        _, token_a = platform_invite(name="p")
        response = party.call("POST", f"{hub.url}/ocpi/2.2.1/credentials", json=party.own_credentials(), token=token_a)
    assert response.json()["status_code"] == 3002


def test_registration_fails_with_3003_without_credentials_endpoint(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP]) as party:
        details = {
            "version": "2.2.1",
            "endpoints": [{"identifier": "locations", "role": "RECEIVER", "url": party.endpoint_url("locations")}],
        }
        party.on("GET", r"^/2\.2\.1/details$", lambda rec: (200, {"status_code": 1000, "data": details}))
        _, token_a = platform_invite(name="p")
        response = party.call("POST", f"{hub.url}/ocpi/2.2.1/credentials", json=party.own_credentials(), token=token_a)
    assert response.json()["status_code"] == 3003


def test_invalid_credentials_body_is_2001_naming_the_field(hub, party):
    _, token_a = platform_invite(name="p")
    body = copy.deepcopy(party.own_credentials())
    body["roles"][0]["party_id"] = "TOOLONG"
    response = party.call("POST", f"{hub.url}/ocpi/2.2.1/credentials", json=body, token=token_a)
    assert response.json()["status_code"] == 2001
    assert "roles[0].party_id" in response.json()["status_message"]
    assert Platform.objects.get().roles.count() == 0


def test_hub_registers_with_party_via_management_command(hub):
    with OcpiParty(version="2.3.0", versions=["2.2.1", "2.3.0"], roles=[CPO]) as party:
        token_a = party.issue_token_a()
        call_command("ocpi_register", versions_url=party.versions_url, token=token_a, name="Charge DE")

        platform = Platform.objects.get(name="Charge DE")
        assert platform.status == ConnectionStatus.CONNECTED
        assert platform.version == "2.3.0"
        assert platform.token_out == party.token_b  # token C from the hub's point of view
        assert party.hub_token is not None
        assert platform.token_in_hash == hash_token(party.hub_token)
        # the party called our versions endpoint with the token we gave it
        assert _get(f"{hub.url}/ocpi/versions", party.hub_token).status_code == 200
        received = party.requests_to("credentials", "POST")[0].body
        assert received["hub_party_id"] == "NLHUB"
        assert {(r.country_code, r.party_id, r.role) for r in platform.roles.all()} == {("DE", "CPA", "CPO")}
        # token A of the party is used up
        assert _get(party.versions_url, token_a).status_code == 401


def test_raw_tokens_only_for_platforms_configured_for_them(hub):
    with OcpiParty(version="2.2.1", roles=[EMSP], raw_tokens=True) as party:
        _, token_a = platform_invite(name="raw", token_base64=False)
        party.register_with(f"{hub.url}/ocpi/versions", token_a)
        assert _get(f"{hub.url}/ocpi/versions", party.token_c, raw=True).status_code == 200
    _, other_a = platform_invite(name="b64")
    assert _get(f"{hub.url}/ocpi/versions", other_a, raw=True).status_code == 401
    assert _get(f"{hub.url}/ocpi/versions", other_a).status_code == 200


def test_failed_hub_registration_leaves_no_platform(hub):
    with OcpiParty(version="2.2.1", roles=[CPO]) as party:
        party.issue_token_a()
        with pytest.raises(CommandError, match="3001"):
            call_command("ocpi_register", versions_url=party.versions_url, token="wrong-token", name="X")
    assert not Platform.objects.filter(name="X").exists()


def test_unregistered_party_can_register_again_after_reinvite(hub, party):
    party.register_with(f"{hub.url}/ocpi/versions", platform_invite(name="p")[1])
    party.unregister()
    platform = Platform.objects.get()
    token_a = platform_reinvite(platform=platform)

    party.register_with(f"{hub.url}/ocpi/versions", token_a)

    platform.refresh_from_db()
    assert platform.status == ConnectionStatus.CONNECTED
    assert _get(f"{hub.url}/ocpi/versions", party.token_c).status_code == 200
