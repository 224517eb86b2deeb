"""The reliability figures as tables: one definition used by the admin dashboard and by
``manage.py reliability_report`` (CSV), so both always show the same numbers.

Each figure reads its rows with ``errors.selectors`` and computes with ``errors.kpis``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from errors import kpis, selectors
from ocpi_hub.api.datetimes import format_datetime

FIGURE_NAMES = (
    "open_errors",
    "errors_per_code",
    "time_to_clear",
    "top_evses",
    "session_success_cpo",
    "session_success_location",
    "evse_availability",
)
SHARE_DECIMALS = 4


@dataclass(frozen=True)
class ReportFilter:
    start: datetime
    end: datetime
    cpo: tuple[str, str] | None = None
    location_id: str | None = None
    at: datetime = field(default_factory=timezone.now)  # "now" of the open-errors figure
    top: int = 10

    @property
    def scope(self) -> dict[str, Any]:
        return {"cpo": self.cpo, "location_id": self.location_id}


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]

    @property
    def display_rows(self) -> list[list[Any]]:
        """The rows for people: shares (columns ``*_rate``, ``*_share``, 0..1) as percentages."""
        shares = [column.endswith(("_rate", "_share")) for column in self.columns]
        return [
            [
                f"{100 * cell:.1f} %" if is_share and isinstance(cell, float | int) else cell
                for cell, is_share in zip(row, shares, strict=True)
            ]
            for row in self.rows
        ]


def bucket_size(start: datetime, end: datetime) -> timedelta:
    """Hours for up to two days, days for up to 62 days, weeks beyond."""
    span = end - start
    if span <= timedelta(days=2):
        return timedelta(hours=1)
    return timedelta(days=1) if span <= timedelta(days=62) else timedelta(days=7)


def share(value: float) -> float:
    return round(value, SHARE_DECIMALS)


def open_errors_figure(report: ReportFilter) -> Figure:
    names = selectors.mrec_names()
    rows = kpis.open_errors(selectors.open_error_rows(at=report.at, **report.scope), report.at)
    return Figure(
        "open_errors",
        f"Open errors at {format_datetime(report.at)}",
        ["code", "name", "open", "most_severe", "oldest_occurred_at"],
        [[r.code, names.get(r.code, ""), r.count, r.most_severe, format_datetime(r.oldest_occurred_at)] for r in rows],
    )


def errors_per_code_figure(report: ReportFilter) -> Figure:
    rows = selectors.error_rows(start=report.start, end=report.end, **report.scope)
    series = kpis.errors_per_code_over_time(rows, report.start, report.end, bucket_size(report.start, report.end))
    totals = series.totals()
    return Figure(
        "errors_per_code",
        "Errors per code over time",
        ["bucket_start", "total", *series.series],
        [
            [format_datetime(bucket), totals[index], *(counts[index] for counts in series.series.values())]
            for index, bucket in enumerate(series.buckets)
        ],
    )


def time_to_clear_figure(report: ReportFilter) -> Figure:
    names = selectors.mrec_names()
    rows = kpis.time_to_clear(selectors.error_rows(start=report.start, end=report.end, **report.scope))
    return Figure(
        "time_to_clear",
        "Mean time to clear per code",
        ["code", "name", "cleared", "still_open", "mean_seconds", "mean_hours"],
        [
            [
                r.code,
                names.get(r.code, ""),
                r.cleared,
                r.still_open,
                None if r.mean_seconds is None else round(r.mean_seconds, 1),
                None if r.mean_seconds is None else round(r.mean_seconds / 3600, 2),
            ]
            for r in rows
        ],
    )


def top_evses_figure(report: ReportFilter) -> Figure:
    rows = kpis.top_evses(selectors.error_rows(start=report.start, end=report.end, **report.scope), report.top)
    return Figure("top_evses", f"Top {report.top} EVSEs by error count", ["evse", "errors"], [list(r) for r in rows])


def _session_success_figure(report: ReportFilter, group_by: str) -> Figure:
    rows = kpis.session_success(selectors.session_rows(start=report.start, end=report.end, **report.scope), group_by)
    return Figure(
        f"session_success_{group_by}",
        f"Session success per {'CPO' if group_by == 'cpo' else 'location'}",
        [group_by, "sessions", "with_energy", "success_rate", "with_error", "error_rate"],
        [[r.group, r.sessions, r.with_energy, share(r.success_rate), r.with_error, share(r.error_rate)] for r in rows],
    )


def evse_availability_figure(report: ReportFilter) -> Figure:
    rows = selectors.status_change_rows(end=report.end, **report.scope)
    result = kpis.evse_availability(rows, report.start, report.end)
    return Figure(
        "evse_availability",
        "EVSE availability (share of observed time)",
        ["evse", "observed_seconds", "operational_share", "faulted_share", "unknown_share", *kpis.OBSERVED_STATUSES],
        [
            [
                a.evse,
                round(a.observed_seconds),
                share(a.operational_share),
                share(a.faulted_share),
                share(a.unknown_share),
                *(round(a.seconds.get(status, 0.0)) for status in kpis.OBSERVED_STATUSES),
            ]
            for a in result
        ],
    )


FIGURES: dict[str, Callable[[ReportFilter], Figure]] = {
    "open_errors": open_errors_figure,
    "errors_per_code": errors_per_code_figure,
    "time_to_clear": time_to_clear_figure,
    "top_evses": top_evses_figure,
    "session_success_cpo": lambda report: _session_success_figure(report, "cpo"),
    "session_success_location": lambda report: _session_success_figure(report, "location"),
    "evse_availability": evse_availability_figure,
}


def build_figures(report: ReportFilter, names: tuple[str, ...] = FIGURE_NAMES) -> list[Figure]:
    return [FIGURES[name](report) for name in names]


def parse_bound(text: str) -> datetime:
    """A period bound: ``YYYY-MM-DD`` (midnight UTC) or an OCPI DateTime (UTC)."""
    from ocpi_hub.api.datetimes import parse_datetime

    value = text.strip()
    if len(value) == 10:
        value += "T00:00:00Z"
    return parse_datetime(value)


def parse_cpo(text: str | None) -> tuple[str, str] | None:
    """``NL/CPO`` -> ("NL", "CPO"); None for blank; ValueError otherwise."""
    if not text:
        return None
    country_code, _, party_id = text.strip().upper().partition("/")
    if len(country_code) != 2 or len(party_id) != 3:
        raise ValueError(f"{text!r}: expected COUNTRY/PARTY, e.g. NL/CPO")
    return country_code, party_id
