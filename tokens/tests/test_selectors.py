"""Token reads: the owner lookup used by authorization, sessions and CDRs; the CPO list; the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ocpi_hub.api.routing import PartyRef
from ocpi_hub.exceptions import InvalidParameters
from parties.models import Platform
from tests.factories import party_platform
from tokens.models import Token
from tokens.selectors import token_list_for_cpo, token_owner
from tokens.services import TokenRef, token_put

pytestmark = pytest.mark.django_db


def _platform(name: str, role: str, country_code: str, party_id: str) -> Platform:
    return party_platform(name, role, country_code, party_id, version="2.3.0", token_out="")


def _put(platform: Platform, country_code: str, party_id: str, uid: str, token_type: str = "RFID") -> Token:
    body = {
        "country_code": country_code,
        "party_id": party_id,
        "uid": uid,
        "type": token_type,
        "contract_id": "C1",
        "issuer": "Issuer",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2024-01-01T00:00:00Z",
    }
    ref = TokenRef(country_code.lower(), party_id.lower(), uid, token_type)
    change = token_put(platform=platform, version="2.3.0", ref=ref, payload=body)
    assert change.created
    assert change.token is not None
    return change.token


def test_token_owner_is_found_case_insensitively_and_per_type():
    emsp = _platform("eMSP", "EMSP", "DE", "TNM")
    _put(emsp, "DE", "TNM", "abc123")
    assert token_owner("ABC123") == PartyRef("DE", "TNM")
    assert token_owner("abc123", "RFID") == PartyRef("DE", "TNM")
    assert token_owner("abc123", "APP_USER") is None
    assert token_owner("unknown") is None


def test_token_owner_never_guesses_between_two_emsps():
    _put(_platform("eMSP 1", "EMSP", "DE", "TNM"), "DE", "TNM", "SAME")
    _put(_platform("eMSP 2", "EMSP", "NL", "EMS"), "NL", "EMS", "SAME", "APP_USER")
    assert token_owner("SAME") is None
    assert token_owner("SAME", "RFID") == PartyRef("DE", "TNM")
    assert token_owner("SAME", "APP_USER") == PartyRef("NL", "EMS")


def test_owner_is_stored_upper_case_and_the_same_uid_of_another_type_is_another_token():
    emsp = _platform("eMSP", "EMSP", "DE", "TNM")
    first, second = _put(emsp, "DE", "TNM", "U1"), _put(emsp, "DE", "TNM", "U1", "EMAID")
    assert (first.country_code, first.party_id, first.object_key) == ("DE", "TNM", "DE/TNM/U1/RFID")
    assert second.pk != first.pk


def test_cpo_list_hides_types_unknown_to_221_and_is_for_cpos_only():
    emsp, cpo = _platform("eMSP", "EMSP", "DE", "TNM"), _platform("CPO", "CPO", "FR", "CPB")
    _put(emsp, "DE", "TNM", "U1")
    _put(emsp, "DE", "TNM", "U2", "EMAID")
    assert [t.uid for t in token_list_for_cpo(platform=cpo, version="2.3.0").order_by("uid")] == ["U1", "U2"]
    assert [t.uid for t in token_list_for_cpo(platform=cpo, version="2.2.1")] == ["U1"]
    assert token_list_for_cpo(platform=cpo, version="2.3.0", owner=PartyRef("NL", "EMS")).count() == 0
    with pytest.raises(InvalidParameters):
        token_list_for_cpo(platform=emsp, version="2.3.0")


def test_admin_lists_tokens_read_only_with_filters(admin_client):
    emsp = _platform("eMSP", "EMSP", "DE", "TNM")
    token = _put(emsp, "DE", "TNM", "ADMIN-UID")
    changelist = reverse("admin:tokens_token_changelist")
    response = admin_client.get(changelist, {"valid__exact": "1", "type": "RFID", "owner__id__exact": emsp.pk})
    assert response.status_code == 200
    assert b"ADMIN-UID" in response.content
    assert admin_client.get(changelist, {"whitelist__exact": "NEVER"}).content.count(b"ADMIN-UID") == 0
    detail = admin_client.get(reverse("admin:tokens_token_change", args=[token.pk]))
    assert detail.status_code == 200
    assert b"TheNewMotion" not in detail.content
    assert b"ADMIN-UID" in detail.content
    assert admin_client.get(reverse("admin:tokens_token_add")).status_code == 403
