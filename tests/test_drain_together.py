"""Receivers woken together are drained together (parties/services/drain.py ``receivers_drain``): one
claim, one read of the receivers and of the broadcast object, one record for all of them; a receiver that
fails, is paused or is slow is handed a drain of its own. Real hub over HTTP, real test parties; the engine
is called in the test process, the broker is the real one (its queue is read)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import purge_test_queue
from ocpi_party.party import OcpiParty
from parties.models import Delivery, DeliveryAttempt, Platform, ReceiverQueue
from parties.services import drain
from parties.services.drain import receivers_drain
from tests.bodies import location, ts
from tests.factories import register
from tests.test_delivery_engine import hub_state, push, received_state
from tests.test_delivery_engine_rules import broker_messages

pytestmark = pytest.mark.django_db(transaction=True)


def emsp_role(number: int) -> dict:
    return {"role": "EMSP", "country_code": "NL", "party_id": f"EM{number}", "business_details": {"name": "e"}}


@pytest.fixture
def emsps(hub, cpo, settings) -> Iterator[list[OcpiParty]]:
    """Three 2.2.1 eMSPs; the web process wakes receivers when a change commits (no listener, no worker)."""
    settings.OCPI_HUB_DISPATCH = "on_commit"
    with (
        OcpiParty(version="2.2.1", roles=[emsp_role(1)]) as first,
        OcpiParty(version="2.2.1", roles=[emsp_role(2)]) as second,
        OcpiParty(version="2.3.0", roles=[emsp_role(3)]) as third,
    ):
        parties = [first, second, third]
        for party in parties:
            register(hub.url, party)
        Delivery.objects.all().delete()  # the registrations' HubClientInfo rows
        drain._answer_ms.clear()
        yield parties
    purge_test_queue()


def platform_ids(parties: list[OcpiParty]) -> list[int]:
    return [Platform.objects.get(roles__party_id=party.roles[0]["party_id"]).pk for party in parties]


def ready_to_drain() -> None:
    """Forget the drains the pushes asked for: the test runs the drain itself."""
    purge_test_queue()
    ReceiverQueue.objects.update(wake_at=None)


def test_a_broadcast_reaches_receivers_drained_together_reading_the_location_once(cpo, emsps):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    push(cpo, "PUT", location("LOC2", last_updated=ts()), "LOC2")
    ready_to_drain()

    with CaptureQueriesContext(connection) as queries:
        attempted = receivers_drain(platform_ids(emsps))

    assert attempted == 6
    location_reads = [q["sql"] for q in queries if "locations_location" in q["sql"].split(" WHERE ")[0]]
    assert len(location_reads) == 2  # once per Location, not once per receiver
    for party in emsps:
        assert received_state(party) == hub_state(party.version)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert ReceiverQueue.objects.filter(drain_until__isnull=False).count() == 0  # every lease given back


def test_newest_state_last_when_drained_together(cpo, emsps):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    ready_to_drain()
    receivers_drain(platform_ids(emsps))
    for status in ("CHARGING", "BLOCKED", "AVAILABLE"):
        push(cpo, "PATCH", {"status": status, "last_updated": ts()}, "LOC1", "E1")
    ready_to_drain()

    receivers_drain(platform_ids(emsps))

    for party in emsps:
        assert received_state(party) == hub_state(party.version)
        assert received_state(party)["LOC1"]["evses"][0]["status"] == "AVAILABLE"


def test_a_failing_receiver_does_not_hold_up_the_others_and_then_drains_alone(cpo, emsps):
    down = emsps[1]
    down.go_down()
    for number in (1, 2, 3):
        push(cpo, "PUT", location(f"LOC{number}", last_updated=ts()), f"LOC{number}")
    ready_to_drain()
    ids = platform_ids(emsps)

    receivers_drain(ids)

    assert DeliveryAttempt.objects.filter(delivery__receiver_id=ids[1]).count() == 1  # stopped at its failure
    assert Delivery.objects.filter(receiver_id=ids[1], status="pending").count() == 3
    for party in (emsps[0], emsps[2]):
        assert received_state(party) == hub_state(party.version)
    assert ReceiverQueue.objects.get(pk=ids[1]).failures == 1

    ready_to_drain()
    for number in (1, 2, 3):
        push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, f"LOC{number}", "E1")
    ready_to_drain()
    receivers_drain(ids)  # the failing receiver is handed a drain of its own: one message, nothing sent here

    assert DeliveryAttempt.objects.filter(delivery__receiver_id=ids[1]).count() == 1
    assert broker_messages() == 1
    assert ReceiverQueue.objects.get(pk=ids[1]).drain_until is None  # its own drain can take the lease
    for party in (emsps[0], emsps[2]):
        assert received_state(party) == hub_state(party.version)

    down.come_up()
    Delivery.objects.filter(receiver_id=ids[1], status="pending").update(next_attempt_at=timezone.now())  # backoff
    assert receivers_drain([ids[1]]) == 3  # alone, as its message asks
    assert received_state(down) == hub_state(down.version)


def test_a_slow_receiver_drains_alone(cpo, emsps, settings):
    settings.OCPI_HUB_DRAIN_GROUP_SLOW_MS = 100.0
    slow = emsps[2]
    slow.respond_with(status_code=1000, delay=0.3, path_regex=r"/locations/")
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    ready_to_drain()
    ids = platform_ids(emsps)
    receivers_drain(ids)  # all three together; the slow answer is noted
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    ready_to_drain()

    assert receivers_drain(ids) == 2

    assert broker_messages() == 1  # the slow one's own drain
    assert Delivery.objects.filter(receiver_id=ids[2], status="pending").count() == 1


def test_receivers_with_a_backlog_drain_alone_next(cpo, emsps, settings):
    settings.OCPI_HUB_DRAIN_GROUP_BATCH = 2
    settings.OCPI_HUB_DRAIN_BATCH = 1  # what each has left fills a drain of its own
    for number in (1, 2, 3):
        push(cpo, "PUT", location(f"LOC{number}", last_updated=ts()), f"LOC{number}")
    ready_to_drain()
    ids = platform_ids(emsps)

    assert receivers_drain(ids) == 6  # two rows of each

    assert broker_messages() == 3  # each has one more due: a drain of its own each, in parallel
    for receiver_id in ids:
        assert receivers_drain([receiver_id]) == 1
    for party in emsps:
        assert received_state(party) == hub_state(party.version)


def test_receivers_with_a_few_rows_left_drain_in_small_groups_next(cpo, emsps, settings):
    """Past capacity every receiver has a few rows left after its share of a shared drain: they are woken
    in groups whose shares make one receiver's batch (here 4 // 2 = 2 receivers), not each alone."""
    settings.OCPI_HUB_DRAIN_GROUP_BATCH = 2
    settings.OCPI_HUB_DRAIN_BATCH = 4
    for number in (1, 2, 3):
        push(cpo, "PUT", location(f"LOC{number}", last_updated=ts()), f"LOC{number}")
    ready_to_drain()
    ids = platform_ids(emsps)

    assert receivers_drain(ids) == 6  # two rows of each; one left each

    assert broker_messages() == 2  # [first, second] and [third]
    assert receivers_drain(sorted(ids)[:2]) == 2
    assert receivers_drain(sorted(ids)[2:]) == 1
    for party in emsps:
        assert received_state(party) == hub_state(party.version)
