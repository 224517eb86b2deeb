"""The KPI functions on a known data set; every expected value below is computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from errors import kpis

S = datetime(2024, 5, 1, tzinfo=UTC)  # period start
E = datetime(2024, 5, 3, tzinfo=UTC)  # period end (exclusive): 48 h
A, B, C = ("NL", "CPO", "LOC1", "E1"), ("NL", "CPO", "LOC1", "E2"), ("NL", "CPO", "LOC2", "E1")


def h(hours: float) -> datetime:
    return S + timedelta(hours=hours)


def error(code: str, severity: int, evse: tuple, occurred: float, cleared: float | None, scheme: str = "MREC") -> dict:
    cc, pid, location_id, evse_uid = evse
    return {
        "country_code": cc,
        "party_id": pid,
        "location_id": location_id,
        "evse_uid": evse_uid,
        "scheme": scheme,
        "code": code,
        "severity": severity,
        "occurred_at": h(occurred),
        "cleared_at": None if cleared is None else h(cleared),
        "session_id": "",
    }


ERRORS = [
    error("CX003", 6, A, 1, 3),  # r1: cleared after 2 h
    error("CX003", 4, A, 10, 11),  # r2: 1 h
    error("CX019", 2, B, 29, None),  # r3: 05-02 05:00, open
    error("GroundFailure", 3, A, 30, 36, scheme="OCPP16"),  # r4: 6 h, cleared exactly at T
    error("CX003", 5, C, -1, None),  # r5: before the period, open
    error("CX019", 1, B, 48, None),  # r6: at the period end (excluded from the time series)
    error("CX019", 7, A, 32, 37),  # r7: 5 h, open at T
]
T = h(36)  # 05-02 12:00


def test_open_errors_at_a_moment():
    result = kpis.open_errors(ERRORS, T)
    assert result == [
        kpis.OpenErrors(code="CX019", count=2, most_severe=2, oldest_occurred_at=h(29)),  # r3, r7
        kpis.OpenErrors(code="CX003", count=1, most_severe=5, oldest_occurred_at=h(-1)),  # r5
    ]


def test_errors_per_code_over_time():
    series = kpis.errors_per_code_over_time(ERRORS, S, E, timedelta(days=1))
    assert series.buckets == [S, h(24)]
    assert series.series == {"CX003": [2, 0], "CX019": [0, 2], "OCPP16:GroundFailure": [0, 1]}
    assert series.totals() == [2, 3]


def test_time_to_clear_per_code():
    assert kpis.time_to_clear(ERRORS) == [
        kpis.TimeToClear("CX003", cleared=2, still_open=1, mean_seconds=5400.0),  # (2 h + 1 h) / 2
        kpis.TimeToClear("CX019", cleared=1, still_open=2, mean_seconds=18000.0),  # 5 h
        kpis.TimeToClear("OCPP16:GroundFailure", cleared=1, still_open=0, mean_seconds=21600.0),  # 6 h
    ]
    assert kpis.time_to_clear([error("CX001", 1, A, 0, None)])[0].mean_seconds is None


def test_top_evses():
    assert kpis.top_evses(ERRORS) == [("NL/CPO/LOC1/E1", 4), ("NL/CPO/LOC1/E2", 2), ("NL/CPO/LOC2/E1", 1)]
    assert kpis.top_evses(ERRORS, limit=1) == [("NL/CPO/LOC1/E1", 4)]


SESSIONS = [
    {"cpo": "NL/CPO", "location": "NL/CPO/LOC1", "kwh": 10.0, "has_error": False},
    {"cpo": "NL/CPO", "location": "NL/CPO/LOC1", "kwh": 0.0, "has_error": True},
    {"cpo": "NL/CPO", "location": "NL/CPO/LOC2", "kwh": 5.5, "has_error": True},
    {"cpo": "DE/CPB", "location": "DE/CPB/LOC9", "kwh": 0.0, "has_error": False},
]


def test_session_success_per_cpo_and_location():
    per_cpo = kpis.session_success(SESSIONS, "cpo")
    assert [(r.group, r.sessions, r.with_energy, r.with_error) for r in per_cpo] == [
        ("DE/CPB", 1, 0, 0),
        ("NL/CPO", 3, 2, 2),
    ]
    assert per_cpo[1].success_rate == pytest.approx(2 / 3)
    assert per_cpo[1].error_rate == pytest.approx(2 / 3)
    assert per_cpo[0].success_rate == 0.0
    per_location = kpis.session_success(SESSIONS, "location")
    assert [(r.group, r.sessions, r.with_energy, r.with_error, r.success_rate) for r in per_location] == [
        ("DE/CPB/LOC9", 1, 0, 0, 0.0),
        ("NL/CPO/LOC1", 2, 1, 1, 0.5),
        ("NL/CPO/LOC2", 1, 1, 1, 1.0),
    ]
    assert kpis.session_success([], "cpo") == []


def status(evse: str, value: str, hours: float) -> dict:
    return {"evse": evse, "status": value, "changed_at": h(hours)}


STATUS_CHANGES = [
    status("B", "AVAILABLE", 24),
    status("A", "OUTOFORDER", 12),
    status("A", "AVAILABLE", -24),  # before the period: AVAILABLE from the period start
    status("A", "CHARGING", 6),
    status("A", "AVAILABLE", 8),
    status("A", "AVAILABLE", 24),
    status("A", "INOPERATIVE", 36),
    status("A", "UNKNOWN", 42),
    status("B", "PLANNED", 12),  # nothing known before 12:00 on the first day
    status("B", "REMOVED", 36),
    status("C", "AVAILABLE", 54),  # after the period
]


def test_evse_availability_from_status_history():
    result = {item.evse: item for item in kpis.evse_availability(STATUS_CHANGES, S, E)}
    a = result["A"]
    hour = 3600.0
    assert a.seconds == {
        "AVAILABLE": 22 * hour,
        "CHARGING": 2 * hour,
        "OUTOFORDER": 12 * hour,
        "INOPERATIVE": 6 * hour,
        "UNKNOWN": 6 * hour,
    }
    assert a.observed_seconds == 48 * hour
    assert (a.operational_share, a.faulted_share, a.unknown_share) == (0.5, 0.375, 0.125)
    b = result["B"]
    assert b.seconds == {"PLANNED": 12 * hour, "AVAILABLE": 12 * hour, "REMOVED": 12 * hour}
    assert b.observed_seconds == 12 * hour
    assert (b.operational_share, b.faulted_share) == (1.0, 0.0)
    c = result["C"]
    assert c.seconds == {}
    assert c.observed_seconds == 0
    assert c.operational_share == 0.0
