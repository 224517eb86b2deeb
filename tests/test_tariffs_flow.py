"""Tariffs end to end: CPOs PUT/DELETE at the hub's receiver interface over real HTTP, eMSPs pull the
sender interface and receive the broadcast (PUT, then DELETE) through a real Celery worker."""

from __future__ import annotations

import json

import pytest

from locations.tests.helpers import assert_official
from ocpi_party.party import OcpiParty
from parties.models import Delivery
from parties.services.drain import delivery_attempt
from tariffs.models import Tariff
from tests.bodies import CPO_ROLE, EMSP_221_ROLE, EMSP_230_ROLE, OTHER_CPO_ROLE, tariff, ts
from tests.factories import register
from tests.ocpi_schema import example_names, example_path, requires_examples

pytestmark = pytest.mark.django_db(transaction=True)


def url(party: OcpiParty, tariff_id: str, owner: dict = CPO_ROLE) -> str:
    return "/".join([party.hub_url("tariffs", "RECEIVER"), owner["country_code"], owner["party_id"], tariff_id])


def call(party: OcpiParty, method: str, tariff_id: str, body=None, owner: dict = CPO_ROLE) -> dict:
    response = party.call(method, url(party, tariff_id, owner), json=body)
    assert response.status_code in (200, 404), response.text
    return response.json()


def tariff_deliveries() -> int:
    return Delivery.objects.filter(module="tariffs").count()


def test_put_and_delete_reach_each_emsp_in_its_own_version(hub, cpo, emsp, celery_worker):
    with OcpiParty(version="2.3.0", roles=[EMSP_230_ROLE]) as emsp230:
        register(hub.url, emsp230, "eMSP 2.3.0")
        assert call(cpo, "PUT", "T1", tariff("T1", last_updated=ts()))["status_code"] == 1000
        puts_221 = emsp.wait_for_requests("tariffs", "PUT", timeout=15)
        puts_230 = emsp230.wait_for_requests("tariffs", "PUT", timeout=15)
        assert call(cpo, "DELETE", "T1")["status_code"] == 1000
        deletes = [p.wait_for_requests("tariffs", "DELETE", timeout=15)[0] for p in (emsp, emsp230)]
    body_221, body_230 = puts_221[0].body, puts_230[0].body
    assert_official("2.2.1", "tariff", body_221)
    assert_official("2.3.0", "tariff", body_230)
    assert body_230["tax_included"] == "YES"
    assert body_230["elements"][0]["price_components"][0]["price"] == 0.363
    assert "tax_included" not in body_221
    assert body_221["elements"][0]["price_components"][0]["price"] == 0.3  # 0.363 incl. 21% VAT
    assert body_221["max_price"] == {"excl_vat": 50.0, "incl_vat": 60.5}
    assert puts_221[0].path == "/2.2.1/tariffs/NL/CPO/T1"
    assert puts_230[0].path == "/2.3.0/tariffs/NL/CPO/T1"
    for rec in deletes:
        assert rec.path.endswith("/tariffs/NL/CPO/T1")
        assert rec.raw_body == b""
        assert (rec.header("ocpi-from-country-code"), rec.header("ocpi-from-party-id")) == ("NL", "HUB")
    statuses = Delivery.objects.filter(module="tariffs").values_list("status", flat=True)
    emsp.wait_for(lambda _: set(statuses.all()) == {"succeeded"}, timeout=10)  # the answers are recorded


def test_receiver_get_put_delete_rules(cpo, emsp):
    assert call(cpo, "GET", "T1")["status_code"] == 2000
    assert call(cpo, "DELETE", "T1")["status_code"] == 2000
    call(cpo, "PUT", "T1", tariff("T1", last_updated=ts(100)))
    assert call(cpo, "GET", "t1")["data"]["max_price"] == {"before_taxes": 50.0, "after_taxes": 60.5}
    as_221 = cpo.call("GET", url(cpo, "T1").replace("/2.3.0/", "/2.2.1/")).json()["data"]
    assert as_221["max_price"] == {"excl_vat": 50.0, "incl_vat": 60.5}

    stale = call(cpo, "PUT", "T1", tariff("T1", currency="USD", last_updated=ts(50)))
    assert stale["status_code"] == 1000
    assert "older" in stale["status_message"]
    same = call(cpo, "PUT", "T1", tariff("T1", last_updated=ts(100)))
    assert same["status_message"].startswith("Unchanged")
    assert Tariff.objects.get().document["currency"] == "EUR"
    assert tariff_deliveries() == 1

    assert call(cpo, "DELETE", "T1")["status_code"] == 1000
    assert call(cpo, "DELETE", "T1")["status_message"] == "Already deleted"
    assert call(cpo, "GET", "T1")["status_code"] == 2000
    delivery = Delivery.objects.get(module="tariffs")
    assert delivery_attempt(delivery.pk) == "succeeded"
    assert [r.method for r in emsp.requests_to("tariffs")] == ["DELETE"]  # newest state only: deleted
    assert call(cpo, "PUT", "T1", tariff("T1", last_updated=ts(100)))["status_code"] == 1000  # back again
    assert call(cpo, "GET", "T1")["data"]["id"] == "T1"
    assert Tariff.objects.get().deleted_at is None


def test_tenancy_and_id_mismatches_are_rejected_and_nothing_is_stored(hub, cpo, emsp):
    foreign = call(cpo, "PUT", "T1", tariff("T1", owner=OTHER_CPO_ROLE), owner=OTHER_CPO_ROLE)
    assert foreign["status_code"] == 2001
    assert "DE/CPB" in foreign["status_message"]
    as_emsp = emsp.call(
        "PUT",
        "/".join([emsp.hub_url("tariffs", "RECEIVER"), "NL", "EMA", "T1"]),
        json=tariff("T1", owner=EMSP_221_ROLE, version="2.2.1"),
    )
    assert as_emsp.json()["status_code"] == 2001
    assert call(cpo, "PUT", "T1", tariff("T2"))["status_message"].startswith("id:")
    assert call(cpo, "PUT", "T1", tariff("T1", country_code="BE"))["status_message"].startswith("country_code:")
    call(cpo, "PUT", "T9", tariff("T9"))
    with OcpiParty(version="2.2.1", roles=[OTHER_CPO_ROLE]) as other:
        register(hub.url, other, "CPO DE")
        assert call(other, "DELETE", "T9")["status_code"] == 2001  # not its tariff
        assert call(other, "DELETE", "T9", owner=OTHER_CPO_ROLE)["status_code"] == 2000
    assert list(Tariff.objects.values_list("tariff_id", "deleted_at")) == [("T9", None)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (tariff("T1", elements=[]), "elements"),
        (tariff("T1", tax_included="MAYBE"), "tax_included"),
        (
            tariff("T1", elements=[{"price_components": [{"type": "ENERGY", "price": "cheap", "step_size": 1}]}]),
            "elements[0].price_components[0].price",
        ),
        ({k: v for k, v in tariff("T1").items() if k != "last_updated"}, "last_updated"),
        (tariff("T1", last_updated="2024-05-01 12:00"), "last_updated"),
        ("T1", "body"),
    ],
)
def test_malformed_bodies_are_2001_naming_the_field_and_nothing_is_stored(cpo, body, field):
    answer = call(cpo, "PUT", "T1", body)
    assert answer["status_code"] == 2001, answer
    assert answer["status_message"].startswith(f"{field}:"), answer
    assert not Tariff.objects.exists()
    assert tariff_deliveries() == 0


def test_broken_json_is_http_400(cpo):
    response = cpo.call("PUT", url(cpo, "T1"), data=b"{'id': 'T1'}")
    assert response.status_code == 400
    assert not Tariff.objects.exists()


@requires_examples
@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_every_official_tariff_example_is_accepted(hub, version):
    examples = {
        name: json.loads(example_path(version, name).read_text(encoding="utf-8"))
        for name in example_names(version, "tariff*.json")
    }
    assert len(examples) >= 20
    owners = sorted({(body["country_code"], body["party_id"]) for body in examples.values()})
    roles = [{"role": "CPO", "country_code": cc, "party_id": pid} for cc, pid in owners]
    with OcpiParty(version=version, roles=roles) as cpo:
        register(hub.url, cpo, "examples")
        for index, (name, body) in enumerate(examples.items()):
            owner = {"country_code": body["country_code"], "party_id": body["party_id"]}
            body["id"] = f"{body['id']}-{index}"  # several examples share an id
            answer = call(cpo, "PUT", body["id"], body, owner=owner)
            if name == "tariff_put_example.json":  # the only example without last_updated (required)
                assert answer["status_code"] == 2001
                assert answer["status_message"].startswith("last_updated:")
                continue
            assert answer["status_code"] == 1000, (name, answer)
            assert call(cpo, "GET", body["id"], owner=owner)["data"] == body, name


def test_sender_list_is_paginated_and_leaves_deleted_tariffs_out(cpo, emsp):
    for index in range(4):
        call(cpo, "PUT", f"T{index}", tariff(f"T{index}", last_updated=ts(500 + index)))
    call(cpo, "DELETE", "T1")
    sender = emsp.hub_url("tariffs", "SENDER")
    first = emsp.call("GET", f"{sender}?limit=2")
    assert first.headers["X-Total-Count"] == "3"
    assert first.headers["X-Limit"] == "1000"
    page = first.json()["data"]
    assert [item["id"] for item in page] == ["T0", "T2"]
    assert "tax_included" not in page[0]  # rendered in the URL's version (2.2.1)
    link = first.headers["Link"]
    assert "offset=2" in link
    assert "limit=2" in link
    assert [item["id"] for item in emsp.call("GET", link[1 : link.index(">")]).json()["data"]] == ["T3"]
    window = emsp.call("GET", f"{sender}?date_from={ts(501)}&date_to={ts(503)}")
    assert [item["id"] for item in window.json()["data"]] == ["T2"]
    assert window.headers["X-Total-Count"] == "1"
    to_other = emsp.call("GET", sender, headers={"OCPI-to-country-code": "DE", "OCPI-to-party-id": "CPB"})
    assert to_other.json()["data"] == []


def test_a_targeted_put_reaches_only_the_emsp_named_in_ocpi_to(hub, cpo, emsp, celery_worker):
    """ocpi/ocpi #507/#508: a Tariff PUT whose OCPI-to names one eMSP goes to that eMSP only (headers from = the
    CPO, to = the eMSP) and stays out of the other eMSPs' GET; its DELETE follows it."""
    with OcpiParty(version="2.3.0", roles=[EMSP_230_ROLE]) as other:
        register(hub.url, other, "eMSP 2.3.0")
        to_emsp = {"OCPI-to-country-code": EMSP_221_ROLE["country_code"], "OCPI-to-party-id": EMSP_221_ROLE["party_id"]}
        response = cpo.call("PUT", url(cpo, "SPECIAL"), json=tariff("SPECIAL", last_updated=ts()), headers=to_emsp)
        assert response.json()["status_code"] == 1000, response.text

        pushed = emsp.wait_for_requests("tariffs", "PUT", timeout=15)[0]
        assert pushed.path == "/2.2.1/tariffs/NL/CPO/SPECIAL"
        assert (pushed.header("ocpi-from-party-id"), pushed.header("ocpi-to-party-id")) == (
            CPO_ROLE["party_id"],
            EMSP_221_ROLE["party_id"],
        )
        assert tariff_deliveries() == 1
        assert [t["id"] for t in other.call("GET", other.hub_url("tariffs", "SENDER")).json()["data"]] == []
        assert [t["id"] for t in emsp.call("GET", emsp.hub_url("tariffs", "SENDER")).json()["data"]] == ["SPECIAL"]
        assert call(cpo, "DELETE", "SPECIAL")["status_code"] == 1000
        emsp.wait_for_requests("tariffs", "DELETE", timeout=15)
        assert other.requests_to("tariffs") == []
        assert tariff_deliveries() == 2
