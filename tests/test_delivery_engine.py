"""The delivery engine under failure, driven by Locations pushes: receivers that are down, a worker killed
mid-delivery, receivers answering errors. Real hub, real test parties, real Celery worker where marked."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.utils import timezone

from conftest import Worker
from locations.models import Location
from locations.tests.helpers import apply_push, sorted_location
from locations.wire import render_location
from ocpi_party.party import OcpiParty
from parties.models import Delivery, DeliveryAttempt, Platform
from parties.services.delivery import deliveries_redrive, deliveries_sweep
from parties.services.drain import delivery_attempt
from tests.bodies import connector, location, ts

pytestmark = pytest.mark.django_db(transaction=True)
LOCATIONS = r"/locations/"


@pytest.fixture
def worker_with_3_attempts(hub):
    """A real worker that dead-letters a delivery after its third failed attempt."""
    worker = Worker(hub.url, extra_env={"OCPI_HUB_DELIVERY_MAX_ATTEMPTS": "3"}).start()
    yield worker
    worker.stop()


def push(party: OcpiParty, method: str, body: dict, *ids: str) -> None:
    base = party.hub_url("locations", "RECEIVER")
    response = party.call(method, "/".join([base, "NL", "CPO", *ids]), json=body)
    assert response.json()["status_code"] == 1000, response.text


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout}s")
        time.sleep(0.1)


def received_state(party: OcpiParty) -> dict[str, dict]:
    """What the party holds after replaying, in order, every Locations PUT it accepted."""
    state: dict[str, dict] = {}
    for rec in party.requests_to("locations", "PUT"):
        if rec.status_code == 1000:
            apply_push(state, rec.path, rec.body)
    return {key: sorted_location(doc) for key, doc in state.items()}


def hub_state(version: str) -> dict[str, dict]:
    return {row.location_id: sorted_location(render_location(row.document, version)) for row in Location.objects.all()}


def wait_in_sync(party: OcpiParty, timeout: float = 30.0) -> None:
    party.wait_for(lambda _: received_state(party) == hub_state(party.version), timeout=timeout)


def open_deliveries() -> list[str]:
    return list(
        Delivery.objects.filter(module="locations", status__in=["pending", "in_flight"]).values_list(
            "status", flat=True
        )
    )


def test_receiver_down_for_a_while_gets_every_update_with_the_newest_state_last(cpo, emsp, celery_worker):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    wait_in_sync(emsp)
    emsp.go_down()
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    push(cpo, "PUT", connector("1", max_amperage=32, last_updated=ts()), "LOC1", "E2", "1")
    push(cpo, "PUT", location("LOC2", last_updated=ts()), "LOC2")
    wait_until(
        lambda: DeliveryAttempt.objects.filter(delivery__module="locations", outcome="error").exists(),
        what="a failed attempt while the receiver is down",
    )
    push(cpo, "PATCH", {"name": "Newest", "last_updated": ts()}, "LOC1")
    push(cpo, "PATCH", {"status": "OUTOFORDER", "last_updated": ts()}, "LOC2", "E2")
    emsp.come_up()

    wait_in_sync(emsp)
    state = received_state(emsp)
    assert state["LOC1"]["name"] == "Newest"
    assert state["LOC1"]["evses"][0]["status"] == "CHARGING"
    assert state["LOC1"]["evses"][1]["connectors"][0]["max_amperage"] == 32
    assert state["LOC2"]["evses"][1]["status"] == "OUTOFORDER"
    last_loc1 = [r for r in emsp.requests_to("locations", "PUT") if "/LOC1" in r.path][-1]
    assert last_loc1.body["last_updated"] == Location.objects.get(location_id="LOC1").document["last_updated"]
    wait_until(lambda: not open_deliveries(), what="no open deliveries")
    assert not Delivery.objects.filter(module="locations", status__in=["failed", "dead"]).exists()


def test_worker_killed_mid_delivery_loses_nothing(cpo, emsp, celery_worker):
    emsp.respond_with(delay=3.0, times=1, path_regex=LOCATIONS)
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    emsp.wait_for(lambda reqs: any(r.module == "locations" for r in reqs), timeout=15)  # answer still delayed
    celery_worker.kill()
    assert Delivery.objects.get(module="locations").status == "in_flight"
    push(cpo, "PATCH", {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E1")
    push(cpo, "PUT", location("LOC2", last_updated=ts()), "LOC2")
    celery_worker.start()

    wait_in_sync(emsp)
    assert received_state(emsp)["LOC1"]["evses"][0]["status"] == "BLOCKED"
    wait_until(lambda: not open_deliveries(), what="no open deliveries")
    statuses = sorted(Delivery.objects.filter(module="locations").values_list("status", flat=True))
    assert statuses in (["succeeded", "succeeded", "superseded"], ["succeeded", "succeeded", "succeeded"])


def test_receiver_answering_2001_is_not_retried_and_the_failure_is_visible(cpo, emsp, admin_client):
    emsp.respond_with(status_code=2001, status_message="location rejected", path_regex=LOCATIONS)
    push(cpo, "PUT", location(), "LOC1")
    delivery = Delivery.objects.get(module="locations")
    assert delivery_attempt(delivery.pk) == "failed"
    deliveries_sweep()
    assert delivery_attempt(delivery.pk) == "not-claimed"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_ocpi_status) == ("failed", 1, 2001)
    assert "location rejected" in delivery.last_error
    assert len(emsp.requests_to("locations")) == 1
    page = admin_client.get(f"/admin/locations/location/{Location.objects.get().pk}/change/")
    assert page.status_code == 200
    assert b"failed" in page.content
    assert b"location rejected" in page.content


def test_http_500_is_retried_then_dead_lettered_and_a_redrive_delivers(cpo, emsp, worker_with_3_attempts):
    emsp.respond_with(http_status=500, status_code=3000, path_regex=LOCATIONS)
    push(cpo, "PUT", location(), "LOC1")
    wait_until(lambda: Delivery.objects.filter(module="locations", status="dead").exists(), what="dead letter")
    delivery = Delivery.objects.get(module="locations")
    assert delivery.attempts == 3
    assert delivery.last_http_status == 500
    assert list(delivery.attempt_log.values_list("outcome", flat=True)) == ["retry"] * 3
    assert len(emsp.requests_to("locations")) == 3

    emsp.clear_responses()
    assert deliveries_redrive(deliveries=Delivery.objects.filter(module="locations")) == 1
    wait_until(lambda: Delivery.objects.get(pk=delivery.pk).status == "succeeded", what="redriven delivery")
    assert emsp.requests_to("locations")[-1].status_code == 1000
    wait_in_sync(emsp, timeout=5)


def test_dead_letter_and_redrive_without_a_worker(cpo, emsp, settings):
    settings.OCPI_HUB_DELIVERY_MAX_ATTEMPTS = 2
    emsp.respond_with(http_status=503, status_code=3000, path_regex=LOCATIONS)
    push(cpo, "PUT", location(), "LOC1")
    delivery = Delivery.objects.get(module="locations")
    assert delivery_attempt(delivery.pk) == "retry"
    assert delivery_attempt(delivery.pk) == "not-claimed"  # backing off
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert delivery_attempt(delivery.pk) == "dead"
    emsp.clear_responses()
    assert deliveries_redrive(deliveries=Delivery.objects.filter(pk=delivery.pk)) == 1
    assert delivery_attempt(delivery.pk) == "succeeded"
    assert [r.status_code for r in emsp.requests_to("locations")] == [3000, 3000, 1000]


def test_three_401_answers_flag_the_receiver_for_attention(cpo, emsp):
    emsp.respond_with(http_status=401, status_code=2000, path_regex=LOCATIONS)
    platform = Platform.objects.get(name="eMSP 2.2.1")
    for number in (1, 2, 3):
        push(cpo, "PUT", location(f"LOC{number}"), f"LOC{number}")
        delivery = Delivery.objects.get(module="locations", object_key=f"NL/CPO/LOC{number}")
        assert delivery_attempt(delivery.pk) == "failed"  # no retry on 4xx
        platform.refresh_from_db()
        assert platform.needs_attention is (number == 3)
    assert platform.unauthorized_count == 3
    assert "401" in platform.attention_reason
