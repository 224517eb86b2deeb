"""The delivery engine's rules that need no worker: redrive widening, Retry-After, the circuit breaker's
state, retention, and one drain message per receiver however many changes arrive. Real hub over HTTP,
real test parties; the rows are sent by calling the engine in the test process."""

from __future__ import annotations

from datetime import timedelta

import pytest
from amqp.exceptions import ChannelError
from django.utils import timezone

from conftest import purge_test_queue
from locations.models import Location
from ocpi_party.party import OcpiParty
from parties.models import Delivery, DeliveryAttempt, Platform, ReceiverQueue
from parties.services import dispatch, drain
from parties.services.delivery import deliveries_purge, deliveries_redrive, deliveries_sweep
from parties.services.drain import delivery_attempt, receiver_drain
from tests.bodies import location, ts
from tests.test_delivery_engine import LOCATIONS, hub_state, push, received_state

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _only_locations_rows(cpo, emsp):
    """Drop the HubClientInfo rows the two registrations queued, and the drains they asked for: these tests
    count Locations rows and drain messages."""
    Delivery.objects.all().delete()
    purge_test_queue()
    ReceiverQueue.objects.update(wake_at=None)


def deliver_all() -> list[str]:
    """Send every pending Locations row now (the registrations' HubClientInfo rows stay queued)."""
    pending = Delivery.objects.filter(module="locations", status="pending").order_by("pk")
    return [delivery_attempt(pk) for pk in pending.values_list("pk", flat=True)]


def receiver(party: OcpiParty) -> Platform:
    return Platform.objects.get(roles__party_id=party.roles[0]["party_id"])


def two_failed_evse_changes(cpo: OcpiParty, emsp: OcpiParty) -> None:
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    assert deliver_all() == ["succeeded"]
    emsp.respond_with(status_code=2001, status_message="rejected", path_regex=LOCATIONS)
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    assert deliver_all() == ["failed"]
    push(cpo, "PATCH", {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E2")
    assert deliver_all() == ["failed"]
    emsp.clear_responses()


def test_redriving_two_dead_rows_of_one_location_delivers_both_evses(cpo, emsp, admin_client):
    two_failed_evse_changes(cpo, emsp)
    Delivery.objects.filter(status="failed").update(status="dead")
    ids = list(Delivery.objects.filter(status="dead").values_list("pk", flat=True))

    page = admin_client.post("/admin/parties/delivery/", {"action": "redrive", "_selected_action": ids}, follow=True)

    assert "Redrove 2 of 2 selected deliveries" in page.content.decode()
    assert sorted(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == ["pending", "superseded"]
    assert deliver_all() == ["succeeded"]
    state = received_state(emsp)
    assert state == hub_state(emsp.version)
    assert [e["status"] for e in state["LOC1"]["evses"]] == ["CHARGING", "BLOCKED"]


def test_redriving_a_dead_row_whose_object_has_a_pending_row_widens_that_row(cpo, emsp):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    assert deliver_all() == ["succeeded"]
    emsp.respond_with(status_code=2001, path_regex=LOCATIONS)
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    assert deliver_all() == ["failed"]
    emsp.clear_responses()
    push(cpo, "PATCH", {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E2")  # pending, target E2

    assert deliveries_redrive(deliveries=Delivery.objects.filter(status="failed")) == 1

    pending = Delivery.objects.get(module="locations", status="pending")
    assert pending.target == ""  # covers E1 and E2
    assert deliver_all() == ["succeeded"]
    assert [e["status"] for e in received_state(emsp)["LOC1"]["evses"]] == ["CHARGING", "BLOCKED"]


@pytest.mark.parametrize("retry_after", ["120", "date"])
def test_a_429_with_retry_after_is_not_retried_before_that_time(cpo, emsp, retry_after):
    wait = 120
    if retry_after == "date":
        from email.utils import format_datetime

        retry_after = format_datetime(timezone.now() + timedelta(seconds=wait), usegmt=True)
    emsp.respond_with(http_status=429, status_code=2000, headers={"Retry-After": retry_after}, path_regex=LOCATIONS)
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    before = timezone.now()

    assert deliver_all() == ["retry"]

    row = Delivery.objects.get(module="locations")
    assert row.next_attempt_at >= before + timedelta(seconds=wait - 2)  # the test backoff alone is under 1 s
    assert delivery_attempt(row.pk) == "not-claimed"


def test_failures_in_a_row_pause_the_receiver_and_a_good_probe_resumes_it_at_once(cpo, emsp, settings):
    settings.OCPI_HUB_BREAKER_THRESHOLD = 3
    settings.OCPI_HUB_BREAKER_PROBE_BASE = 60.0
    platform = receiver(emsp)
    emsp.go_down()
    for number in range(1, 6):
        push(cpo, "PUT", location(f"LOC{number}", last_updated=ts()), f"LOC{number}")
    ReceiverQueue.objects.filter(pk=platform.pk).update(wake_at=None)

    attempted = receiver_drain(platform.pk)

    assert attempted == 3  # the batch held all five; sending stopped when the breaker opened
    queue = ReceiverQueue.objects.get(pk=platform.pk)
    assert queue.paused_since is not None
    assert queue.failures == 3
    assert queue.next_probe_at >= timezone.now() + timedelta(seconds=50)
    assert DeliveryAttempt.objects.count() == 3  # the rest of the batch was not attempted
    assert Delivery.objects.filter(module="locations", status="pending", attempts=0).count() == 2
    assert receiver_drain(platform.pk) == 0  # paused: nothing is sent before the probe is due
    assert dispatch.wake([platform.pk]) == []  # and no drain is asked for

    emsp.come_up()
    ReceiverQueue.objects.filter(pk=platform.pk).update(next_probe_at=timezone.now())
    assert receiver_drain(platform.pk) == 5  # the probe, then everything at once, not after each backoff

    queue.refresh_from_db()
    assert (queue.paused_since, queue.failures) == (None, 0)
    assert received_state(emsp) == hub_state(emsp.version)
    assert set(Delivery.objects.filter(module="locations").values_list("status", flat=True)) == {"succeeded"}


def broker_messages() -> int:
    """Messages waiting in this test session's queue of the real broker."""
    from django.conf import settings

    from ocpi_hub.celery import app

    with app.connection_for_write() as connection:
        try:
            return connection.default_channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=True)[1]
        except ChannelError:  # Redis: an empty queue does not exist
            return 0


@pytest.fixture
def publishing_web(settings):
    """The web process wakes receivers itself when a change commits (no listener runs in this test)."""
    settings.OCPI_HUB_DISPATCH = "on_commit"
    purge_test_queue()
    yield
    purge_test_queue()


def test_many_changes_for_one_receiver_publish_one_drain_message(cpo, emsp, publishing_web):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    for number in range(20):
        push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", f"E{number % 2 + 1}")
    deliveries_sweep()  # the drain asked for has not started: the sweeper adds nothing

    assert broker_messages() == 1
    assert Delivery.objects.filter(module="locations", status="pending").count() == 1  # all merged into one


def test_the_sweeper_asks_again_for_a_drain_whose_message_was_lost(cpo, emsp, publishing_web, settings):
    settings.OCPI_HUB_SWEEP_GRACE = 30.0
    platform = receiver(emsp)
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    assert broker_messages() == 1
    purge_test_queue()  # the message is lost (a broker restart without persistence)

    deliveries_sweep()
    assert broker_messages() == 0  # asked for just now: its message may still be on its way
    ReceiverQueue.objects.filter(pk=platform.pk).update(wake_at=timezone.now() - timedelta(seconds=31))
    deliveries_sweep()
    assert broker_messages() == 1


def test_retention_purges_only_old_succeeded_and_superseded_rows(cpo, emsp):
    platform = receiver(emsp)
    now = timezone.now()
    old = now - timedelta(days=8)
    for status in ("succeeded", "superseded", "failed", "dead"):
        for completed, tag in ((old, "old"), (now, "new")):
            row = Delivery.objects.create(
                receiver=platform,
                module="locations",
                object_key=f"NL/CPO/{status}-{tag}",
                status=status,
                next_attempt_at=now,
                queued_at=completed,
                completed_at=completed,
            )
            DeliveryAttempt.objects.create(
                delivery=row, request_id="r", method="PUT", url="http://x", started_at=completed, outcome="x"
            )

    assert deliveries_purge(older_than_days=7, batch=1) == 2

    left = sorted(Delivery.objects.values_list("object_key", flat=True))
    assert left == sorted(
        f"NL/CPO/{status}-{tag}"
        for status in ("succeeded", "superseded", "failed", "dead")
        for tag in ("old", "new")
        if not (tag == "old" and status in ("succeeded", "superseded"))
    )
    assert DeliveryAttempt.objects.count() == 6


def test_the_heartbeat_keeps_the_lease_of_a_row_being_sent(cpo, emsp, settings):
    settings.OCPI_HUB_DELIVERY_LEASE = 1.0
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    row = Delivery.objects.get(module="locations")
    Delivery.objects.filter(pk=row.pk).update(status="in_flight", lease_until=timezone.now() + timedelta(seconds=1))
    drain.held.rows.add(row.pk)
    try:
        drain.leases_renew()
    finally:
        drain.held.rows.discard(row.pk)
    renewed = Delivery.objects.get(pk=row.pk).lease_until
    Delivery.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    deliveries_sweep()  # a lease nobody renews runs out: the row is due again
    assert renewed > timezone.now() - timedelta(seconds=1)
    assert Delivery.objects.get(pk=row.pk).status == "pending"


def test_an_offline_receiver_still_gets_what_changed_while_it_was_offline(cpo, emsp):
    """OFFLINE (the still-alive check found it silent) is not unregistered: its rows wait for it."""
    platform = receiver(emsp)
    Platform.objects.filter(pk=platform.pk).update(status="OFFLINE")
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")

    assert deliver_all() == ["succeeded"]
    assert received_state(emsp) == hub_state(emsp.version)


def test_a_paused_receiver_shows_in_the_admin_and_the_metrics(cpo, emsp, admin_client, client):
    platform = receiver(emsp)
    since = timezone.now() - timedelta(seconds=90)
    ReceiverQueue.objects.filter(pk=platform.pk).update(paused_since=since, failures=7, next_probe_at=timezone.now())
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")

    page = admin_client.get(f"/admin/parties/platform/{platform.pk}/change/").content.decode()
    metrics = client.get("/metrics").content.decode()

    assert "paused</strong> since" in page
    assert "after 7 failed attempts in a row" in page
    assert "backlog 1 pending" in page
    line = next(row for row in metrics.splitlines() if row.startswith("ocpi_hub_receiver_paused_seconds{"))
    assert platform.name in line
    assert float(line.split()[-1]) >= 90


def test_a_repeated_evse_status_is_stored_but_sent_only_to_a_receiver_that_missed_it(cpo, emsp):
    push(cpo, "PUT", location(last_updated=ts()), "LOC1")
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": ts()}, "LOC1", "E1")
    assert deliver_all() == ["succeeded"]
    rows_before = Delivery.objects.filter(module="locations").count()

    repeated_at = ts()
    push(cpo, "PATCH", {"status": "CHARGING", "last_updated": repeated_at}, "LOC1", "E1")  # the CPO's resend

    assert Delivery.objects.filter(module="locations").count() == rows_before  # nothing to send: it has it
    stored = Location.objects.get(location_key="LOC1").document["evses"][0]
    assert (stored["status"], stored["last_updated"]) == ("CHARGING", repeated_at)

    emsp.respond_with(status_code=2001, status_message="rejected", path_regex=LOCATIONS)
    push(cpo, "PATCH", {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E1")
    assert deliver_all() == ["failed"]  # the receiver missed BLOCKED
    emsp.clear_responses()
    push(cpo, "PATCH", {"status": "BLOCKED", "last_updated": ts()}, "LOC1", "E1")  # the resend reaches it

    assert deliver_all() == ["succeeded"]
    assert received_state(emsp)["LOC1"]["evses"][0]["status"] == "BLOCKED"
