"""Every quality check of docs/data-quality.md with a failing and a passing case (pure functions, no database).

The checks that need stored data (SESSION_ID_UNKNOWN, SESSION_UNLINKED, CREDIT_REFERENCE_UNKNOWN, EVSE_UNKNOWN)
are covered in ``cdrs/tests/test_linking.py`` and ``tests/test_cdrs_flow.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cdrs.quality import CATALOG, ERROR, WARNING, Report, cdr_report, enforce, session_report
from cdrs.wire import parse_cdr
from ocpi_hub.exceptions import InvalidParameters
from sessions.tests.charging import cdr_body, period, price, session_body, without
from sessions.wire import parse_session


def _cdr_codes(version: str = "2.2.1", *, lenient: bool = False, **changes: Any) -> list[str]:
    raw = cdr_body(version, **changes)
    report = cdr_report(parse_cdr(version, raw, lenient=lenient), raw, version=version)
    return [issue.code for issue in report.issues]


def _session_codes(*, lenient: bool = False, **changes: Any) -> list[str]:
    raw = session_body(**changes)
    return [issue.code for issue in session_report(parse_session("2.2.1", raw, lenient=lenient), raw).issues]


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


def test_zero_energy_is_flagged():
    zero = [period("2024-05-01T10:00:00Z", TIME=1.5), period("2024-05-01T11:30:00Z", PARKING_TIME=0.5)]
    assert _cdr_codes(total_energy=0, charging_periods=zero) == ["ZERO_ENERGY"]
    completed: dict[str, Any] = {"status": "COMPLETED", "end_date_time": "2024-05-01T11:00:00Z", "charging_periods": []}
    assert _session_codes(kwh=0, **completed) == ["ZERO_ENERGY"]
    assert _session_codes(kwh=0, charging_periods=[]) == []  # still active


def test_non_utc_offsets_are_recorded_for_lenient_platforms():
    codes = _cdr_codes(lenient=True, last_updated="2024-05-01T14:05:00+02:00")
    assert codes == ["NON_UTC_OFFSET"]
    assert _cdr_codes(lenient=True, last_updated="2024-05-01T12:05:00+00:00") == []


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
