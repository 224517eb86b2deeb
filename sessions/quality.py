"""Data-quality report of every inbound Session and CDR (design.md §5; the table is in docs/data-quality.md).

Pure functions over the canonical (2.3.0-shaped) document and the raw body: no models, no database, so the
Sessions app uses this module too. Checks that need stored data (session linking, credit references,
EVSE existence, the error records named by the extension) are run by the services, which add their findings
to the same report via ``Report.add`` (``error_record_issues`` takes the stored records as an argument).

The chargex-errors extension fields (docs/extension-chargex-errors.md §6) are checked here too: exported
energy against the ENERGY_EXPORT volumes, ``direction`` against the energy that flowed, ``session_type``
against the energy of a CDR.

Each issue code has one fixed severity (``CATALOG``): an ERROR rejects the object with OCPI 2001 naming
the field, a WARNING is stored with the object; a platform with strictness ``strict`` gets 2001 for
warnings too (``enforce``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.api.wire_charging import dimension_sum
from ocpi_hub.exceptions import InvalidParameters

# Session types of a CDR that explain that no energy flowed (cdrs.wire.SessionType); kept here so that this
# module stays free of the wire models.
NO_ENERGY_SESSION_TYPES = frozenset({"AUTHORIZATION_ONLY", "RESERVATION_ONLY", "PARKING_ONLY"})

Doc = dict[str, Any]
ERROR, WARNING = "error", "warning"

ENERGY_TOLERANCE_KWH = 0.01
TIME_TOLERANCE_HOURS = 1 / 60  # one minute
COST_TOLERANCE = 0.01  # currency units, before taxes
ITEMISED_COSTS = (
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
    "total_reservation_cost",
)

CATALOG: dict[str, tuple[str, str]] = {
    "END_BEFORE_START": (ERROR, "end_date_time is earlier than start_date_time"),
    "CURRENCY_INVALID": (ERROR, "currency is not three letters (ISO 4217)"),
    "CREDIT_REFERENCE_MISSING": (ERROR, "a credit CDR without credit_reference_id"),
    "CREDIT_REFERENCE_UNKNOWN": (ERROR, "credit_reference_id names no CDR of the same CPO"),
    "CURRENCY_NOT_UPPERCASE": (WARNING, "currency in lower case"),
    "PERIODS_NOT_ORDERED": (WARNING, "charging periods not in ascending start_date_time order"),
    "PERIOD_OUTSIDE_SESSION": (WARNING, "a charging period starts outside start_date_time..end_date_time"),
    "ENERGY_MISMATCH": (WARNING, "total energy differs from the sum of ENERGY volumes"),
    "TIME_MISMATCH": (WARNING, "total_time differs from the duration covered by the charging periods"),
    "PARKING_TIME_MISMATCH": (WARNING, "total_parking_time differs from the sum of PARKING_TIME volumes"),
    "COST_MISMATCH": (
        WARNING,
        "a cost differs from the sum of the itemised costs, or from the cost computed from the tariff",
    ),
    "TARIFF_UNKNOWN": (WARNING, "no tariff for the CDR could be found (none embedded, none stored)"),
    "TARIFF_TIME_ZONE_UNKNOWN": (WARNING, "the tariff has local-time restrictions and the Location's zone is unknown"),
    "ZERO_ENERGY": (WARNING, "zero-energy session without a session type"),
    "SESSION_TYPE_MISMATCH": (WARNING, "session_type says no energy, but energy was transferred"),
    "ENERGY_EXPORT_MISMATCH": (WARNING, "energy_exported_kwh differs from the sum of ENERGY_EXPORT volumes"),
    "DIRECTION_MISMATCH": (WARNING, "direction contradicts the imported/exported energy"),
    "ERROR_RECORD_UNKNOWN": (WARNING, "error_records names no ErrorRecord of this CPO"),
    "ERROR_RECORD_MISMATCH": (WARNING, "error_records differs from the stored ErrorRecord (scheme/code/severity)"),
    "NON_UTC_OFFSET": (WARNING, "a DateTime was sent with a non-UTC offset (converted, lenient platform)"),
    "TARIFF_TAX_INCLUDED_MISSING": (WARNING, "a 2.3.0 tariff without tax_included (assumed NO)"),
    "EVSE_UNKNOWN": (WARNING, "the location/EVSE is not among the CPO's published Locations"),
    "SESSION_ID_UNKNOWN": (WARNING, "session_id names no Session of this CPO"),
    "SESSION_UNLINKED": (WARNING, "the CDR could not be linked to a Session"),
}
WARNING_CODES: tuple[str, ...] = tuple(code for code, (severity, _) in CATALOG.items() if severity == WARNING)


@dataclass(frozen=True)
class Issue:
    code: str
    field: str
    message: str
    detail: dict[str, Any] | None = dataclasses.field(default=None, compare=False)  # e.g. the computed cost breakdown

    @property
    def severity(self) -> str:
        return CATALOG[self.code][0]

    def as_dict(self) -> dict[str, Any]:
        stored: dict[str, Any] = {"code": self.code, "field": self.field, "message": self.message}
        if self.detail is not None:
            stored["detail"] = self.detail
        return stored

    def __str__(self) -> str:
        return f"{self.field}: {self.message} [{self.code}]"


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, field_name: str, message: str, detail: dict[str, Any] | None = None) -> None:
        if code not in CATALOG:
            raise KeyError(f"unknown quality code {code}")
        self.issues.append(Issue(code, field_name, message, detail))

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    def stored_warnings(self) -> list[dict[str, Any]]:
        return [issue.as_dict() for issue in self.warnings]

    def codes_text(self) -> str:
        """``|CODE_A|CODE_B|`` for the indexed-by-substring ``warning_codes`` column ("" without warnings)."""
        codes = sorted({issue.code for issue in self.warnings})
        return f"|{'|'.join(codes)}|" if codes else ""


def enforce(report: Report, *, strictness: str) -> None:
    """2001 naming the fields for errors, and for warnings too on ``strict`` platforms."""
    rejected = report.errors if strictness != "strict" else report.issues
    if rejected:
        suffix = " (strict platform: quality warnings are rejected)" if not report.errors else ""
        raise InvalidParameters("; ".join(str(issue) for issue in rejected) + suffix)


def warnings_message(report: Report) -> str | None:
    """Status message of an accepted object that has warnings (so the CPO sees them at once)."""
    if not report.warnings:
        return None
    return "Accepted with quality warnings: " + "; ".join(str(issue) for issue in report.warnings)


# --- the checks ---------------------------------------------------------------------------------------------


def session_report(doc: Doc, raw: Any, *, lenient: bool = False) -> Report:
    """``lenient``: the Session was parsed with non-UTC offsets converted (then each is recorded)."""
    report = Report()
    _check_common(report, doc, raw, lenient)
    completed = doc.get("status") == "COMPLETED"
    if completed:  # an ACTIVE session's totals may run ahead of its periods
        _check_energy(report, doc, "kwh")
        _check_energy_export(report, doc)
    _check_direction(report, doc, "kwh", finished=completed)
    if completed and float(doc["kwh"]) == 0 and not _flowed(_exported(doc)):
        report.add("ZERO_ENERGY", "kwh", "completed session with kwh 0 and no session type")
    return report


def cdr_report(doc: Doc, raw: Any, *, version: str, lenient: bool = False) -> Report:
    """``lenient``: the CDR was parsed with non-UTC offsets converted (then each is recorded)."""
    report = Report()
    _check_common(report, doc, raw, lenient)
    _check_energy(report, doc, "total_energy")
    _check_total_time(report, doc)
    _check_parking_time(report, doc)
    _check_costs(report, doc)
    _check_credit(report, doc)
    _check_energy_export(report, doc)
    _check_direction(report, doc, "total_energy", finished=True)
    _check_session_type(report, doc)
    if version == "2.3.0":
        _check_tax_included(report, raw)
    return report


def error_record_issues(report: Report, doc: Doc, known: dict[str, dict[str, Any]] | None) -> None:
    """Each ``error_records`` entry must name a stored ErrorRecord of the same CPO (``known``: those records by
    upper-cased id, None when the hub cannot tell) with the same scheme, code and severity."""
    if known is None:
        return
    owner = f"{doc['country_code'].upper()}/{doc['party_id'].upper()}"
    for index, summary in enumerate(doc.get("error_records") or []):
        stored = known.get(summary["id"].upper())
        if stored is None:
            report.add("ERROR_RECORD_UNKNOWN", f"error_records[{index}].id", f"no error record {owner}/{summary['id']}")
            continue
        for name in ("scheme", "code", "severity"):
            given = summary.get(name)
            if given is not None and str(given).upper() != str(stored[name]).upper():
                report.add(
                    "ERROR_RECORD_MISMATCH",
                    f"error_records[{index}].{name}",
                    f"{given}, but error record {owner}/{summary['id']} has {stored[name]}",
                )


def _check_common(report: Report, doc: Doc, raw: Any, lenient: bool) -> None:
    _check_times(report, doc)
    _check_periods(report, doc)
    _check_currency(report, doc)
    if lenient:  # strict parsing has rejected every DateTime with a non-zero offset already
        _check_offsets(report, raw, "")


def _time(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _check_times(report: Report, doc: Doc) -> None:
    start, end = parse_datetime(doc["start_date_time"]), _time(doc.get("end_date_time"))
    if end is not None and end < start:
        report.add("END_BEFORE_START", "end_date_time", f"{doc['end_date_time']} is before {doc['start_date_time']}")


def _check_periods(report: Report, doc: Doc) -> None:
    start, end = parse_datetime(doc["start_date_time"]), _time(doc.get("end_date_time"))
    previous: datetime | None = None
    for index, period in enumerate(doc.get("charging_periods") or []):
        moment = parse_datetime(period["start_date_time"])
        name = f"charging_periods[{index}].start_date_time"
        if previous is not None and moment < previous:
            report.add("PERIODS_NOT_ORDERED", name, f"{period['start_date_time']} is before the previous period")
        if moment < start or (end is not None and moment > end):
            report.add("PERIOD_OUTSIDE_SESSION", name, f"{period['start_date_time']} is outside the session")
        previous = moment


def _check_currency(report: Report, doc: Doc) -> None:
    currency = doc.get("currency") or ""
    if not re.fullmatch(r"[A-Za-z]{3}", currency):
        report.add("CURRENCY_INVALID", "currency", f"'{currency}' is not a three-letter ISO 4217 code")
    elif not currency.isupper():
        report.add("CURRENCY_NOT_UPPERCASE", "currency", f"'{currency}' should be upper case")


def _check_energy(report: Report, doc: Doc, name: str) -> None:
    summed = dimension_sum(doc.get("charging_periods"), "ENERGY")
    if summed is not None and abs(summed - float(doc[name])) > ENERGY_TOLERANCE_KWH:
        report.add("ENERGY_MISMATCH", name, f"{doc[name]} kWh, but the ENERGY volumes sum to {summed:g} kWh")


def _flowed(kwh: float | None) -> bool:
    return kwh is not None and kwh > ENERGY_TOLERANCE_KWH


def _exported(doc: Doc) -> float | None:
    """Energy fed back to the grid: ``energy_exported_kwh``, else the ENERGY_EXPORT volumes (None: not told)."""
    given = doc.get("energy_exported_kwh")
    return float(given) if given is not None else dimension_sum(doc.get("charging_periods"), "ENERGY_EXPORT")


def _imported(doc: Doc, name: str) -> float:
    """Energy charged into the EV: the ENERGY_IMPORT volumes when reported, else the total (``kwh`` /
    ``total_energy``, which OCPI defines as the energy charged)."""
    summed = dimension_sum(doc.get("charging_periods"), "ENERGY_IMPORT")
    return summed if summed is not None else float(doc[name])


def _check_energy_export(report: Report, doc: Doc) -> None:
    given = doc.get("energy_exported_kwh")
    summed = dimension_sum(doc.get("charging_periods"), "ENERGY_EXPORT")
    if given is not None and summed is not None and abs(float(given) - summed) > ENERGY_TOLERANCE_KWH:
        report.add(
            "ENERGY_EXPORT_MISMATCH",
            "energy_exported_kwh",
            f"{given:g} kWh, but the ENERGY_EXPORT volumes sum to {summed:g} kWh",
        )


def _check_direction(report: Report, doc: Doc, name: str, *, finished: bool) -> None:
    """IMPORT must not export, EXPORT must not import; BIDIRECTIONAL must do both once the session is over."""
    direction = doc.get("direction")
    if direction is None:
        return
    exported, imported = _exported(doc) or 0.0, _imported(doc, name)
    if direction == "IMPORT" and _flowed(exported):
        report.add("DIRECTION_MISMATCH", "direction", f"IMPORT, but {exported:g} kWh were exported")
    elif direction == "EXPORT" and _flowed(imported):
        report.add("DIRECTION_MISMATCH", "direction", f"EXPORT, but {imported:g} kWh were imported")
    elif direction == "BIDIRECTIONAL" and finished and not (_flowed(imported) and _flowed(exported)):
        missing = [kind for kind, kwh in (("imported", imported), ("exported", exported)) if not _flowed(kwh)]
        report.add("DIRECTION_MISMATCH", "direction", f"BIDIRECTIONAL, but no energy was {' or '.join(missing)}")


def _check_session_type(report: Report, doc: Doc) -> None:
    """A CDR without energy either way needs a session_type that explains it; one with energy must not have a
    type that says there was none."""
    session_type = doc.get("session_type")
    transferred = float(doc["total_energy"]) != 0 or _flowed(_exported(doc))
    if not transferred and session_type is None:
        report.add("ZERO_ENERGY", "total_energy", "total_energy is 0 and no session type is given")
    elif not transferred and session_type == "CHARGING":
        report.add("ZERO_ENERGY", "session_type", "CHARGING, but total_energy is 0")
    elif transferred and session_type in NO_ENERGY_SESSION_TYPES:
        report.add("SESSION_TYPE_MISMATCH", "session_type", f"{session_type}, but energy was transferred")


def _check_total_time(report: Report, doc: Doc) -> None:
    """total_time must equal the time the periods cover: first period start .. end_date_time."""
    periods = doc.get("charging_periods") or []
    first = min((parse_datetime(period["start_date_time"]) for period in periods), default=None)
    end = _time(doc.get("end_date_time"))
    if first is None or end is None:
        return
    covered = (end - first).total_seconds() / 3600
    if abs(covered - float(doc["total_time"])) > TIME_TOLERANCE_HOURS:
        report.add("TIME_MISMATCH", "total_time", f"{doc['total_time']} h, but the periods cover {covered:.4f} h")


def _check_parking_time(report: Report, doc: Doc) -> None:
    summed = dimension_sum(doc.get("charging_periods"), "PARKING_TIME") or 0.0
    given = float(doc.get("total_parking_time") or 0)
    if abs(summed - given) > TIME_TOLERANCE_HOURS:
        report.add(
            "PARKING_TIME_MISMATCH", "total_parking_time", f"{given:g} h, but PARKING_TIME volumes sum to {summed:g} h"
        )


def _check_costs(report: Report, doc: Doc) -> None:
    itemised = [doc[name]["before_taxes"] for name in ITEMISED_COSTS if doc.get(name) is not None]
    if not itemised:
        return
    total = float(doc["total_cost"]["before_taxes"])
    summed = sum(float(value) for value in itemised)
    if abs(total - summed) > COST_TOLERANCE:
        report.add("COST_MISMATCH", "total_cost", f"{total:g} before taxes, but the itemised costs sum to {summed:g}")


def _check_credit(report: Report, doc: Doc) -> None:
    if doc.get("credit") and not doc.get("credit_reference_id"):
        report.add("CREDIT_REFERENCE_MISSING", "credit_reference_id", "required when credit is true")


def _check_tax_included(report: Report, raw: Any) -> None:
    tariffs = raw.get("tariffs") if isinstance(raw, dict) else None
    for index, tariff in enumerate(tariffs or []):
        if isinstance(tariff, dict) and tariff.get("tax_included") is None:
            report.add("TARIFF_TAX_INCLUDED_MISSING", f"tariffs[{index}].tax_included", "missing; assumed NO")


_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2})$")


def _check_offsets(report: Report, raw: Any, path: str) -> None:
    """Record every DateTime string of the raw body that carries a non-zero UTC offset (paths are spelt
    only for those: this walks every value of every Session and CDR)."""
    if not isinstance(raw, dict | list):
        return
    for parts, text in _offset_strings(raw, ()):
        match = _OFFSET.match(text)
        if match and match.group(2).strip("+-").replace(":", "").strip("0"):
            report.add("NON_UTC_OFFSET", _path(path, parts), f"'{text}' is not UTC (converted)")


def _offset_strings(raw: Any, parts: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """The strings of ``raw`` shaped like a DateTime with an offset (…±HH:MM or …±HHMM), with their paths."""
    items = raw.items() if isinstance(raw, dict) else enumerate(raw)
    for key, value in items:
        if isinstance(value, str):
            if len(value) >= 24 and (value[-6] in "+-" or value[-5] in "+-"):
                yield (*parts, key), value
        elif isinstance(value, dict | list):
            yield from _offset_strings(value, (*parts, key))


def _path(prefix: str, parts: tuple[str | int, ...]) -> str:
    text = prefix
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text
