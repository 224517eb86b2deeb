"""Reliability KPIs as pure functions over plain rows (no database access; see ``errors.selectors``).

Error rows: dicts with ``country_code, party_id, location_id, evse_uid, session_id, scheme, code, severity,
occurred_at, cleared_at``. Session rows: ``cpo, location, kwh, has_error``. Status rows: ``evse, status,
changed_at`` (an EVSE entered ``status`` at ``changed_at``). All datetimes are aware UTC.

Definitions (docs/extension-chargex-errors.md, "Reliability figures"):
- open at T: ``occurred_at <= T`` and not cleared by T (``cleared_at`` is null or after T);
- time to clear: ``cleared_at - occurred_at`` of cleared records; the mean per code;
- session success: a session with ``kwh > 0``; success rate = successful / all sessions of the group;
- availability: over [start, end), an EVSE's time in each status, from the last change before ``start``
  onward. OPERATIONAL = AVAILABLE, CHARGING, RESERVED, BLOCKED; FAULTED = INOPERATIVE, OUTOFORDER;
  UNKNOWN = UNKNOWN. Time before the EVSE's first known status and time PLANNED or REMOVED (not in
  service) are not observed; shares are of the observed time.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

Row = Mapping[str, Any]

OPERATIONAL = ("AVAILABLE", "CHARGING", "RESERVED", "BLOCKED")
FAULTED = ("INOPERATIVE", "OUTOFORDER")
UNKNOWN = ("UNKNOWN",)
NOT_IN_SERVICE = ("PLANNED", "REMOVED")
OBSERVED_STATUSES = (*OPERATIONAL, *FAULTED, *UNKNOWN)


def code_key(row: Row) -> str:
    """MREC codes by code alone (``CX003``); any other scheme qualified (``OCPP16:GroundFailure``)."""
    return row["code"] if row["scheme"] == "MREC" else f"{row['scheme']}:{row['code']}"


def evse_key(row: Row) -> str:
    return f"{row['country_code']}/{row['party_id']}/{row['location_id']}/{row['evse_uid']}"


def is_open(row: Row, at: datetime) -> bool:
    return row["occurred_at"] <= at and (row["cleared_at"] is None or row["cleared_at"] > at)


# --- errors ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenErrors:
    code: str
    count: int
    most_severe: int  # lowest OCPP severity number
    oldest_occurred_at: datetime


def open_errors(rows: Iterable[Row], at: datetime) -> list[OpenErrors]:
    """Records open at ``at`` per code, most numerous first."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        if is_open(row, at):
            groups[code_key(row)].append(row)
    result = [
        OpenErrors(
            code=code,
            count=len(items),
            most_severe=min(item["severity"] for item in items),
            oldest_occurred_at=min(item["occurred_at"] for item in items),
        )
        for code, items in groups.items()
    ]
    return sorted(result, key=lambda item: (-item.count, item.code))


@dataclass(frozen=True)
class TimeSeries:
    buckets: list[datetime]  # bucket starts
    series: dict[str, list[int]]  # code -> count per bucket

    def totals(self) -> list[int]:
        return [sum(counts[index] for counts in self.series.values()) for index in range(len(self.buckets))]


def bucket_starts(start: datetime, end: datetime, size: timedelta) -> list[datetime]:
    starts, current = [], start
    while current < end:
        starts.append(current)
        current += size
    return starts


def errors_per_code_over_time(rows: Iterable[Row], start: datetime, end: datetime, size: timedelta) -> TimeSeries:
    """Records per code per bucket of ``size`` from ``start`` (by ``occurred_at``; outside [start, end) ignored)."""
    buckets = bucket_starts(start, end, size)
    series: dict[str, list[int]] = {}
    for row in rows:
        if not start <= row["occurred_at"] < end:
            continue
        index = int((row["occurred_at"] - start) / size)
        series.setdefault(code_key(row), [0] * len(buckets))[index] += 1
    return TimeSeries(buckets=buckets, series=dict(sorted(series.items())))


@dataclass(frozen=True)
class TimeToClear:
    code: str
    cleared: int
    still_open: int
    mean_seconds: float | None  # None when nothing was cleared


def time_to_clear(rows: Iterable[Row]) -> list[TimeToClear]:
    """Mean time from occurred_at to cleared_at per code (cleared records only), by code."""
    durations: dict[str, list[float]] = defaultdict(list)
    still_open: Counter[str] = Counter()
    for row in rows:
        if row["cleared_at"] is None:
            still_open[code_key(row)] += 1
        else:
            durations[code_key(row)].append((row["cleared_at"] - row["occurred_at"]).total_seconds())
    codes = sorted(set(durations) | set(still_open))
    return [
        TimeToClear(
            code=code,
            cleared=len(durations[code]),
            still_open=still_open[code],
            mean_seconds=sum(durations[code]) / len(durations[code]) if durations[code] else None,
        )
        for code in codes
    ]


def top_evses(rows: Iterable[Row], limit: int = 10) -> list[tuple[str, int]]:
    """EVSEs with the most records, most first (ties by EVSE key)."""
    counts = Counter(evse_key(row) for row in rows)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


# --- sessions -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionSuccess:
    group: str
    sessions: int
    with_energy: int
    with_error: int

    @property
    def success_rate(self) -> float:
        return self.with_energy / self.sessions if self.sessions else 0.0

    @property
    def error_rate(self) -> float:
        return self.with_error / self.sessions if self.sessions else 0.0


def session_success(rows: Iterable[Row], group_by: str) -> list[SessionSuccess]:
    """Per ``group_by`` ("cpo" or "location"): sessions, sessions with energy delivered, sessions with an error."""
    totals: Counter[str] = Counter()
    energy: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for row in rows:
        group = row[group_by]
        totals[group] += 1
        energy[group] += row["kwh"] > 0
        errors[group] += bool(row["has_error"])
    return [SessionSuccess(group, totals[group], energy[group], errors[group]) for group in sorted(totals)]


# --- availability ---------------------------------------------------------------------------------------------


@dataclass
class Availability:
    evse: str
    seconds: dict[str, float] = field(default_factory=dict)  # status -> seconds in [start, end)

    @property
    def observed_seconds(self) -> float:
        return sum(value for status, value in self.seconds.items() if status not in NOT_IN_SERVICE)

    def share(self, statuses: Iterable[str]) -> float:
        observed = self.observed_seconds
        return sum(self.seconds.get(status, 0.0) for status in statuses) / observed if observed else 0.0

    @property
    def operational_share(self) -> float:
        return self.share(OPERATIONAL)

    @property
    def faulted_share(self) -> float:
        return self.share(FAULTED)

    @property
    def unknown_share(self) -> float:
        return self.share(UNKNOWN)


def evse_availability(rows: Iterable[Row], start: datetime, end: datetime) -> list[Availability]:
    """Time per status of each EVSE over [start, end), from its status history (any order)."""
    history: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        history[row["evse"]].append(row)
    result = []
    for evse in sorted(history):
        changes = sorted(history[evse], key=lambda row: row["changed_at"])
        availability = Availability(evse)
        for current, following in zip(changes, [*changes[1:], None], strict=True):
            begin = max(current["changed_at"], start)
            finish = min(following["changed_at"] if following else end, end)
            if finish > begin:
                seconds = availability.seconds
                seconds[current["status"]] = seconds.get(current["status"], 0.0) + (finish - begin).total_seconds()
        result.append(availability)
    return result
