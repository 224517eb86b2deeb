"""Checks that need stored data: Session <-> CDR linking, credit references, the EVSE-exists check
(against the Locations app's tables, when it is installed), through the services with a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.apps import apps

from cdrs.models import Cdr
from cdrs.services import cdr_create
from ocpi_hub.exceptions import InvalidParameters
from parties.models import Platform
from sessions.selectors import evse_exists
from sessions.services import Push, SessionRef, session_put
from tests.bodies import EMSP_X, cdr_body, session_body
from tests.factories import party_platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def cpo() -> Platform:
    platform = party_platform("CPO A", "CPO", "NL", "CPA", token_out="")
    party_platform("eMSP X", "EMSP", EMSP_X["country_code"], "EMX", version="2.3.0", token_out="")
    return platform


def _put_session(cpo: Platform, **changes) -> None:
    body = session_body(**changes)
    session_put(push=Push(platform=cpo, version="2.2.1", ref=SessionRef("NL", "CPA", body["id"]), body=body))


def _codes(cdr: Cdr) -> list[str]:
    return [warning["code"] for warning in cdr.quality_warnings]


def test_link_by_session_id_is_case_insensitive(cpo):
    _put_session(cpo, session_id="s1")
    result = cdr_create(platform=cpo, version="2.2.1", body=cdr_body(session_id="S1"))
    assert result.cdr.session is not None
    assert (result.cdr.link_method, result.cdr.session.session_id) == ("session_id", "s1")


def test_link_by_token_evse_and_overlapping_time_window(cpo):
    _put_session(cpo, session_id="OPEN", charging_periods=[])  # no end: open-ended
    result = cdr_create(platform=cpo, version="2.2.1", body=cdr_body(session_id=None))
    assert result.cdr.session is not None
    assert (result.cdr.link_method, result.cdr.session.session_id) == ("token_evse_time", "OPEN")
    assert _codes(result.cdr) == []


def test_no_link_for_another_token_or_a_later_window(cpo):
    _put_session(cpo, session_id="LATER", start_date_time="2024-05-01T12:30:00Z", charging_periods=[])
    other_token = dict(cdr_body()["cdr_token"], uid="OTHER")
    assert cdr_create(platform=cpo, version="2.2.1", body=cdr_body(session_id=None)).cdr.link_method == ""
    second = cdr_create(platform=cpo, version="2.2.1", body=cdr_body(cdr_id="CDR2", cdr_token=other_token))
    assert (second.cdr.link_method, _codes(second.cdr)) == ("", ["SESSION_ID_UNKNOWN", "SESSION_UNLINKED"])


def test_credit_reference_must_name_a_cdr_of_the_same_cpo(cpo):
    cdr_create(platform=cpo, version="2.2.1", body=cdr_body())
    with pytest.raises(InvalidParameters, match="CREDIT_REFERENCE_UNKNOWN"):
        cdr_create(platform=cpo, version="2.2.1", body=cdr_body(cdr_id="C2", credit=True, credit_reference_id="X"))
    credit = cdr_create(
        platform=cpo, version="2.2.1", body=cdr_body(cdr_id="C2", credit=True, credit_reference_id="CDR1")
    )
    assert credit.cdr.credit_reference is not None
    assert credit.cdr.credit_reference.cdr_id == "CDR1"
    assert Cdr.objects.count() == 2


@pytest.mark.skipif(not apps.is_installed("locations"), reason="the Locations app is not installed")
def test_evse_unknown_only_when_the_cpo_publishes_locations(cpo):
    location_model = apps.get_model("locations", "Location")
    evse_model = apps.get_model("locations", "Evse")
    args = {"country_code": "NL", "party_id": "CPA", "location_id": "LOC1", "evse_uid": "EVSE1"}
    assert evse_exists(**args) is None  # the CPO publishes no Locations through the hub: cannot tell
    moment = datetime(2024, 5, 1, tzinfo=UTC)
    location = location_model.objects.create(
        owner=cpo,
        country_code="NL",
        party_id="CPA",
        location_id="LOC1",
        location_key="LOC1",
        last_updated=moment,
        document={},
    )
    assert evse_exists(**args) is False
    first = cdr_create(platform=cpo, version="2.2.1", body=cdr_body(session_id=None))
    assert "EVSE_UNKNOWN" in _codes(first.cdr)
    evse_model.objects.create(location=location, uid="evse1", uid_key="EVSE1", status="AVAILABLE", last_updated=moment)
    assert evse_exists(**args) is True
    assert evse_exists(**dict(args, evse_uid="#NA")) is None
    second = cdr_create(platform=cpo, version="2.2.1", body=cdr_body(cdr_id="CDR2", session_id=None))
    assert "EVSE_UNKNOWN" not in _codes(second.cdr)
