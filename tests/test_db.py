"""ocpi_hub.db.execute_together, and the number of statements a Location push costs, on the database the
suite runs on (one statement on PostgreSQL, one per part elsewhere)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations.documents import LocationRef
from locations.models import Evse, EvseStatusChange, Location
from locations.services import location_patch, location_put
from ocpi_hub.db import ONLY_IF, Lookup, Statement, execute_together, lookup_together
from parties.models import Delivery, Platform
from parties.rows import common_target
from parties.services.delivery import delivery_enqueue
from tests.bodies import evse, location, ts
from tests.factories import party_platform

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"


def platform(name: str, role: str, party_id: str) -> Platform:
    return party_platform(name, role, "NL", party_id, receives=("locations",))


def test_each_statement_gets_its_own_returning_rows_in_order_and_none_is_skipped():
    owner = platform("cpo", "CPO", "CPO")
    insert = (
        "INSERT INTO parties_platformrole (platform_id, role, country_code, party_id, business_details, updated_at) "
    )
    statements = [
        Statement(
            insert + "VALUES (%s, 'EMSP', 'NL', 'AAA', '{}', %s) RETURNING party_id", [owner.pk, "2026-01-01"], True
        ),
        None,
        Statement("UPDATE parties_platform SET name = %s WHERE id = %s", ["renamed", owner.pk]),
        Statement(
            insert + "VALUES (%s, 'NSP', 'NL', 'BBB', '{}', %s) RETURNING role, party_id",
            [owner.pk, "2026-01-01"],
            True,
        ),
    ]
    with CaptureQueriesContext(connection) as queries:
        results = execute_together(statements)
    assert results == [[("AAA",)], [], [], [("NSP", "BBB")]]
    assert Platform.objects.get().name == "renamed"
    assert len(queries) == (1 if ON_POSTGRESQL else 3)


def test_a_location_push_is_the_lock_and_one_statement_on_postgresql():
    cpo, emsp = platform("cpo", "CPO", "CPO"), platform("emsp", "EMSP", "EMA")
    cpo = Platform.objects.prefetch_related("roles").get(pk=cpo.pk)  # as token authentication loads it

    def put(status: str, moment: str) -> None:
        body = location(evses=[evse("E1", status=status, last_updated=moment)], last_updated=moment)
        location_put(platform=cpo, version="2.3.0", ref=LocationRef("NL", "CPO", "LOC1"), body=body)

    put("AVAILABLE", ts(0))
    Delivery.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        put("CHARGING", ts(10))
    writes = [query["sql"] for query in queries if not query["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(writes) == (2 if ON_POSTGRESQL else 5), writes  # lock + (location, EVSE, history, outbox)
    assert Evse.objects.get().status == "CHARGING"
    assert list(EvseStatusChange.objects.order_by("id").values_list("status", flat=True)) == ["AVAILABLE", "CHARGING"]
    assert list(Delivery.objects.values_list("receiver", flat=True)) == [emsp.pk]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the optimistic push is PostgreSQL only")
@pytest.mark.django_db(transaction=True)  # the row version is the writing transaction's: commit each push
def test_a_push_read_before_a_concurrent_change_writes_nothing_optimistically():
    from locations.rows.location import location_read
    from locations.services import Write, _plan, _write_optimistic
    from locations.wire import parse_evse

    cpo, emsp = platform("cpo", "CPO", "CPO"), platform("emsp", "EMSP", "EMA")
    ref = LocationRef("NL", "CPO", "LOC1")
    body = location(evses=[evse("E1", status="AVAILABLE", last_updated=ts(0))], last_updated=ts(0))
    location_put(platform=cpo, version="2.3.0", ref=ref, body=body)
    read, version = location_read(ref)
    assert read is not None
    assert version
    location_put(  # a concurrent push changes the row after the read
        platform=cpo,
        version="2.3.0",
        ref=LocationRef("NL", "CPO", "LOC1", "E1"),
        body=evse("E1", status="CHARGING", last_updated=ts(10)),
    )
    Delivery.objects.all().delete()
    outdated = parse_evse("2.3.0", evse("E1", status="OUTOFORDER", last_updated=ts(20)))
    evse_ref = LocationRef("NL", "CPO", "LOC1", "E1")
    plan = _plan(read, evse_ref, outdated)
    assert isinstance(plan, Write)
    assert _write_optimistic(cpo, read, version, evse_ref, plan, "") is False
    assert Evse.objects.get().status == "CHARGING"
    assert list(EvseStatusChange.objects.order_by("id").values_list("status", flat=True)) == ["AVAILABLE", "CHARGING"]
    assert not Delivery.objects.exists()
    assert emsp.pk  # a receiver existed: the outbox statement ran and queued nothing


@pytest.mark.django_db(transaction=True)
def test_concurrent_pushes_of_one_location_lose_no_update():
    """Two CPO threads PATCH different EVSEs of one Location at once: every change is kept (the optimistic
    write falls back to the locked one when the other thread got in between)."""
    cpo = platform("cpo", "CPO", "CPO")
    evses = [evse(uid, last_updated=ts(0)) for uid in ("E1", "E2")]
    location_put(platform=cpo, version="2.3.0", ref=LocationRef("NL", "CPO", "LOC1"), body=location(evses=evses))
    statuses = ["CHARGING", "AVAILABLE", "BLOCKED", "OUTOFORDER"] * 5

    def patch_all(uid: str) -> None:
        try:
            for second, status in enumerate(statuses, start=1):
                body = {"status": status, "last_updated": ts(second)}
                location_patch(platform=cpo, version="2.3.0", ref=LocationRef("NL", "CPO", "LOC1", uid), body=body)
        finally:
            connection.close()

    threads = [threading.Thread(target=patch_all, args=(uid,)) for uid in ("E1", "E2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    stored = Location.objects.get().document
    assert [item["status"] for item in stored["evses"]] == [statuses[-1], statuses[-1]]
    assert list(Evse.objects.order_by("uid_key").values_list("status", flat=True)) == [statuses[-1]] * 2
    for row in Evse.objects.all():
        assert row.status_changes.count() == len(statuses) + 1  # AVAILABLE at creation, then every change


@pytest.mark.parametrize("applied", [True, False])
def test_a_statement_only_if_another_applied_runs_exactly_when_that_one_returned_a_row(applied):
    owner = platform("cpo", "CPO", "CPO")
    first = Statement(
        "UPDATE parties_platform SET name = 'first' WHERE id = %s RETURNING id",
        [owner.pk if applied else 0],
        returning=True,
        name="first",
    )
    then = Statement(  # another table: one statement may not change a row twice
        f"UPDATE parties_platformrole SET party_id = 'NEW' WHERE platform_id = %s {ONLY_IF} RETURNING id",
        [owner.pk],
        returning=True,
        only_if="first",
    )
    _, then_rows = execute_together([first, then])
    assert (owner.roles.get().party_id == "NEW") is applied
    assert bool(then_rows) is applied


def test_only_if_needs_the_marker_in_the_sql():
    with pytest.raises(ValueError, match="ONLY_IF marker"):
        Statement("UPDATE parties_platform SET name = 'x'", [], only_if="first")


def test_lookups_are_read_by_their_own_handle_even_with_equal_sql():
    owner = platform("cpo", "CPO", "CPO")
    sql = "SELECT id FROM parties_platform WHERE id = %s LIMIT 1"
    known, unknown = Lookup(sql, [owner.pk]), Lookup(sql, [0])
    found = lookup_together([known, None, unknown])
    assert found.row(known) == (owner.pk,)
    assert found.row(unknown) is None
    assert found.row(None) is None


TARGETS = ["", "E1", "E2", "E1/C1", "E1/C2", "E2/C1"]


@pytest.mark.parametrize("queued", TARGETS)
@pytest.mark.parametrize("new", TARGETS)
def test_the_outbox_insert_merges_targets_as_common_target_does(queued, new):
    """The target-merge rule is written twice in parties/rows.py (SQL for the insert, Python for the drain):
    they must agree on every pair."""
    receiver = platform("emsp", "EMSP", "EMS")
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", target=queued)
    delivery_enqueue(receiver=receiver, module="locations", object_key="NL/CPO/L1", target=new)
    (row,) = Delivery.objects.filter(receiver=receiver)
    assert row.target == common_target(queued, new)
