"""Tariffs services, selectors and the delivery renderer, against the database (no HTTP)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ocpi_hub.exceptions import InvalidParameters, NotFound
from parties.models import Delivery, Platform
from tariffs import services
from tariffs.models import Tariff
from tariffs.outbound import render_tariff_delivery
from tariffs.selectors import tariff_get_own, tariff_list_live, tariffs_for_sync
from tests.bodies import CPO_ROLE, tariff, ts
from tests.factories import EndpointFactory, party_platform

pytestmark = pytest.mark.django_db


def make_platform(name: str, role: str, cc: str, pid: str, version: str = "2.2.1") -> Platform:
    platform = party_platform(name, role, cc, pid, version=version, token_out="t")
    EndpointFactory(platform=platform, identifier="tariffs", url=f"http://127.0.0.1:9/{name}")
    return platform


@pytest.fixture
def cpo() -> Platform:
    return make_platform("cpo", "CPO", CPO_ROLE["country_code"], CPO_ROLE["party_id"], version="2.3.0")


@pytest.fixture
def emsp() -> Platform:
    return make_platform("emsp", "EMSP", "NL", "EMA")


def put(cpo: Platform, body, tariff_id: str = "T1", version: str = "2.3.0") -> services.PushResult:
    return services.tariff_put(
        platform=cpo, version=version, country_code="nl", party_id="cpo", tariff_id=tariff_id, body=body
    )


def test_put_stores_the_canonical_document_from_either_version(cpo):
    assert put(cpo, tariff("t1", version="2.2.1", last_updated=ts(10)), "t1", version="2.2.1").applied
    row = Tariff.objects.get()
    assert (row.country_code, row.party_id, row.tariff_id, row.tariff_key) == ("NL", "CPO", "t1", "T1")
    assert row.document["tax_included"] == "NO"
    assert row.document["max_price"]["before_taxes"] == 50.0
    assert row.last_updated.isoformat() == "2024-05-01T12:00:10+00:00"


def test_stale_identical_and_repeated_deletes_change_nothing(cpo, emsp):
    put(cpo, tariff(last_updated=ts(10)))
    assert put(cpo, tariff(last_updated=ts(9))).message == services.STALE
    assert put(cpo, tariff(last_updated=ts(10))).message == services.UNCHANGED
    assert services.tariff_delete(platform=cpo, country_code="NL", party_id="CPO", tariff_id="t1").applied
    again = services.tariff_delete(platform=cpo, country_code="NL", party_id="CPO", tariff_id="T1")
    assert not again.applied
    assert put(cpo, tariff(last_updated=ts(10))).applied  # the same tariff comes back after a delete
    assert Delivery.objects.filter(module="tariffs").count() == 1  # still one pending row: merged


def test_rejections(cpo, emsp):
    with pytest.raises(InvalidParameters, match="not one of your registered roles"):
        services.tariff_put(
            platform=emsp,
            version="2.2.1",
            country_code="NL",
            party_id="EMA",
            tariff_id="T1",
            body=tariff(owner={"country_code": "NL", "party_id": "EMA"}, version="2.2.1"),
        )
    with pytest.raises(InvalidParameters, match="^id:"):
        put(cpo, tariff("T2"))
    with pytest.raises(ValidationError, match="tax_included"):
        put(cpo, {k: v for k, v in tariff().items() if k != "tax_included"})
    with pytest.raises(NotFound):
        services.tariff_delete(platform=cpo, country_code="NL", party_id="CPO", tariff_id="T404")
    assert not Tariff.objects.exists()


def test_selectors_leave_deleted_tariffs_out(cpo):
    put(cpo, tariff("T1"), "T1")
    put(cpo, tariff("T2"), "T2")
    services.tariff_delete(platform=cpo, country_code="NL", party_id="CPO", tariff_id="T2")
    assert [t.tariff_id for t in tariff_list_live()] == ["T1"]
    assert [t.tariff_id for t in tariffs_for_sync()] == ["T1"]
    assert tariff_get_own(platform=cpo, country_code="nl", party_id="cpo", tariff_id="t1").tariff_id == "T1"
    with pytest.raises(NotFound):
        tariff_get_own(platform=cpo, country_code="NL", party_id="CPO", tariff_id="T2")


def test_renderer_puts_the_current_state_then_deletes(cpo, emsp):
    put(cpo, tariff())
    delivery = Delivery.objects.get(module="tariffs")
    request = render_tariff_delivery(delivery)
    assert (request.method, request.url) == ("PUT", "http://127.0.0.1:9/emsp/NL/CPO/T1")
    assert "tax_included" not in request.body
    assert request.body["elements"][0]["price_components"][0]["price"] == 0.3
    assert request.routing.receiver.party_id == "EMA"
    assert request.routing.sender.party_id == "HUB"
    services.tariff_delete(platform=cpo, country_code="NL", party_id="CPO", tariff_id="T1")
    request = render_tariff_delivery(Delivery.objects.get(module="tariffs"))
    assert (request.method, request.body) == ("DELETE", None)
    Tariff.objects.all().delete()
    assert render_tariff_delivery(delivery) is None
