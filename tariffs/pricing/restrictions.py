"""TariffRestrictions, evaluated for one charging period at one moment of it (all given ones must hold).

Local-time restrictions (start/end_time, start/end_date, day_of_week) are read in the Location's time zone;
without a zone they cannot be told (``Unknown``), never guessed. Quantities the CDR does not give (current,
power) make the restriction not hold (the engine notes it). Elements with a 2.3.0 ``booking`` restriction
describe the costs of a Booking, not of a session: they never hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from tariffs.pricing.session import Period, Session, decimal

LOCAL_TIME_FIELDS = ("start_time", "end_time", "start_date", "end_date", "day_of_week")
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
ONE_SECOND = timedelta(seconds=1)


class Unknown(Exception):
    """A restriction that cannot be evaluated (a local-time restriction without the Location's time zone)."""


@dataclass(frozen=True)
class Moment:
    """Where in the session a restriction is evaluated: at a period's start, or just before its end."""

    utc: datetime
    seconds: Decimal  # since the session's start
    energy: Decimal  # kWh charged before this moment


def period_start(period: Period) -> Moment:
    return Moment(period.start, period.offset, period.energy_before)


def period_last_second(period: Period) -> Moment:
    """The last second of the period (its energy all charged but the last bit: taken as charged)."""
    end = max(period.start, period.end - ONE_SECOND)
    energy = period.energy_before + (period.volume("ENERGY") or Decimal(0))
    return Moment(end, period.offset + Decimal(int((end - period.start).total_seconds())), energy)


def matches(restrictions: dict[str, Any] | None, period: Period, moment: Moment, session: Session) -> bool:
    """Whether every restriction given holds (raises ``Unknown``)."""
    if not restrictions:
        return not period.is_reservation
    if restrictions.get("booking") or not _reservation_holds(restrictions.get("reservation"), period, session):
        return False  # 2.3.0 booking elements price Bookings, never a charging session
    return (
        _local_holds(restrictions, moment, session.time_zone)
        and _range(restrictions, "kwh", moment.energy)
        and _range(restrictions, "duration", moment.seconds)
        and _range(restrictions, "current", current(period))
        and _range(restrictions, "power", power(period))
    )


def needs_time_zone(restrictions: dict[str, Any] | None) -> bool:
    return bool(restrictions) and any(restrictions.get(name) for name in LOCAL_TIME_FIELDS)  # type: ignore[union-attr]


def current(period: Period) -> Decimal | None:
    """The period's current (A): CURRENT, else MAX_CURRENT, else MIN_CURRENT (None: not given)."""
    for name in ("CURRENT", "MAX_CURRENT", "MIN_CURRENT"):
        if period.volume(name) is not None:
            return period.volume(name)
    return None


def power(period: Period) -> Decimal | None:
    """The period's power (kW): POWER, else MAX_POWER, else MIN_POWER, else its energy over its charging
    time (TIME, else its duration); None when none of these is given."""
    for name in ("POWER", "MAX_POWER", "MIN_POWER"):
        if period.volume(name) is not None:
            return period.volume(name)
    energy, hours = period.volume("ENERGY"), period.volume("TIME")
    if hours is None or hours <= 0:
        hours = period.seconds / 3600
    if energy is None or hours <= 0:
        return None
    return energy / hours


def _reservation_holds(kind: str | None, period: Period, session: Session) -> bool:
    """An element with a reservation restriction prices reservation periods only (RESERVATION_EXPIRES only
    those of a reservation that expired unused); an element without one prices the other periods only."""
    if kind is None:
        return not period.is_reservation
    if kind == "RESERVATION_EXPIRES":
        return period.is_reservation and session.reservation_expired
    return period.is_reservation


def _range(restrictions: dict[str, Any], name: str, value: Decimal | None) -> bool:
    """``min_<name>`` <= value < ``max_<name>`` (each bound only when given); an unknown value fails a bound."""
    low, high = restrictions.get(f"min_{name}"), restrictions.get(f"max_{name}")
    if low is None and high is None:
        return True
    if value is None:
        return False
    if low is not None and value < decimal(low):
        return False
    return not (high is not None and value >= decimal(high))


def _local_holds(restrictions: dict[str, Any], moment: Moment, zone: ZoneInfo | None) -> bool:
    if not needs_time_zone(restrictions):
        return True
    if zone is None:
        raise Unknown("no time zone")
    local = moment.utc.astimezone(zone)
    days = restrictions.get("day_of_week") or []
    if days and DAYS[local.weekday()] not in days:
        return False
    if not _date_holds(restrictions.get("start_date"), restrictions.get("end_date"), local.date()):
        return False
    return _time_holds(restrictions.get("start_time"), restrictions.get("end_time"), local.time())


def _date_holds(start: str | None, end: str | None, day: date) -> bool:
    """start_date inclusive, end_date exclusive."""
    if start and day < date.fromisoformat(start):
        return False
    return not (end and day >= date.fromisoformat(end))


def _time_holds(start: str | None, end: str | None, now: time) -> bool:
    """start_time inclusive, end_time exclusive; an end before the start wraps past midnight; "00:00" as
    end_time is the end of the day."""
    if not start and not end:
        return True
    begin = time.fromisoformat(start) if start else time(0, 0)
    if not end or end == "00:00":
        return now >= begin
    until = time.fromisoformat(end)
    if until > begin:
        return begin <= now < until
    return now >= begin or now < until
