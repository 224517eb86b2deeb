"""Price one session under one Tariff (canonical 2.3.0-shaped document). Rules: docs/modules/tariffs.md.

Per charging period and per dimension (ENERGY, TIME, PARKING_TIME; TIME of a reservation period prices its
RESERVATION_TIME) the first element with a component of that dimension whose restrictions hold at the period's
start prices the period's whole volume; FLAT is charged once for the charging part and once for the
reservation part. A period whose winning element differs at its last second spans a restriction boundary: it
is priced as given and noted. Step sizes round the session's total of a dimension up with the step of the
last component used. min_price/max_price bound the total before and after taxes separately.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tariffs.pricing.restrictions import (
    Moment,
    Unknown,
    current,
    matches,
    needs_time_zone,
    period_last_second,
    period_start,
    power,
)
from tariffs.pricing.session import Period, Session, decimal
from tariffs.pricing.types import ZERO, Breakdown, Line, Money

Doc = dict[str, Any]
HUNDRED = Decimal(100)
PRICED = ("ENERGY", "TIME", "PARKING_TIME")
# Step unit of each dimension (OCPI: 1 Wh, 1 s), in the unit of its CDR volume (kWh, h).
STEP_UNIT = {"ENERGY": Decimal(1) / 1000, "TIME": Decimal(1) / 3600, "PARKING_TIME": Decimal(1) / 3600}
FIELD = {"ENERGY": "total_energy_cost", "TIME": "total_time_cost", "PARKING_TIME": "total_parking_cost"}
FLAT_FIELD, RESERVATION_FIELD = "total_fixed_cost", "total_reservation_cost"


Winner = tuple[int, Doc]  # (element index, price component) pricing one dimension of one period
# Per dimension, the elements that price it, in order: (element index, restrictions, component).
Candidates = dict[str, list[tuple[int, Doc | None, Doc]]]


def _candidates(elements: list[Doc]) -> Candidates:
    found: Candidates = {dimension: [] for dimension in (*PRICED, "FLAT")}
    for index, element in enumerate(elements):
        for component in element.get("price_components") or []:
            entries = found.get(component.get("type"), None)
            if entries is not None and all(entry[0] != index for entry in entries):
                entries.append((index, element.get("restrictions") or None, component))
    return found


def price_session(tariff: Doc, session: Session) -> Breakdown:
    """The cost of ``session`` (its periods already those of this tariff) under ``tariff``."""
    breakdown = Breakdown(currency=tariff.get("currency", ""), tariffs=[_tariff_ref(tariff)])
    elements = tariff.get("elements") or []
    if session.time_zone is None and any(needs_time_zone(element.get("restrictions")) for element in elements):
        breakdown.priceable = False
        breakdown.notes.append("the tariff has local-time restrictions and the Location's time zone is unknown")
        return breakdown
    taxes = _taxes(tariff)
    candidates = _candidates(elements)
    _note_missing_quantities(elements, session, breakdown)
    groups: dict[tuple[str, str, int], Group] = {}
    steps: dict[str, tuple[Decimal, Winner]] = {}  # step group -> (total volume, last winner)
    flat_done: set[bool] = set()
    for period in session.periods:
        _price_period(candidates, period, session, breakdown, groups, steps, flat_done)
    return _finish(tariff, breakdown, taxes, groups, steps)


def _finish(
    tariff: Doc,
    breakdown: Breakdown,
    taxes: Callable[[Decimal, Doc], Money],
    groups: dict[tuple[str, str, int], Group],
    steps: dict[str, tuple[Decimal, Winner]],
) -> Breakdown:
    for (name, dimension, index), group in groups.items():
        line = Line(group.first, dimension, index, group.volume, group.price, Money())
        _add_line(breakdown, taxes, name, line, group)
    _round_steps(steps, breakdown, taxes)
    _limit(tariff, breakdown)
    return breakdown


def price_unrestricted(tariff: Doc, charging_periods: list[Doc]) -> Breakdown | None:
    """``price_session`` for the common case, read straight from the CDR's charging periods (canonical
    documents): a tariff none of whose elements has restrictions, periods in time order, none of them a
    reservation, each giving TIME when the tariff prices TIME. Then the first element of each dimension
    prices every period, and the result is the general path's, without building the session (no DateTime
    parsed, no restriction evaluated). None when the case does not hold: use ``price_session``."""
    elements = tariff.get("elements") or []
    if not _plain_order(charging_periods) or any(element.get("restrictions") for element in elements):
        return None
    candidates = _candidates(elements)
    volumes = [_period_volumes(period) for period in charging_periods]
    if any("RESERVATION_TIME" in found for found in volumes):
        return None
    if candidates["TIME"] and any("TIME" not in found for found in volumes):
        return None  # TIME from the period's duration: the general path
    breakdown = Breakdown(currency=tariff.get("currency", ""), tariffs=[_tariff_ref(tariff)])
    groups: dict[tuple[str, str, int], Group] = {}
    steps: dict[str, tuple[Decimal, Winner]] = {}
    for dimension in (*PRICED, "FLAT"):
        if not candidates[dimension]:
            continue
        index, _, component = candidates[dimension][0]
        for position, found in enumerate(volumes):
            volume = Decimal(1) if dimension == "FLAT" else found.get(dimension)
            if volume is None or (volume <= 0 and dimension != "FLAT"):
                continue
            key = (_field(dimension, False), dimension, index)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(component, decimal(component["price"]), position)
            group.volume += volume
            group.periods += 1
            if dimension == "FLAT":
                break
            total = steps[dimension][0] if dimension in steps else ZERO
            steps[dimension] = (total + volume, (index, component))
    ordered = dict(sorted(groups.items(), key=lambda item: item[1].first))  # the general path's order
    return _finish(tariff, breakdown, _taxes(tariff), ordered, steps)


def _plain_order(charging_periods: list[Doc]) -> bool:
    """Some periods, their DateTimes all of one canonical form (so text order is time order), in order."""
    starts = [period["start_date_time"] for period in charging_periods]
    return bool(starts) and len({len(start) for start in starts}) == 1 and starts == sorted(starts)


def _period_volumes(period: Doc) -> dict[str, Decimal]:
    volumes: dict[str, Decimal] = {}
    for dimension in period.get("dimensions") or []:
        name = dimension["type"]
        volumes[name] = volumes.get(name, ZERO) + decimal(dimension["volume"])
    if (volumes.get("RESERVATION_TIME") or ZERO) <= 0:
        volumes.pop("RESERVATION_TIME", None)
    return volumes


@dataclass(slots=True)
class Group:
    """The volume one element's component prices in one cost field, over the periods it won."""

    component: Doc
    price: Decimal
    first: int
    volume: Decimal = ZERO
    periods: int = 0


def _add_line(
    breakdown: Breakdown,
    taxes: Callable[[Decimal, Doc], Money],
    name: str,
    line: Line,
    group: Group | None,
    component: Doc | None = None,
) -> None:
    """Price ``line`` (its volume at its price, taxed as ``component`` says) into cost field ``name``."""
    component = group.component if group is not None else component or {}
    line.cost = taxes(line.price * line.volume, component)
    line.vat = _vat(component)
    if group is not None and group.periods > 1:
        line.note = f"{group.periods} periods from charging_periods[{group.first}]"
    breakdown.lines.append(line)
    breakdown.costs[name] = breakdown.cost(name) + line.cost


def _price_period(
    candidates: Candidates,
    period: Period,
    session: Session,
    breakdown: Breakdown,
    groups: dict[tuple[str, str, int], Group],
    steps: dict[str, tuple[Decimal, Winner]],
    flat_done: set[bool],
) -> None:
    reserved = period.is_reservation
    start = period_start(period)
    for dimension in (*PRICED, "FLAT"):
        if not candidates[dimension] or (dimension == "FLAT" and reserved in flat_done):
            continue
        volume = _volume(period, dimension)
        if volume is None or (volume <= 0 and dimension != "FLAT"):
            continue
        winner = _first(candidates[dimension], period, start, session)
        if winner is None:
            continue
        _note_boundary(candidates[dimension], dimension, period, session, winner, breakdown)
        index, component = winner
        key = (_field(dimension, reserved), dimension, index)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(component, decimal(component["price"]), period.index)
        group.volume += volume
        group.periods += 1
        if dimension == "FLAT":
            flat_done.add(reserved)
        else:
            step_group = _step_group(dimension, reserved)
            total = steps[step_group][0] if step_group in steps else ZERO
            steps[step_group] = (total + volume, winner)


def _note_missing_quantities(elements: list[Doc], session: Session, breakdown: Breakdown) -> None:
    """A current or power restriction cannot hold in a charging period that does not tell that quantity:
    noted once (parking and reservation periods have no current to tell)."""
    for name, reader in (("current", current), ("power", power)):
        restricted = any(
            (element.get("restrictions") or {}).get(f"{bound}_{name}") is not None
            for element in elements
            for bound in ("min", "max")
        )
        charging = [period for period in session.periods if (period.volume("ENERGY") or period.volume("TIME"))]
        if restricted and any(reader(period) is None for period in charging):
            breakdown.notes.append(f"the CDR does not give the {name} of every period: {name} restrictions fail there")


def _volume(period: Period, dimension: str) -> Decimal | None:
    """The period's volume of a tariff dimension: TIME of a reservation period is its reservation time; a
    charging period without TIME is charging for its duration less its parking time."""
    if dimension == "FLAT":
        return Decimal(1)
    if period.is_reservation:
        return period.volume("RESERVATION_TIME") if dimension == "TIME" else None
    if dimension == "TIME" and period.volume("TIME") is None:
        hours = period.seconds / 3600 - (period.volume("PARKING_TIME") or ZERO)
        return max(hours, ZERO)
    return period.volume(dimension)


def _first(
    candidates: list[tuple[int, Doc | None, Doc]], period: Period, moment: Moment, session: Session
) -> Winner | None:
    """The first element pricing this dimension whose restrictions hold at ``moment``."""
    for index, restrictions, component in candidates:
        try:
            if matches(restrictions, period, moment, session):
                return index, component
        except Unknown:
            return None
    return None


def _note_boundary(
    candidates: list[tuple[int, Doc | None, Doc]],
    dimension: str,
    period: Period,
    session: Session,
    winner: Winner,
    breakdown: Breakdown,
) -> None:
    """Note a period whose winning element at its last second is another one (only restrictions can make
    that differ)."""
    if dimension == "FLAT" or period.end <= period.start or all(entry[1] is None for entry in candidates):
        return
    late = _first(candidates, period, period_last_second(period), session)
    late_index = None if late is None else late[0]
    if late_index != winner[0]:
        breakdown.notes.append(
            f"charging_periods[{period.index}] spans a restriction boundary for {dimension}: element {winner[0]} "
            f"at its start, {'none' if late_index is None else f'element {late_index}'} at its end; priced "
            "as given (with the element at its start)"
        )


def _field(dimension: str, reserved: bool) -> str:
    if reserved:
        return RESERVATION_FIELD
    return FLAT_FIELD if dimension == "FLAT" else FIELD[dimension]


def _step_group(dimension: str, reserved: bool) -> str:
    return "RESERVATION_TIME" if reserved else dimension


def _round_steps(
    steps: dict[str, tuple[Decimal, Winner]], breakdown: Breakdown, taxes: Callable[[Decimal, Doc], Money]
) -> None:
    """ENERGY once per session; TIME and PARKING_TIME on their totals, only PARKING_TIME when both are
    priced; reservation time on its own. Each with the step size of the last component used."""
    for group in ("ENERGY", "RESERVATION_TIME", "PARKING_TIME" if "PARKING_TIME" in steps else "TIME"):
        if group not in steps:
            continue
        total, (index, component) = steps[group]
        dimension = "TIME" if group == "RESERVATION_TIME" else group
        extra = _rounding(total, int(component.get("step_size") or 0), STEP_UNIT[dimension])
        if extra <= 0:
            continue
        name = RESERVATION_FIELD if group == "RESERVATION_TIME" else FIELD[dimension]
        line = Line(None, dimension, index, extra, decimal(component["price"]), Money())
        line.note = f"step_size {component['step_size']}"
        _add_line(breakdown, taxes, name, line, None, component)


def _rounding(total: Decimal, step: int, unit: Decimal) -> Decimal:
    """What rounding ``total`` up to a multiple of ``step`` units adds (0 for a step of 0 or 1)."""
    if step <= 1:
        return ZERO
    size = unit * step
    steps = (total / size).quantize(Decimal("0.000001"))  # volumes carry 4-6 decimals: no step for noise
    return Decimal(math.ceil(steps)) * size - total


def _taxes(tariff: Doc) -> Callable[[Decimal, Doc], Money]:
    """Amount (in the tariff's terms) -> Money: 2.2.1 / ``tax_included: NO`` prices exclude taxes (``vat`` adds
    them; none given: after taxes unknown); ``YES`` prices include them (``vat`` takes them out; none given:
    before taxes unknown); ``N/A``: no taxes."""
    mode = tariff.get("tax_included") or "NO"

    def money(amount: Decimal, component: Doc) -> Money:
        vat = component.get("vat")
        if mode == "N/A" or amount == 0:
            return Money(amount, amount)
        if vat is None:
            return Money(amount, None) if mode == "NO" else Money(None, amount)
        factor = 1 + decimal(vat) / HUNDRED
        return Money(amount, amount * factor) if mode == "NO" else Money(amount / factor, amount)

    return money


def _limit(tariff: Doc, breakdown: Breakdown) -> None:
    """total_cost: the sum of the other fields, bounded by min_price/max_price (before and after taxes each)."""
    total = Money()
    for name in (*FIELD.values(), FLAT_FIELD, RESERVATION_FIELD):
        total = total + breakdown.cost(name)
    before, after = total.before, total.after
    for key, pick, word in (("min_price", max, "min_price"), ("max_price", min, "max_price")):
        limit = tariff.get(key) or {}
        if before is not None and limit.get("before_taxes") is not None:
            bounded = pick(before, decimal(limit["before_taxes"]))
            if bounded != before:
                breakdown.notes.append(f"{word} applied before taxes: {before:.4f} -> {bounded}")
            before = bounded
        if after is not None and limit.get("after_taxes") is not None:
            bounded = pick(after, decimal(limit["after_taxes"]))
            if bounded != after:
                breakdown.notes.append(f"{word} applied after taxes: {after:.4f} -> {bounded}")
            after = bounded
    breakdown.costs["total_cost"] = Money(before, after)
    _tax_rates(tariff, breakdown)


def _tax_rates(tariff: Doc, breakdown: Breakdown) -> None:
    """Taxes by VAT rate over the priced lines (before any min/max bound)."""
    for line in breakdown.lines:
        before, after = line.cost.before, line.cost.after
        if before is not None and after is not None and line.vat is not None and after != before:
            breakdown.taxes[line.vat] = breakdown.taxes.get(line.vat, ZERO) + after - before


def _vat(component: Doc) -> Decimal | None:
    vat = component.get("vat")
    return None if vat is None else decimal(vat)


def _tariff_ref(tariff: Doc) -> dict[str, Any]:
    return {
        "country_code": tariff.get("country_code"),
        "party_id": tariff.get("party_id"),
        "id": tariff.get("id"),
        "last_updated": tariff.get("last_updated"),
    }
