"""Every quality check of docs/data-quality.md with a failing and a passing case (pure functions, no database).

The checks that need stored data (SESSION_ID_UNKNOWN, SESSION_UNLINKED, CREDIT_REFERENCE_UNKNOWN, EVSE_UNKNOWN)
are covered in ``cdrs/tests/test_linking.py`` and ``tests/test_cdrs_flow.py``; ERROR_RECORD_UNKNOWN and
ERROR_RECORD_MISMATCH here on given records and over HTTP in ``tests/test_extension_fields.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cdrs.wire import parse_cdr
from ocpi_hub.exceptions import InvalidParameters
from sessions.quality import (
    CATALOG,
    ERROR,
    WARNING,
    Report,
    cdr_report,
    enforce,
    error_record_issues,
    session_report,
)
from sessions.wire import parse_session
from tests.bodies import cdr_body, period, price, session_body, without


def _cdr_codes(version: str = "2.2.1", *, lenient: bool = False, **changes: Any) -> list[str]:
    raw = cdr_body(version, **changes)
    report = cdr_report(parse_cdr(version, raw, lenient=lenient), raw, version=version, lenient=lenient)
    return [issue.code for issue in report.issues]


def _session_codes(*, lenient: bool = False, **changes: Any) -> list[str]:
    raw = session_body(**changes)
    report = session_report(parse_session("2.2.1", raw, lenient=lenient), raw, lenient=lenient)
    return [issue.code for issue in report.issues]


def test_clean_objects_have_no_issues():
    assert _cdr_codes("2.2.1") == []
    assert _cdr_codes("2.3.0") == []
    assert _session_codes() == []


def test_end_before_start_is_an_error():
    assert _cdr_codes(end_date_time="2024-05-01T09:00:00Z") == [
        "END_BEFORE_START",
        "PERIOD_OUTSIDE_SESSION",
        "PERIOD_OUTSIDE_SESSION",
        "TIME_MISMATCH",
    ]
    assert _session_codes(end_date_time="2024-05-01T09:59:59Z", charging_periods=[]) == ["END_BEFORE_START"]
    assert _session_codes(end_date_time="2024-05-01T10:00:00Z") == []  # a zero-length session is not an error
    assert CATALOG["END_BEFORE_START"][0] == ERROR


def test_charging_periods_must_be_ordered():
    periods = [period("2024-05-01T11:30:00Z", PARKING_TIME=0.5), period("2024-05-01T10:00:00Z", ENERGY=10, TIME=1.5)]
    assert _cdr_codes(charging_periods=periods) == ["PERIODS_NOT_ORDERED"]
    assert _session_codes(charging_periods=[period("2024-05-01T10:00:00Z", ENERGY=2)]) == []


def test_charging_periods_must_be_inside_the_session():
    early = [period("2024-05-01T09:00:00Z", ENERGY=2.0)]
    assert _session_codes(charging_periods=early) == ["PERIOD_OUTSIDE_SESSION"]
    late = [period("2024-05-01T10:00:00Z", ENERGY=10, TIME=1.5), period("2024-05-01T12:30:00Z", PARKING_TIME=0.5)]
    assert "PERIOD_OUTSIDE_SESSION" in _cdr_codes(charging_periods=late)
    assert _session_codes(charging_periods=[period("2024-05-01T10:00:00Z", ENERGY=2.0)]) == []


def test_total_energy_must_equal_the_energy_volumes():
    assert _cdr_codes(total_energy=10.5) == ["ENERGY_MISMATCH"]
    assert _cdr_codes(total_energy=10.005) == []  # within 0.01 kWh
    no_energy_dimension = [period("2024-05-01T10:00:00Z", TIME=1.5), period("2024-05-01T11:30:00Z", PARKING_TIME=0.5)]
    assert _cdr_codes(charging_periods=no_energy_dimension) == []  # nothing to compare with


def test_session_kwh_is_compared_once_completed():
    completed: dict[str, Any] = {"status": "COMPLETED", "end_date_time": "2024-05-01T11:00:00Z"}
    assert _session_codes(kwh=7.0, **completed) == ["ENERGY_MISMATCH"]
    assert _session_codes(kwh=2.0, **completed) == []
    assert _session_codes(kwh=7.0) == []  # ACTIVE: kwh may run ahead of the periods


def test_total_time_must_equal_the_time_the_periods_cover():
    assert _cdr_codes(total_time=2.5) == ["TIME_MISMATCH"]
    assert _cdr_codes(total_time=2.01) == []  # within one minute


def test_total_parking_time_must_equal_the_parking_volumes():
    assert _cdr_codes(total_parking_time=1.0) == ["PARKING_TIME_MISMATCH"]
    assert _cdr_codes(total_parking_time=None) == ["PARKING_TIME_MISMATCH"]  # 0.5 h parked, not declared
    no_parking = [period("2024-05-01T10:00:00Z", ENERGY=10, TIME=2.0)]
    assert _cdr_codes(charging_periods=no_parking, total_parking_time=None) == []


@pytest.mark.parametrize("version", ["2.2.1", "2.3.0"])
def test_total_cost_must_equal_the_itemised_costs_before_taxes(version):
    assert _cdr_codes(version, total_cost=price(version, 6.0, 1.26)) == ["COST_MISMATCH"]
    assert _cdr_codes(version, total_cost=price(version, 5.004, 1.05)) == []
    assert _cdr_codes(version, total_cost=price(version, 9.0), total_energy_cost=None, total_parking_cost=None) == []


def test_currency_three_letters_error_lower_case_warning():
    assert _cdr_codes(currency="EU") == ["CURRENCY_INVALID"]
    assert _session_codes(currency="E1R") == ["CURRENCY_INVALID"]
    assert _cdr_codes(currency="eur") == ["CURRENCY_NOT_UPPERCASE"]
    assert _cdr_codes(currency="CHF") == []
    with pytest.raises(ValidationError, match="currency"):  # "currency present": a validation error (2001)
        parse_cdr("2.2.1", without(cdr_body(), "currency"))
    assert CATALOG["CURRENCY_INVALID"][0] == ERROR
    assert CATALOG["CURRENCY_NOT_UPPERCASE"][0] == WARNING


def test_credit_cdr_needs_a_reference():
    assert _cdr_codes(credit=True) == ["CREDIT_REFERENCE_MISSING"]
    assert _cdr_codes(credit=True, credit_reference_id="CDR0") == []
    assert _cdr_codes(credit=False) == []


ZERO_PERIODS = [period("2024-05-01T10:00:00Z", TIME=1.5), period("2024-05-01T11:30:00Z", PARKING_TIME=0.5)]
COMPLETED: dict[str, Any] = {"status": "COMPLETED", "end_date_time": "2024-05-01T11:00:00Z", "charging_periods": []}


def test_zero_energy_is_flagged():
    assert _cdr_codes(total_energy=0, charging_periods=ZERO_PERIODS) == ["ZERO_ENERGY"]
    assert _session_codes(kwh=0, **COMPLETED) == ["ZERO_ENERGY"]
    assert _session_codes(kwh=0, charging_periods=[]) == []  # still active


@pytest.mark.parametrize("session_type", ["AUTHORIZATION_ONLY", "RESERVATION_ONLY", "PARKING_ONLY", "FAILED"])
def test_a_typed_zero_energy_cdr_passes(session_type):
    assert _cdr_codes(total_energy=0, charging_periods=ZERO_PERIODS, session_type=session_type) == []


def test_zero_energy_cdr_typed_charging_is_flagged():
    raw = cdr_body(total_energy=0, charging_periods=ZERO_PERIODS, session_type="CHARGING")
    issues = cdr_report(parse_cdr("2.2.1", raw), raw, version="2.2.1").issues
    assert [(issue.code, issue.field) for issue in issues] == [("ZERO_ENERGY", "session_type")]
    assert _cdr_codes(session_type="CHARGING") == []  # 10 kWh


def test_only_exported_energy_is_not_zero_energy():
    assert _cdr_codes(total_energy=0, charging_periods=ZERO_PERIODS, energy_exported_kwh=3.0) == []
    assert _session_codes(kwh=0, energy_exported_kwh=3.0, **COMPLETED) == []


def test_session_type_saying_no_energy_must_have_none():
    assert _cdr_codes(session_type="AUTHORIZATION_ONLY") == ["SESSION_TYPE_MISMATCH"]  # 10 kWh charged
    assert _cdr_codes(total_energy=0, charging_periods=ZERO_PERIODS, session_type="PARKING_ONLY") == []
    assert _cdr_codes(session_type="FAILED") == []  # charging may have started before it failed


# --- extension: V2G fields ------------------------------------------------------------------------------------


def test_energy_exported_must_equal_the_energy_export_volumes():
    v2g = [period("2024-05-01T10:00:00Z", ENERGY=10.0, TIME=1.5, ENERGY_EXPORT=2.0), ZERO_PERIODS[1]]
    assert _cdr_codes(charging_periods=v2g, energy_exported_kwh=3.0) == ["ENERGY_EXPORT_MISMATCH"]
    assert _cdr_codes(charging_periods=v2g, energy_exported_kwh=2.005) == []  # within 0.01 kWh
    assert _cdr_codes(energy_exported_kwh=3.0) == []  # no ENERGY_EXPORT volume: nothing to compare with
    assert _cdr_codes(charging_periods=v2g) == []  # no energy_exported_kwh: nothing to compare with


def test_session_energy_exported_is_compared_once_completed():
    v2g = [period("2024-05-01T10:00:00Z", ENERGY=2.0, ENERGY_EXPORT=1.0)]
    completed = {**COMPLETED, "charging_periods": v2g}
    assert _session_codes(energy_exported_kwh=4.0, **completed) == ["ENERGY_EXPORT_MISMATCH"]
    assert _session_codes(energy_exported_kwh=1.0, **completed) == []
    assert _session_codes(energy_exported_kwh=4.0, charging_periods=v2g) == []  # ACTIVE: may run ahead


def test_import_direction_must_not_export():
    assert _cdr_codes(direction="IMPORT", energy_exported_kwh=1.5) == ["DIRECTION_MISMATCH"]
    exporting = [period("2024-05-01T10:00:00Z", ENERGY=10.0, TIME=1.5, ENERGY_EXPORT=1.5), ZERO_PERIODS[1]]
    assert _cdr_codes(direction="IMPORT", charging_periods=exporting) == ["DIRECTION_MISMATCH"]
    assert _session_codes(direction="IMPORT", energy_exported_kwh=1.5) == ["DIRECTION_MISMATCH"]  # even ACTIVE
    assert _cdr_codes(direction="IMPORT") == []
    assert _cdr_codes(direction="IMPORT", energy_exported_kwh=0.0) == []


def test_export_direction_must_not_import():
    assert _cdr_codes(direction="EXPORT", energy_exported_kwh=3.0) == ["DIRECTION_MISMATCH"]  # 10 kWh charged
    assert _cdr_codes(direction="EXPORT", total_energy=0, charging_periods=ZERO_PERIODS, energy_exported_kwh=3.0) == []
    assert _session_codes(direction="EXPORT", kwh=0, charging_periods=[], energy_exported_kwh=3.0) == []


def test_energy_import_volumes_count_as_imported_when_reported():
    importing = [period("2024-05-01T10:00:00Z", TIME=1.5, ENERGY_IMPORT=0.5), ZERO_PERIODS[1]]
    body: dict[str, Any] = {"total_energy": 0, "charging_periods": importing, "energy_exported_kwh": 3.0}
    assert _cdr_codes(direction="EXPORT", **body) == ["DIRECTION_MISMATCH"]
    assert _cdr_codes(direction="BIDIRECTIONAL", **body) == []


def test_bidirectional_needs_both_directions_once_finished():
    assert _cdr_codes(direction="BIDIRECTIONAL") == ["DIRECTION_MISMATCH"]  # imported only
    assert _cdr_codes(direction="BIDIRECTIONAL", total_energy=0, charging_periods=ZERO_PERIODS) == [
        "DIRECTION_MISMATCH",
        "ZERO_ENERGY",
    ]
    assert _cdr_codes(direction="BIDIRECTIONAL", energy_exported_kwh=3.0) == []
    assert _session_codes(direction="BIDIRECTIONAL") == []  # ACTIVE: may export later
    assert _session_codes(direction="BIDIRECTIONAL", kwh=2.0, **{**COMPLETED, "charging_periods": None}) == [
        "DIRECTION_MISMATCH"
    ]


def test_v2g_checks_are_warnings():
    for code in ("ENERGY_EXPORT_MISMATCH", "DIRECTION_MISMATCH", "SESSION_TYPE_MISMATCH", "ZERO_ENERGY"):
        assert CATALOG[code][0] == WARNING


# --- extension: error records ---------------------------------------------------------------------------------


def _record_codes(known: dict[str, dict[str, Any]] | None, **summary: Any) -> list[tuple[str, str]]:
    raw = cdr_body(error_records=[{"id": "ERR1", "code": "CX019", "severity": 2, **summary}])
    report = Report()
    error_record_issues(report, parse_cdr("2.2.1", raw), known)
    return [(issue.code, issue.field) for issue in report.issues]


def test_error_records_must_name_stored_records():
    stored = {"ERR1": {"scheme": "MREC", "code": "CX019", "severity": 2}}
    assert _record_codes({}) == [("ERROR_RECORD_UNKNOWN", "error_records[0].id")]
    assert _record_codes(stored) == []
    assert _record_codes(stored, id="err1", code="cx019", scheme="MREC") == []  # CiStrings
    assert _record_codes(None) == []  # the hub cannot tell (no errors app)
    assert CATALOG["ERROR_RECORD_UNKNOWN"][0] == WARNING


def test_error_records_must_match_the_stored_record():
    stored = {"ERR1": {"scheme": "MREC", "code": "CX019", "severity": 2}}
    assert _record_codes(stored, severity=5) == [("ERROR_RECORD_MISMATCH", "error_records[0].severity")]
    assert _record_codes(stored, code="CX020", scheme="OCPP16") == [
        ("ERROR_RECORD_MISMATCH", "error_records[0].scheme"),
        ("ERROR_RECORD_MISMATCH", "error_records[0].code"),
    ]
    assert CATALOG["ERROR_RECORD_MISMATCH"][0] == WARNING


def test_non_utc_offsets_are_recorded_for_lenient_platforms():
    codes = _cdr_codes(lenient=True, last_updated="2024-05-01T14:05:00+02:00")
    assert codes == ["NON_UTC_OFFSET"]
    assert _cdr_codes(lenient=True, last_updated="2024-05-01T12:05:00+00:00") == []


def test_non_utc_offsets_are_named_by_their_path_in_nested_objects():
    raw = cdr_body("2.2.1")
    raw["charging_periods"][1]["start_date_time"] = raw["charging_periods"][1]["start_date_time"][:-1] + ".5+0100"
    raw["cdr_token"]["uid"] = "2024-05-01T12:05:00+02:00"  # not a DateTime field, but shaped like one
    report = cdr_report(parse_cdr("2.2.1", raw, lenient=True), raw, version="2.2.1", lenient=True)
    offsets = [issue.field for issue in report.issues if issue.code == "NON_UTC_OFFSET"]
    assert offsets == ["cdr_token.uid", "charging_periods[1].start_date_time"]


def test_230_tariff_without_tax_included_is_flagged():
    tariff = {
        "country_code": "NL",
        "party_id": "CPA",
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.4, "step_size": 1}]}],
        "last_updated": "2024-01-01T00:00:00Z",
    }
    assert _cdr_codes("2.3.0", tariffs=[tariff]) == ["TARIFF_TAX_INCLUDED_MISSING"]
    assert _cdr_codes("2.3.0", tariffs=[dict(tariff, tax_included="YES")]) == []
    assert _cdr_codes("2.2.1", tariffs=[tariff]) == []


def test_enforce_rejects_errors_always_and_warnings_only_when_strict():
    report = Report()
    report.add("CURRENCY_NOT_UPPERCASE", "currency", "'eur' should be upper case")
    enforce(report, strictness="standard")
    enforce(report, strictness="lenient")
    with pytest.raises(InvalidParameters, match=r"^currency: .*CURRENCY_NOT_UPPERCASE.*strict"):
        enforce(report, strictness="strict")
    report.add("END_BEFORE_START", "end_date_time", "before the start")
    with pytest.raises(InvalidParameters, match=r"^end_date_time: "):
        enforce(report, strictness="standard")


def test_warning_codes_text_is_pipe_delimited():
    report = Report()
    assert report.codes_text() == ""
    report.add("ZERO_ENERGY", "total_energy", "0")
    report.add("COST_MISMATCH", "total_cost", "x")
    report.add("END_BEFORE_START", "end_date_time", "errors are not stored")
    assert report.codes_text() == "|COST_MISMATCH|ZERO_ENERGY|"
    assert [w["code"] for w in report.stored_warnings()] == ["ZERO_ENERGY", "COST_MISMATCH"]
    with pytest.raises(KeyError):
        report.add("NO_SUCH_CODE", "x", "y")
