"""PATCH (clearing), the CPO's own GET, the eMSP sender GET and the routing rules (which Delivery rows)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from errors.models import ErrorRecord
from errors.services import RecordRef, error_record_put
from errors.tests.helpers import auth, make_location, make_platform, make_session
from parties.models import Delivery
from tests.bodies import MINUTE, record_body, ts

pytestmark = pytest.mark.django_db
RECEIVER = "/ocpi/2.2.1/receiver/chargex-errors/NL/CPO"
SENDER = "/ocpi/{version}/sender/chargex-errors"


@pytest.fixture
def cpo():
    platform = make_platform("cpo", "CPO", "NL", "CPO")
    make_location(platform)
    return platform


def put(cpo, record_id: str = "ERR1", **changes: Any) -> ErrorRecord:
    ref = RecordRef("NL", "CPO", record_id)
    result = error_record_put(platform=cpo, version="2.2.1", ref=ref, body=record_body(record_id, **changes))
    assert result.applied
    assert result.record is not None
    return result.record


def patch(client, body: dict[str, Any], record_id: str = "ERR1") -> dict[str, Any]:
    response = client.patch(
        f"{RECEIVER}/{record_id}", data=json.dumps(body), content_type="application/json", **auth("cpo")
    )
    assert response.status_code == 200
    return response.json()


# --- PATCH ----------------------------------------------------------------------------------------------------


def test_patch_clears_the_record_and_routes_it_again(client, cpo):
    emsp = make_platform("emsp", "EMSP", "NL", "EMS", opted_in=True)
    put(cpo)
    Delivery.objects.update(status="succeeded")
    reply = patch(client, {"cleared_at": ts(30 * MINUTE), "last_updated": ts(30 * MINUTE)})
    assert reply["status_code"] == 1000
    record = ErrorRecord.objects.get()
    assert record.cleared_at is not None
    assert record.document["cleared_at"] == ts(30 * MINUTE)
    assert record.document["last_updated"] == ts(30 * MINUTE)
    assert record.document["code"] == "CX003"
    assert Delivery.objects.filter(receiver=emsp, status="pending").count() == 1


def test_patch_needs_last_updated(client, cpo):
    put(cpo)
    reply = patch(client, {"cleared_at": ts(30 * MINUTE)})
    assert reply["status_code"] == 2001
    assert reply["status_message"].startswith("last_updated:")
    assert ErrorRecord.objects.get().cleared_at is None


def test_patch_may_not_change_other_fields(client, cpo):
    put(cpo)
    reply = patch(client, {"code": "CX004", "cleared_at": ts(30 * MINUTE), "last_updated": ts(30 * MINUTE)})
    assert reply["status_code"] == 2001
    assert reply["status_message"].startswith("code:")
    assert ErrorRecord.objects.get().cleared_at is None


def test_patch_clearing_before_occurrence_is_rejected(client, cpo):
    put(cpo, occurred_at=ts(10 * MINUTE), last_updated=ts(10 * MINUTE))
    reply = patch(client, {"cleared_at": ts(5 * MINUTE), "last_updated": ts(30 * MINUTE)})
    assert reply["status_code"] == 2001
    assert reply["status_message"].startswith("cleared_at:")
    record = ErrorRecord.objects.get()
    assert record.cleared_at is None
    assert record.document["last_updated"] == ts(10 * MINUTE)


def test_patch_of_unknown_record_is_rejected(client, cpo):
    reply = patch(client, {"cleared_at": ts(30 * MINUTE), "last_updated": ts(30 * MINUTE)}, record_id="NOPE")
    assert reply["status_code"] == 2001
    assert "PUT it first" in reply["status_message"]


def test_stale_patch_is_ignored(client, cpo):
    put(cpo, last_updated=ts(20 * MINUTE))
    reply = patch(client, {"cleared_at": ts(30 * MINUTE), "last_updated": ts(10 * MINUTE)})
    assert reply["status_code"] == 1000
    assert "older" in reply["status_message"]
    assert ErrorRecord.objects.get().cleared_at is None


# --- GET own --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_cpo_gets_its_own_record(client, cpo, version):
    put(cpo, "Err-1")
    response = client.get(f"/ocpi/{version}/receiver/chargex-errors/nl/cpo/ERR-1", **auth("cpo"))
    assert response.status_code == 200
    assert response.json()["data"] == record_body("Err-1")


def test_get_of_unknown_or_foreign_record(client, cpo):
    make_platform("other", "CPO", "DE", "CPB")
    assert client.get(f"{RECEIVER}/NOPE", **auth("cpo")).status_code == 404
    put(cpo)
    reply = client.get(f"{RECEIVER}/ERR1", **auth("other")).json()
    assert reply["status_code"] == 2001
    assert "data" not in reply


# --- routing and sender GET -----------------------------------------------------------------------------------


def test_evse_level_record_goes_to_every_opted_in_emsp_only(cpo):
    opted_a = make_platform("a", "EMSP", "NL", "EMA", opted_in=True)
    opted_b = make_platform("b", "EMSP", "BE", "EMB", opted_in=True, version="2.3.0")
    make_platform("plain", "EMSP", "DE", "EMC")  # did not opt in
    make_platform("cpo2", "CPO", "DE", "CPB")  # not an eMSP
    put(cpo)
    assert set(Delivery.objects.values_list("receiver", flat=True)) == {opted_a.pk, opted_b.pk}
    assert set(Delivery.objects.values_list("object_key", flat=True)) == {"NL/CPO/ERR1"}


def test_sender_get_lists_only_what_is_routed_to_the_caller(client, cpo):
    make_platform("a", "EMSP", "NL", "EMA", opted_in=True)
    make_platform("plain", "EMSP", "DE", "EMC")
    put(cpo, "ERR1", last_updated=ts(1 * MINUTE))
    put(cpo, "ERR2", last_updated=ts(2 * MINUTE))
    response = client.get(SENDER.format(version="2.3.0") + "?limit=1", **auth("a"))
    assert [item["id"] for item in response.json()["data"]] == ["ERR1"]
    assert response["X-Total-Count"] == "2"
    assert "offset=1" in response["Link"]
    assert client.get(SENDER.format(version="2.2.1"), **auth("plain")).json()["data"] == []
    assert client.get(SENDER.format(version="2.2.1"), **auth("cpo")).json()["data"] == []


def test_session_linked_record_reaches_only_that_sessions_emsp(client, cpo):
    owner = make_platform("a", "EMSP", "NL", "EMA", opted_in=True)
    make_platform("b", "EMSP", "BE", "EMB", opted_in=True)
    make_session(cpo, owner, "S1", receiver_party=("NL", "EMA"))
    put(cpo, "ERR1", session_id="S1")
    put(cpo, "ERR2")
    assert list(Delivery.objects.filter(object_key="NL/CPO/ERR1").values_list("receiver", flat=True)) == [owner.pk]
    assert Delivery.objects.filter(object_key="NL/CPO/ERR2").count() == 2
    ids = {
        client_id: [i["id"] for i in client.get(SENDER.format(version="2.2.1"), **auth(client_id)).json()["data"]]
        for client_id in ("a", "b")
    }
    assert ids == {"a": ["ERR1", "ERR2"], "b": ["ERR2"]}


def test_session_linked_record_of_a_non_opted_emsp_goes_nowhere(cpo):
    owner = make_platform("plain", "EMSP", "NL", "EMA")
    make_platform("b", "EMSP", "BE", "EMB", opted_in=True)
    make_session(cpo, owner, "S1", receiver_party=("NL", "EMA"))
    put(cpo, "ERR1", session_id="S1")
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_version_details_list_both_interfaces(client, version):
    make_platform("emsp", "EMSP", "NL", "EMS", opted_in=True)
    endpoints = client.get(f"/ocpi/{version}", **auth("emsp")).json()["data"]["endpoints"]
    ours = {(e["role"], e["url"].split("/ocpi/", 1)[1]) for e in endpoints if e["identifier"] == "chargex-errors"}
    assert ours == {
        ("RECEIVER", f"{version}/receiver/chargex-errors"),
        ("SENDER", f"{version}/sender/chargex-errors"),
    }
