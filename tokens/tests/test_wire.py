"""Token wire models: parsing into the canonical document, rendering per version, AuthorizationInfo translation."""

from __future__ import annotations

import pytest

from ocpi_hub.exceptions import InvalidParameters
from tokens import wire

TOKEN = {
    "country_code": "DE",
    "party_id": "TNM",
    "uid": "12345678905880",
    "type": "RFID",
    "contract_id": "DE8ACC12E46L89",
    "issuer": "TheNewMotion",
    "valid": True,
    "whitelist": "ALLOWED",
    "energy_contract": {"supplier_name": "Greenpeace Energy eG"},
    "last_updated": "2018-12-10T17:25:10Z",
}


def test_parse_drops_nulls_keeps_unknown_fields_aside_and_normalises_datetimes():
    doc = wire.parse_token("2.3.0", {**TOKEN, "visual_number": None, "extra": 1, "last_updated": "2018-12-10T17:25:10"})
    assert doc == {**TOKEN, "_unknown": {"version": "2.3.0", "fields": {"extra": 1}}}
    assert wire.render_token(doc, "2.3.0") == {**TOKEN, "extra": 1}
    assert "extra" not in wire.render_token(doc, "2.2.1")


def test_emaid_exists_only_in_230():
    emaid = {**TOKEN, "type": "EMAID"}
    assert wire.render_token(wire.parse_token("2.3.0", emaid), "2.3.0") == emaid
    assert wire.render_token(emaid, "2.2.1") is None
    with pytest.raises(InvalidParameters, match=r"^type: "):
        wire.parse_token("2.2.1", emaid)


def test_custom_230_token_types_are_accepted_up_to_100_characters():
    assert wire.parse_token("2.3.0", {**TOKEN, "type": "VENDOR_KEYFOB"})["type"] == "VENDOR_KEYFOB"
    with pytest.raises(InvalidParameters, match=r"^type: "):
        wire.parse_token("2.3.0", {**TOKEN, "type": "X" * 101})


def test_errors_name_nested_fields():
    with pytest.raises(InvalidParameters, match=r"^energy_contract\.supplier_name: Field required"):
        wire.parse_token("2.2.1", {**TOKEN, "energy_contract": {}})
    with pytest.raises(InvalidParameters, match=r"^body: must be a JSON object"):
        wire.parse_token("2.2.1", [TOKEN])


def test_location_references_are_optional_and_checked():
    assert wire.parse_location_references(None) is None
    assert wire.parse_location_references({"location_id": "L1", "evse_uids": None}) == {"location_id": "L1"}
    with pytest.raises(InvalidParameters, match=r"^location_id: Field required"):
        wire.parse_location_references({"evse_uids": ["E1"]})


def test_authorization_info_230_to_221_keeps_the_decision_and_drops_what_221_lacks():
    info = {"allowed": "ALLOWED", "token": {**TOKEN, "type": "EMAID"}, "info": {"language": "en", "text": "Hi"}}
    translated = wire.translate_authorization_info(info, source="2.3.0", target="2.2.1")
    assert translated == {**info, "token": {**TOKEN, "type": "OTHER"}}


def test_authorization_info_221_to_230_and_invalid_answers():
    info = {"allowed": "NO_CREDIT", "token": TOKEN, "authorization_reference": "REF1"}
    assert wire.translate_authorization_info(info, source="2.2.1", target="2.3.0") == info
    with pytest.raises(InvalidParameters, match=r"^allowed: "):
        wire.translate_authorization_info({**info, "allowed": "MAYBE"}, source="2.2.1", target="2.3.0")
