"""Price a CDR (canonical 2.3.0-shaped document): which tariff prices which charging period, then the engine
per tariff, added up. ``tariffs``: the tariffs that may apply, by upper-cased id (the CDR's own ``tariffs``,
else the stored versions); ``parse``: the DateTime parser of the documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tariffs.pricing.engine import price_session, price_unrestricted
from tariffs.pricing.session import ZERO, Period, Session, periods_from_cdr
from tariffs.pricing.types import Breakdown, merge

Doc = dict[str, Any]


@dataclass
class Priced:
    breakdown: Breakdown | None  # None: no tariff could be found for the CDR
    missing: list[str] = field(default_factory=list)  # tariff ids named by periods and not found


def named_tariff_ids(cdr: Doc) -> list[str]:
    """The upper-cased tariff ids the CDR's charging periods name, in order of appearance."""
    seen: dict[str, None] = {}
    for period in cdr.get("charging_periods") or []:
        if period.get("tariff_id"):
            seen[period["tariff_id"].upper()] = None
    return list(seen)


def price_cdr(
    cdr: Doc, tariffs: dict[str, Doc], *, time_zone: ZoneInfo | None, parse: Callable[[str], datetime]
) -> Priced:
    charging_periods = cdr.get("charging_periods") or []
    only = _single_tariff(charging_periods, tariffs)
    fast = None if only is None else price_unrestricted(tariffs[only], charging_periods)
    missing: list[str] = []
    if fast is not None and only is not None:
        breakdown, used = fast, [only]
    else:
        start, end = parse(cdr["start_date_time"]), parse(cdr["end_date_time"])
        periods = periods_from_cdr(charging_periods, start=start, end=end, parse=parse)
        session = Session(start, end, periods, time_zone, reservation_expired=_expired(periods))
        groups, missing = _by_tariff(periods, tariffs)
        if not groups:
            return Priced(None, missing)
        parts = [price_session(tariffs[key], session.with_periods(group)) for key, group in groups.items()]
        breakdown = parts[0] if len(parts) == 1 else merge(parts, cdr.get("currency", ""))
        used = list(groups)
    breakdown.currency = cdr.get("currency", "")
    for key in used:
        currency = tariffs[key].get("currency")
        if currency and currency.upper() != (cdr.get("currency") or "").upper():
            breakdown.notes.append(
                f"tariff {tariffs[key].get('id')} is in {currency}, the CDR in {cdr.get('currency')}"
            )
    if missing:
        breakdown.priceable = False
        breakdown.notes.append(f"tariffs not found: {', '.join(missing)}")
    return Priced(breakdown, missing)


def _single_tariff(charging_periods: list[Doc], tariffs: dict[str, Doc]) -> str | None:
    """The key of the one tariff that prices every period (as ``_by_tariff`` would find it), else None."""
    named = {period.get("tariff_id") or None for period in charging_periods}
    if named == {None}:
        return next(iter(tariffs)) if len(tariffs) == 1 else None
    if len(named) != 1 or None in named:
        return None
    key = str(named.pop()).upper()
    return key if key in tariffs else None


def _by_tariff(periods: tuple[Period, ...], tariffs: dict[str, Doc]) -> tuple[dict[str, list[Period]], list[str]]:
    """Periods per tariff: as named by their tariff_id (a period naming none costs nothing); when no period
    names one, every period under the one tariff given (none or several: nothing can be priced)."""
    if not any(period.tariff_id for period in periods):
        if len(tariffs) != 1:
            return {}, []
        return {next(iter(tariffs)): list(periods)}, []
    groups: dict[str, list[Period]] = {}
    missing: list[str] = []
    for period in periods:
        if not period.tariff_id:
            continue
        key = period.tariff_id.upper()
        if key in tariffs:
            groups.setdefault(key, []).append(period)
        elif key not in missing:
            missing.append(key)
    return groups, missing


def _expired(periods: tuple[Period, ...]) -> bool:
    """A reservation never used: reservation periods and no period of charging or parking."""
    reserved = [period for period in periods if period.is_reservation]
    used = any(
        (period.volume(name) or ZERO) > 0
        for period in periods
        if not period.is_reservation
        for name in ("ENERGY", "TIME", "PARKING_TIME")
    )
    return bool(reserved) and not used
