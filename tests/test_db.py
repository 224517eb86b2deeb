"""ocpi_hub.db.execute_together, and the number of statements a Location push costs, on the database the
suite runs on (one statement on PostgreSQL, one per part elsewhere)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations.documents import LocationRef
from locations.models import Evse, EvseStatusChange
from locations.services import location_put
from locations.tests.helpers import evse, location, ts
from ocpi_hub.db import Statement, execute_together
from parties.models import Delivery, Endpoint, Platform, PlatformRole

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"


def platform(name: str, role: str, party_id: str) -> Platform:
    created = Platform.objects.create(name=name, status="CONNECTED", version="2.2.1", token_out=f"token-{name}")
    PlatformRole.objects.create(platform=created, role=role, country_code="NL", party_id=party_id)
    Endpoint.objects.create(platform=created, identifier="locations", role="RECEIVER", url=f"http://127.0.0.1:9/{name}")
    return created


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
