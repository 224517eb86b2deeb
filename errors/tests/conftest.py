"""A known reliability data set in the database (the figures of test_reports.py are computed by hand from it).

Period 2024-05-01T00:00Z .. 2024-05-03T00:00Z (48 h), "now" for open errors T = 2024-05-02T12:00Z.
EVSEs: A = NL/CPO/LOC1/E1, B = NL/CPO/LOC1/E2, C = NL/CPO/LOC2/E1, D = DE/CPB/LOC9/E1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from errors.catalog import catalog_entries, catalog_sync
from errors.models import ErrorRecord, MrecCode
from errors.tests.helpers import make_location, make_platform, make_session
from ocpi_hub.api.datetimes import format_datetime

PERIOD_START = datetime(2024, 5, 1, tzinfo=UTC)
PERIOD_END = datetime(2024, 5, 3, tzinfo=UTC)
AT = datetime(2024, 5, 2, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def mrec_catalog(request: pytest.FixtureRequest) -> None:
    """The catalog comes from a data migration; a transactional test elsewhere in the suite flushes it, so put
    it back for every database test of this app (inside the test's transaction when it has one)."""
    uses_db = request.node.get_closest_marker("django_db") or "_django_db_helper" in request.fixturenames
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    if MrecCode.objects.count() != len(catalog_entries()):
        catalog_sync(MrecCode)


def h(hours: float) -> datetime:
    return PERIOD_START + timedelta(hours=hours)


def make_record(
    owner: Any,
    record_id: str,
    evse: tuple[str, str, str, str],
    code: str,
    severity: int,
    occurred: float,
    cleared: float | None,
    *,
    scheme: str = "MREC",
    session_id: str = "",
) -> ErrorRecord:
    """An ErrorRecord row written directly (the KPI inputs; validation is tested elsewhere)."""
    names = ("country_code", "party_id", "location_id", "evse_uid", "scheme", "code", "source", "severity")
    columns = dict(zip(names, (*evse, scheme, code, "EVSE", severity), strict=True))
    document = {"id": record_id, **columns, "occurred_at": format_datetime(h(occurred))}
    document["last_updated"] = document["occurred_at"]
    if cleared is not None:
        document["cleared_at"] = format_datetime(h(cleared))
    return ErrorRecord.objects.create(
        owner=owner,
        record_id=record_id,
        record_key=record_id,
        occurred_at=h(occurred),
        last_updated=h(occurred),
        cleared_at=None if cleared is None else h(cleared),
        session_id=session_id,
        is_private=bool(session_id),
        document=document,
        **columns,
    )


def _status_history(locations: dict[str, Any]) -> None:
    from locations.models import EvseStatusChange

    evse = {
        (location_id, row.uid): row for location_id, location in locations.items() for row in location.evse_rows.all()
    }
    history = [
        (("LOC1", "E1"), "AVAILABLE", -24),
        (("LOC1", "E1"), "CHARGING", 6),
        (("LOC1", "E1"), "AVAILABLE", 8),
        (("LOC1", "E1"), "OUTOFORDER", 12),
        (("LOC1", "E1"), "AVAILABLE", 24),
        (("LOC1", "E1"), "INOPERATIVE", 36),
        (("LOC1", "E1"), "UNKNOWN", 42),
        (("LOC1", "E2"), "PLANNED", 12),
        (("LOC1", "E2"), "AVAILABLE", 24),
        (("LOC1", "E2"), "REMOVED", 36),
        (("LOC2", "E1"), "AVAILABLE", 54),
        (("LOC9", "E1"), "AVAILABLE", 0),
    ]
    EvseStatusChange.objects.bulk_create(
        EvseStatusChange(evse=evse[key], status=status, changed_at=h(hours)) for key, status, hours in history
    )


@pytest.fixture
def reliability_data(db) -> dict[str, Any]:
    cpo = make_platform("cpo", "CPO", "NL", "CPO")
    cpb = make_platform("cpb", "CPO", "DE", "CPB")
    emsp = make_platform("emsp", "EMSP", "NL", "EMS", opted_in=True)
    locations = {
        "LOC1": make_location(cpo, "LOC1", {"E1": ["1"], "E2": ["1"]}),
        "LOC2": make_location(cpo, "LOC2", {"E1": ["1"]}),
        "LOC9": make_location(cpb, "LOC9", {"E1": ["1"]}, country_code="DE", party_id="CPB"),
    }
    _status_history(locations)
    a, b, c, d = (
        ("NL", "CPO", "LOC1", "E1"),
        ("NL", "CPO", "LOC1", "E2"),
        ("NL", "CPO", "LOC2", "E1"),
        ("DE", "CPB", "LOC9", "E1"),
    )
    make_record(cpo, "R1", a, "CX003", 6, 1, 3)
    make_record(cpo, "R2", a, "CX003", 4, 10, 11, session_id="S2")
    make_record(cpo, "R3", b, "CX019", 2, 29, None)
    make_record(cpo, "R4", a, "GroundFailure", 3, 30, 36, scheme="OCPP16")
    make_record(cpo, "R5", c, "CX003", 5, -1, None, session_id="S3")
    make_record(cpo, "R6", b, "CX019", 1, 48, None)
    make_record(cpo, "R7", a, "CX019", 7, 32, 37)
    make_record(cpb, "R8", d, "CX013", 4, 5, None)
    make_session(cpo, emsp, "S1", location_id="LOC1", kwh=10.0, start=h(2))
    make_session(cpo, emsp, "S2", location_id="LOC1", kwh=0.0, start=h(9))
    make_session(cpo, emsp, "S3", location_id="LOC2", kwh=5.5, start=h(20))
    make_session(cpb, emsp, "S4", location_id="LOC9", kwh=0.0, start=h(40), country_code="DE", party_id="CPB")
    make_session(cpo, emsp, "S5", location_id="LOC1", kwh=3.0, start=h(-5))  # before the period
    return {"cpo": cpo, "cpb": cpb, "emsp": emsp}
