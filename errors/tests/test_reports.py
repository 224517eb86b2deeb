"""``manage.py reliability_report`` (and thereby ``errors.reports``) on the known data set of conftest.py;
every expected value is computed by hand."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

HOUR = 3600


def report(*extra: str, figure: str) -> list[list[str]]:
    out = StringIO()
    call_command(
        "reliability_report",
        "--period-start",
        "2024-05-01",
        "--period-end",
        "2024-05-03T00:00:00Z",
        "--at",
        "2024-05-02T12:00:00Z",
        "--figure",
        figure,
        *extra,
        stdout=out,
    )
    return list(csv.reader(StringIO(out.getvalue())))


def test_open_errors(reliability_data):
    assert report(figure="open_errors") == [
        ["code", "name", "open", "most_severe", "oldest_occurred_at"],
        ["CX019", "CableOverTempStop", "2", "2", "2024-05-02T05:00:00Z"],
        ["CX003", "HighTemperature", "1", "5", "2024-04-30T23:00:00Z"],
        ["CX013", "NoInternet", "1", "4", "2024-05-01T05:00:00Z"],
    ]
    assert [row[0] for row in report("--cpo", "nl/cpo", figure="open_errors")[1:]] == ["CX019", "CX003"]


def test_errors_per_code_over_time(reliability_data):
    rows = report(figure="errors_per_code")
    assert rows[0] == ["bucket_start", "total", "CX003", "CX013", "CX019", "OCPP16:GroundFailure"]
    assert len(rows) == 1 + 48  # hourly buckets over two days
    assert rows[2] == ["2024-05-01T01:00:00Z", "1", "1", "0", "0", "0"]
    assert rows[1 + 30] == ["2024-05-02T06:00:00Z", "1", "0", "0", "0", "1"]
    totals = [sum(int(row[index]) for row in rows[1:]) for index in range(1, 6)]
    assert totals == [6, 2, 1, 2, 1]  # R5 (before) and R6 (at the end) are outside the period


def test_time_to_clear(reliability_data):
    assert report(figure="time_to_clear") == [
        ["code", "name", "cleared", "still_open", "mean_seconds", "mean_hours"],
        ["CX003", "HighTemperature", "2", "0", "5400.0", "1.5"],
        ["CX013", "NoInternet", "0", "1", "", ""],
        ["CX019", "CableOverTempStop", "1", "1", "18000.0", "5.0"],
        ["OCPP16:GroundFailure", "", "1", "0", "21600.0", "6.0"],
    ]


def test_top_evses(reliability_data):
    assert report(figure="top_evses") == [
        ["evse", "errors"],
        ["NL/CPO/LOC1/E1", "4"],
        ["DE/CPB/LOC9/E1", "1"],
        ["NL/CPO/LOC1/E2", "1"],
    ]
    assert report("--location", "loc1", "--top", "1", figure="top_evses") == [
        ["evse", "errors"],
        ["NL/CPO/LOC1/E1", "4"],
    ]


def test_session_success(reliability_data):
    assert report(figure="session_success_cpo") == [
        ["cpo", "sessions", "with_energy", "success_rate", "with_error", "error_rate"],
        ["DE/CPB", "1", "0", "0.0", "0", "0.0"],
        ["NL/CPO", "3", "2", "0.6667", "2", "0.6667"],
    ]
    assert report(figure="session_success_location")[1:] == [
        ["DE/CPB/LOC9", "1", "0", "0.0", "0", "0.0"],
        ["NL/CPO/LOC1", "2", "1", "0.5", "1", "0.5"],
        ["NL/CPO/LOC2", "1", "1", "1.0", "1", "1.0"],
    ]


def test_evse_availability(reliability_data):
    rows = report("--cpo", "NL/CPO", figure="evse_availability")
    assert rows[0] == [
        "evse",
        "observed_seconds",
        "operational_share",
        "faulted_share",
        "unknown_share",
        "AVAILABLE",
        "CHARGING",
        "RESERVED",
        "BLOCKED",
        "INOPERATIVE",
        "OUTOFORDER",
        "UNKNOWN",
    ]
    assert rows[1:] == [
        [
            "NL/CPO/LOC1/E1",
            str(48 * HOUR),
            "0.5",
            "0.375",
            "0.125",
            str(22 * HOUR),
            str(2 * HOUR),
            "0",
            "0",
            str(6 * HOUR),
            str(12 * HOUR),
            str(6 * HOUR),
        ],
        ["NL/CPO/LOC1/E2", str(12 * HOUR), "1.0", "0.0", "0.0", str(12 * HOUR), "0", "0", "0", "0", "0", "0"],
    ]


def test_all_figures_in_one_csv(reliability_data):
    out = StringIO()
    call_command(
        "reliability_report",
        "--period-start",
        "2024-05-01",
        "--period-end",
        "2024-05-03",
        "--figure",
        "all",
        stdout=out,
    )
    blocks = out.getvalue().strip().split("\n\n")
    names = [next(csv.reader(StringIO(block.split("\n")[1])))[0] if "\n" in block else None for block in blocks]
    assert [block.split("\n")[0].split(",")[0] for block in blocks] == ["figure"] * 7
    assert names[:4] == ["open_errors", "errors_per_code", "time_to_clear", "top_evses"]


def test_bad_arguments_are_refused(db):
    with pytest.raises(CommandError, match="before"):
        report("--period-end", "2024-04-01", figure="top_evses")
    with pytest.raises(CommandError, match="COUNTRY/PARTY"):
        report("--cpo", "NLCPO", figure="top_evses")
