"""A (country_code, party_id) pair belongs to one platform, whatever the role, unless an admin links them."""

from __future__ import annotations

import base64

import pytest
import requests

from ocpi_party.party import OcpiParty
from parties.models import ConnectionStatus, Platform
from parties.services.credentials import platform_invite
from tests.factories import register

pytestmark = pytest.mark.django_db(transaction=True)

EMSP = {"role": "EMSP", "country_code": "NL", "party_id": "ACM", "business_details": {"name": "Acme eMSP"}}
SQUAT_CPO = {"role": "CPO", "country_code": "NL", "party_id": "ACM", "business_details": {"name": "Squatter"}}
OTHER_CPO = {"role": "CPO", "country_code": "DE", "party_id": "OTH", "business_details": {"name": "Other"}}


def _post_credentials(hub, party: OcpiParty, name: str) -> dict:  # noqa: ANN001
    _, token_a = platform_invite(name=name)
    return party.call("POST", f"{hub.url}/ocpi/2.2.1/credentials", json=party.own_credentials(), token=token_a).json()


def _client_infos(hub, party: OcpiParty) -> list[tuple[str, str, str]]:  # noqa: ANN001
    auth = {"Authorization": "Token " + base64.b64encode(party.token_c.encode()).decode()}
    answer = requests.get(f"{hub.url}/ocpi/2.2.1/sender/hubclientinfo", headers=auth, timeout=10).json()
    return sorted((item["country_code"], item["party_id"], item["role"]) for item in answer["data"])


def test_a_second_platform_cannot_claim_a_pair_another_holds_in_another_role(hub):
    with (
        OcpiParty(version="2.2.1", roles=[EMSP]) as owner,
        OcpiParty(version="2.2.1", roles=[SQUAT_CPO]) as squatter,
    ):
        register(hub.url, owner, "Acme")

        answer = _post_credentials(hub, squatter, "Squatter")

        assert answer["status_code"] == 2001
        assert answer["status_message"] == "roles[0]: NL/ACM is registered by another platform"
        squat = Platform.objects.get(name="Squatter")
        assert squat.status == ConnectionStatus.PLANNED
        assert squat.roles.count() == 0
        assert _client_infos(hub, owner) == [("NL", "ACM", "EMSP")]  # listed once


def test_a_credentials_update_cannot_claim_a_pair_another_holds(hub):
    with (
        OcpiParty(version="2.2.1", roles=[EMSP]) as owner,
        OcpiParty(version="2.2.1", roles=[OTHER_CPO]) as other,
    ):
        register(hub.url, owner, "Acme")
        other_platform = register(hub.url, other, "Other")
        other.roles = [OTHER_CPO, {**SQUAT_CPO, "business_details": {"name": "Other"}}]

        with pytest.raises(Exception, match="2001"):
            other.update_credentials()

        assert {(r.country_code, r.party_id) for r in other_platform.roles.all()} == {("DE", "OTH")}
        assert _client_infos(hub, owner) == [("DE", "OTH", "CPO"), ("NL", "ACM", "EMSP")]


def test_platforms_an_admin_linked_may_share_a_pair_in_different_roles(hub):
    with (
        OcpiParty(version="2.2.1", roles=[EMSP]) as emsp,
        OcpiParty(version="2.2.1", roles=[SQUAT_CPO]) as cpo,
        OcpiParty(version="2.2.1", roles=[{**EMSP, "business_details": {"name": "Twin"}}]) as twin,
    ):
        acme = register(hub.url, emsp, "Acme eMSP")
        platform, token_a = platform_invite(name="Acme CPO")
        platform.linked_platforms.add(acme)

        cpo.register_with(f"{hub.url}/ocpi/versions", token_a)

        platform.refresh_from_db()
        assert platform.status == ConnectionStatus.CONNECTED
        assert _client_infos(hub, emsp) == [("NL", "ACM", "CPO"), ("NL", "ACM", "EMSP")]
        # a link shares the pair, never the same role
        twin_platform, twin_token = platform_invite(name="Twin")
        twin_platform.linked_platforms.add(acme)
        answer = twin.call(
            "POST", f"{hub.url}/ocpi/2.2.1/credentials", json=twin.own_credentials(), token=twin_token
        ).json()
        assert answer["status_code"] == 2001
