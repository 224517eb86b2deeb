"""The session as the engine sees it: charging periods with their volumes, where they lie in the session
(seconds since its start, energy charged before them) and the Location's time zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

ZERO = Decimal(0)


@dataclass(slots=True)
class Period:
    index: int
    start: datetime  # aware, UTC
    end: datetime  # the next period's start, or the session's end
    volumes: dict[str, Decimal]  # CdrDimensionType -> volume
    tariff_id: str | None = None
    offset: Decimal = ZERO  # seconds from the session's start to this period's start
    energy_before: Decimal = ZERO  # kWh charged in the session before this period
    is_reservation: bool = False  # it has a RESERVATION_TIME volume

    def __post_init__(self) -> None:
        self.is_reservation = (self.volumes.get("RESERVATION_TIME") or ZERO) > 0

    def volume(self, dimension: str) -> Decimal | None:
        return self.volumes.get(dimension)

    @property
    def seconds(self) -> Decimal:
        return Decimal(int((self.end - self.start).total_seconds()))


@dataclass(frozen=True)
class Session:
    start: datetime
    end: datetime
    periods: tuple[Period, ...]
    time_zone: ZoneInfo | None = None
    reservation_expired: bool = False  # a reservation that was never used for charging

    def with_periods(self, periods: Iterable[Period]) -> Session:
        return Session(self.start, self.end, tuple(periods), self.time_zone, self.reservation_expired)


_DECIMALS: dict[Any, Decimal] = {}  # the same few prices and volumes come again and again


def decimal(value: Any) -> Decimal:
    """A JSON number as Decimal, exactly as written (floats through their shortest repr)."""
    if isinstance(value, Decimal):
        return value
    found = _DECIMALS.get(value)
    if found is None:
        found = Decimal(str(value))
        if len(_DECIMALS) < 50_000:
            _DECIMALS[value] = found
    return found


def periods_from_cdr(
    charging_periods: list[dict[str, Any]], *, start: datetime, end: datetime, parse: Any
) -> tuple[Period, ...]:
    """The periods of a canonical CDR/Session document (``parse``: its DateTime parser), in time order."""
    timed = sorted(
        (
            (parse(period["start_date_time"]), position, period)
            for position, period in enumerate(charging_periods or [])
        ),
        key=lambda item: (item[0], item[1]),
    )
    starts = [moment for moment, _, _ in timed]
    periods, energy = [], ZERO
    for index, (moment, _, period) in enumerate(timed):
        volumes: dict[str, Decimal] = {}
        for dimension in period.get("dimensions") or []:
            volumes[dimension["type"]] = volumes.get(dimension["type"], ZERO) + decimal(dimension["volume"])
        until = starts[index + 1] if index + 1 < len(starts) else max(end, moment)
        offset = Decimal(int((moment - start).total_seconds()))
        periods.append(Period(index, moment, until, volumes, period.get("tariff_id"), offset, energy))
        energy += volumes.get("ENERGY", ZERO)
    return tuple(periods)
