"""Property tests of the tariff engine: never a negative cost, energy-only tariffs monotone in energy, and the
total within min_price/max_price."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ocpi_hub.api.datetimes import parse_datetime
from tariffs.pricing import Breakdown, price_cdr
from tariffs.pricing.engine import price_session, price_unrestricted
from tariffs.pricing.session import Session, periods_from_cdr
from tests.bodies import period

START = datetime(2025, 3, 29, 20, 0, tzinfo=UTC)  # the night before the DST change
prices = st.decimals(min_value=0, max_value=5, places=2)
steps = st.sampled_from([0, 1, 60, 100, 300, 900, 1800])
volumes = st.decimals(min_value=0, max_value=50, places=3)
hours = st.decimals(min_value=0, max_value=2, places=4)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _cdr(periods: list[dict[str, Decimal]]) -> dict[str, Any]:
    """Only the CDR fields the pricing engine reads (a full ``tests.bodies.cdr_body`` would carry its own tariff
    and totals); the charging periods come from ``tests.bodies.period``."""
    step = timedelta(minutes=30)
    return {
        "start_date_time": _iso(START),
        "end_date_time": _iso(START + step * len(periods)),
        "currency": "EUR",
        "charging_periods": [period(_iso(START + step * index), **dims) for index, dims in enumerate(periods)],
    }


def _price(tariff: dict[str, Any], periods: list[dict[str, Decimal]]) -> Breakdown:
    priced = price_cdr(_cdr(periods), {"T": tariff}, time_zone=ZoneInfo("Europe/Amsterdam"), parse=parse_datetime)
    assert priced.breakdown is not None
    return priced.breakdown


@st.composite
def tariffs(draw: Any) -> dict[str, Any]:
    """Random tariffs of up to 4 elements, with time-of-day, duration, kWh and power restrictions."""
    restriction = st.fixed_dictionaries(
        {},
        optional={
            "start_time": st.sampled_from(["00:00", "06:00", "17:00", "22:00"]),
            "end_time": st.sampled_from(["00:00", "07:00", "20:00", "02:00"]),
            "max_duration": st.integers(min_value=0, max_value=7200),
            "min_kwh": st.integers(min_value=0, max_value=40),
            "max_power": st.integers(min_value=1, max_value=50),
        },
    )
    component = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["ENERGY", "TIME", "PARKING_TIME", "FLAT"]),
            "price": prices,
            "step_size": steps,
        },
        optional={"vat": st.sampled_from([0, 9, 21])},
    )
    element = st.fixed_dictionaries(
        {"price_components": st.lists(component, min_size=1, max_size=3)}, optional={"restrictions": restriction}
    )
    return {
        "id": "T",
        "currency": "EUR",
        "tax_included": draw(st.sampled_from(["NO", "YES", "N/A"])),
        "elements": draw(st.lists(element, min_size=1, max_size=4)),
    }


period_volumes = st.lists(
    st.fixed_dictionaries({}, optional={"ENERGY": volumes, "TIME": hours, "PARKING_TIME": hours}),
    min_size=1,
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(tariffs(), period_volumes)
def test_no_cost_is_negative(tariff: dict[str, Any], periods: list[dict[str, Decimal]]) -> None:
    breakdown = _price(tariff, periods)
    for money in breakdown.costs.values():
        assert money.before is None or money.before >= 0
        assert money.after is None or money.after >= 0


@settings(max_examples=200, deadline=None)
@given(prices, steps, st.lists(volumes, min_size=1, max_size=6), st.integers(min_value=0, max_value=5), volumes)
def test_energy_only_cost_is_monotone_in_energy(
    price: Decimal, step: int, energy: list[Decimal], index: int, more: Decimal
) -> None:
    tariff = {
        "id": "T",
        "currency": "EUR",
        "tax_included": "NO",
        "elements": [{"price_components": [{"type": "ENERGY", "price": price, "vat": 21, "step_size": step}]}],
    }
    bigger = list(energy)
    bigger[index % len(bigger)] += more
    low = _price(tariff, [{"ENERGY": kwh} for kwh in energy]).cost("total_cost")
    high = _price(tariff, [{"ENERGY": kwh} for kwh in bigger]).cost("total_cost")
    assert low.before is not None
    assert high.before is not None
    assert low.before <= high.before
    assert low.after is not None
    assert high.after is not None
    assert low.after <= high.after


@settings(max_examples=200, deadline=None)
@given(tariffs(), period_volumes, prices, prices)
def test_total_stays_within_min_and_max_price(
    tariff: dict[str, Any], periods: list[dict[str, Decimal]], low: Decimal, span: Decimal
) -> None:
    high = low + span
    bounded = {
        **tariff,
        "min_price": {"before_taxes": low, "after_taxes": low},
        "max_price": {"before_taxes": high, "after_taxes": high},
    }
    total = _price(bounded, periods).cost("total_cost")
    for amount in (total.before, total.after):
        assert amount is None or low <= amount <= high


@settings(max_examples=300, deadline=None)
@given(tariffs(), period_volumes)
def test_the_fast_path_for_tariffs_without_restrictions_prices_as_the_general_one(
    tariff: dict[str, Any], periods: list[dict[str, Decimal]]
) -> None:
    plain = {**tariff, "elements": [{"price_components": e["price_components"]} for e in tariff["elements"]]}
    cdr = _cdr(periods)
    fast = price_unrestricted(plain, cdr["charging_periods"])
    if any("TIME" not in dims for dims in periods) and any(
        component["type"] == "TIME" for element in plain["elements"] for component in element["price_components"]
    ):
        assert fast is None  # TIME from the periods' durations: left to the general path
        return
    start, end = parse_datetime(cdr["start_date_time"]), parse_datetime(cdr["end_date_time"])
    session = Session(start, end, periods_from_cdr(cdr["charging_periods"], start=start, end=end, parse=parse_datetime))
    general = price_session(plain, session)
    assert fast is not None
    assert fast.costs == general.costs
    assert fast.as_dict(lines=True) == general.as_dict(lines=True)
