"""The tariff engine against every official tariff example, each priced for a hand-worked session.

The expected figures are worked out by hand from the OCPI rules (docs/modules/tariffs.md), the arithmetic in
the comment next to each. Sessions are on Monday 2025-03-03 in Europe/Amsterdam (UTC+1) unless said
otherwise; "10:00L" is local time. Amounts are compared at 4 decimals (OCPI number precision).
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ocpi_hub.api.datetimes import parse_datetime
from tariffs.pricing import Breakdown, price_cdr
from tariffs.wire import parse_tariff
from tests.ocpi_schema import example_path, requires_examples

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BOTH = ("2.2.1", "2.3.0")
Doc = dict[str, Any]


def example(version: str, name: str) -> Doc:
    path = example_path(version, name)
    assert path is not None, f"{version}/{name} missing"
    data = json.loads(path.read_text(encoding="utf-8"))
    return parse_tariff(version, data)


def cdr(periods: list[tuple[str, dict[str, float]]], end: str, *, tariff_id: str | None = None) -> Doc:
    """A CDR of the given (start UTC, {dimension: volume}) periods ending at ``end`` (UTC)."""
    return {
        "start_date_time": periods[0][0],
        "end_date_time": end,
        "currency": "EUR",
        "charging_periods": [
            {
                "start_date_time": start,
                "dimensions": [{"type": name, "volume": volume} for name, volume in dims.items()],
                **({"tariff_id": tariff_id} if tariff_id else {}),
            }
            for start, dims in periods
        ],
    }


def price(tariff: Doc, doc: Doc, zone: ZoneInfo | None = AMSTERDAM) -> Breakdown:
    priced = price_cdr(doc, {tariff["id"].upper(): tariff}, time_zone=zone, parse=parse_datetime)
    assert priced.breakdown is not None
    return priced.breakdown


def q(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.0001"), ROUND_HALF_UP))


def money(breakdown: Breakdown, name: str = "total_cost") -> tuple[str | None, str | None]:
    cost = breakdown.cost(name)
    return q(cost.before), q(cost.after)


pytestmark = requires_examples


@pytest.mark.parametrize("version", BOTH)
def test_simple_time_tariff_rounds_time_up_to_its_step(version: str) -> None:
    # tariff_1: TIME 2.00/h, vat 10 %, step 60 s. 1.505 h = 5418 s -> 91 minutes = 5460 s = 1.516667 h;
    # 1.516667 x 2.00 = 3.033333 excl.; x 1.10 = 3.336667 incl.
    breakdown = price(
        example(version, "tariff_1_simple_2hour.json"),
        cdr([("2025-03-03T09:00:00Z", {"TIME": 1.505})], "2025-03-03T10:31:00Z"),
    )
    assert money(breakdown) == ("3.0333", "3.3367")
    assert money(breakdown, "total_time_cost") == ("3.0333", "3.3367")


@pytest.mark.parametrize("version", BOTH)
def test_alt_text_tariff_with_five_minute_steps(version: str) -> None:
    # tariff_2: TIME 1.90/h, vat 5.2 %, step 300 s. 0.4 h = 1440 s -> 1500 s = 0.416667 h;
    # x 1.90 = 0.791667; x 1.052 = 0.832833.
    breakdown = price(
        example(version, "tariff_2_alt_text.json"),
        cdr([("2025-03-03T09:00:00Z", {"TIME": 0.4})], "2025-03-03T09:24:00Z"),
    )
    assert money(breakdown) == ("0.7917", "0.8328")


@pytest.mark.parametrize("version", BOTH)
def test_start_fee_and_energy_in_100_wh_steps(version: str) -> None:
    # tariff_3: FLAT 0.50 (vat 20) + ENERGY 0.25/kWh (vat 10, step 100 Wh). 10.03 kWh -> 10.1 kWh;
    # energy 10.1 x 0.25 = 2.525 excl., x 1.1 = 2.7775; fixed 0.50 / 0.60; total 3.025 / 3.3775.
    breakdown = price(
        example(version, "tariff_3_alt_url.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 10.03})], "2025-03-03T10:00:00Z"),
    )
    assert money(breakdown, "total_energy_cost") == ("2.5250", "2.7775")
    assert money(breakdown, "total_fixed_cost") == ("0.5000", "0.6000")
    assert money(breakdown) == ("3.0250", "3.3775")


@pytest.mark.parametrize("version", BOTH)
def test_complex_tariff_on_a_weekday(version: str) -> None:
    # tariff_4, Monday: FLAT 2.50 (vat 15). 10:00L 1 h at 16 A (< 32 A): TIME 1.00/h -> 1.00;
    # 11:00L 0.5 h at 40 A, weekday: TIME 2.00/h -> 1.00; 11:30L parking 0.25 h, weekday 09-18: 5.00/h -> 1.25.
    # Both TIME and PARKING_TIME priced: only parking is rounded (900 s on a 300 s step: exact).
    # excl. 2.50 + 1.00 + 1.00 + 1.25 = 5.75; incl. 2.875 + 1.20 + 1.20 + 1.375 = 6.65.
    doc = cdr(
        [
            ("2025-03-03T09:00:00Z", {"TIME": 1.0, "ENERGY": 10, "MAX_CURRENT": 16}),
            ("2025-03-03T10:00:00Z", {"TIME": 0.5, "ENERGY": 12, "MAX_CURRENT": 40}),
            ("2025-03-03T10:30:00Z", {"PARKING_TIME": 0.25}),
        ],
        "2025-03-03T10:45:00Z",
    )
    breakdown = price(example(version, "tariff_4_complex.json"), doc)
    assert money(breakdown, "total_time_cost") == ("2.0000", "2.4000")
    assert money(breakdown, "total_parking_cost") == ("1.2500", "1.3750")
    assert money(breakdown) == ("5.7500", "6.6500")
    assert breakdown.notes == []


@pytest.mark.parametrize("version", BOTH)
def test_complex_tariff_on_saturday_with_parking_across_the_restriction_end(version: str) -> None:
    # tariff_4, Saturday 2025-03-08: 15:00L 1 h at 40 A: weekend TIME 1.25/h -> 1.25 (step 600: exact);
    # 16:30L parking 1 h: Saturday 10-17 parking 6.00/h; the period runs to 17:30L, past 17:00 (no parking
    # element there): priced as given, 6.00, and noted. excl. 2.50 + 1.25 + 6.00 = 9.75.
    doc = cdr(
        [
            ("2025-03-08T14:00:00Z", {"TIME": 1.0, "ENERGY": 20, "MAX_CURRENT": 40}),
            ("2025-03-08T15:30:00Z", {"PARKING_TIME": 1.0}),
        ],
        "2025-03-08T16:30:00Z",
    )
    breakdown = price(example(version, "tariff_4_complex.json"), doc)
    assert money(breakdown, "total_time_cost")[0] == "1.2500"
    assert money(breakdown, "total_parking_cost")[0] == "6.0000"
    assert money(breakdown)[0] == "9.7500"
    assert any("charging_periods[1] spans a restriction boundary for PARKING_TIME" in note for note in breakdown.notes)


@pytest.mark.parametrize("version", BOTH)
def test_free_of_charge(version: str) -> None:
    # tariff_5: one FLAT 0.00 without vat: 0 before and after taxes.
    breakdown = price(
        example(version, "tariff_5_free_of_charge.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 30})], "2025-03-03T10:00:00Z"),
    )
    assert money(breakdown) == ("0.0000", "0.0000")


@pytest.mark.parametrize("version", BOTH)
def test_max_price_bounds_before_and_after_taxes_separately(version: str) -> None:
    # tariff_6: FLAT 0.50 (vat 20) + ENERGY 0.25 (vat 10), max 10.00 excl. / 11.00 incl. 50 kWh:
    # 0.50 + 12.50 = 13.00 -> 10.00; 0.60 + 13.75 = 14.35 -> 11.00. Itemised costs stay unbounded.
    breakdown = price(
        example(version, "tariff_6_025kwh_start_max_price.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 50})], "2025-03-03T11:00:00Z"),
    )
    assert money(breakdown) == ("10.0000", "11.0000")
    assert money(breakdown, "total_energy_cost") == ("12.5000", "13.7500")
    assert any("max_price" in note for note in breakdown.notes)


@pytest.mark.parametrize("version", BOTH)
def test_energy_only(version: str) -> None:
    # tariff_8: ENERGY 0.25 (vat 10), step 1 Wh. 12.34 kWh x 0.25 = 3.085; x 1.1 = 3.3935.
    breakdown = price(
        example(version, "tariff_8_simple_025kwh.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 12.34})], "2025-03-03T10:00:00Z"),
    )
    assert money(breakdown) == ("3.0850", "3.3935")


@pytest.mark.parametrize("version", BOTH)
def test_start_fee_and_energy(version: str) -> None:
    # tariff_9: 0.50 + 20 kWh x 0.25 = 5.50 excl.; 0.60 + 5.50 = 6.10 incl.
    breakdown = price(
        example(version, "tariff_9_025kwh_start.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 20})], "2025-03-03T10:00:00Z"),
    )
    assert money(breakdown) == ("5.5000", "6.1000")


@pytest.mark.parametrize("version", BOTH)
def test_parking_time_rounded_to_quarters(version: str) -> None:
    # tariff_10: FLAT 0.50 + ENERGY 0.25 + PARKING_TIME 2.00/h (vat 20, step 900 s). 20 kWh -> 5.00 / 5.50;
    # parking 0.3 h = 1080 s -> 1800 s = 0.5 h -> 1.00 / 1.20; total 6.50 / 7.30.
    doc = cdr(
        [("2025-03-03T09:00:00Z", {"ENERGY": 20, "TIME": 1.0}), ("2025-03-03T10:00:00Z", {"PARKING_TIME": 0.3})],
        "2025-03-03T10:18:00Z",
    )
    breakdown = price(example(version, "tariff_10_025kwh_parking_start.json"), doc)
    assert money(breakdown, "total_parking_cost") == ("1.0000", "1.2000")
    assert money(breakdown) == ("6.5000", "7.3000")


@pytest.mark.parametrize("version", BOTH)
def test_start_fee_and_time(version: str) -> None:
    # tariff_11: FLAT 0.40 (vat 25) + TIME 1.90 (vat 5.2, step 300). 1 h: 1.90 / 1.9988; fixed 0.40 / 0.50;
    # total 2.30 / 2.4988.
    breakdown = price(
        example(version, "tariff_11_not_possible_alt_text.json"),
        cdr([("2025-03-03T09:00:00Z", {"TIME": 1.0})], "2025-03-03T10:00:00Z"),
    )
    assert money(breakdown) == ("2.3000", "2.4988")


@pytest.mark.parametrize("version", BOTH)
def test_min_price(version: str) -> None:
    # tariff_12: ENERGY 0.25 (vat 10), min 0.50 / 0.55. 1.2 kWh -> 0.30 / 0.33 -> bounded to 0.50 / 0.55.
    breakdown = price(
        example(version, "tariff_12_025kwh_min_price.json"),
        cdr([("2025-03-03T09:00:00Z", {"ENERGY": 1.2})], "2025-03-03T09:10:00Z"),
    )
    assert money(breakdown) == ("0.5000", "0.5500")
    assert money(breakdown, "total_energy_cost") == ("0.3000", "0.3300")


@pytest.mark.parametrize("version", BOTH)
def test_time_and_parking_only_parking_is_rounded(version: str) -> None:
    # tariff_13: TIME 3.00 (vat 10, step 60) + PARKING_TIME 5.00 (vat 20, step 300). TIME 1.01 h is not
    # rounded (parking takes the rounding): 3.03 / 3.333; parking 0.1 h = 360 s -> 600 s = 1/6 h: 0.833333 /
    # 1.00; total 3.863333 / 4.333.
    doc = cdr(
        [("2025-03-03T09:00:00Z", {"TIME": 1.01}), ("2025-03-03T10:00:36Z", {"PARKING_TIME": 0.1})],
        "2025-03-03T10:06:36Z",
    )
    breakdown = price(example(version, "tariff_13_simple_3hour_5parking.json"), doc)
    assert money(breakdown, "total_time_cost") == ("3.0300", "3.3330")
    assert money(breakdown, "total_parking_cost") == ("0.8333", "1.0000")
    assert money(breakdown) == ("3.8633", "4.3330")


@pytest.mark.parametrize("version", BOTH)
def test_step_size_tariff_time_of_day_with_parking(version: str) -> None:
    # tariff_14 (no vat: after taxes unknown). 16:10L TIME 0.8333 h, element 0 (00-17, 1.20): 0.99996;
    # 17:00L TIME 0.5 h, element 1 (17-20, 2.40): 1.20; 17:30L parking 1/6 h, element 1 parking 1.00 step 900:
    # 600 s -> 900 s = 0.25 h: 0.25. TIME not rounded (parking priced). 0.99996 + 1.20 + 0.25 = 2.44996.
    doc = cdr(
        [
            ("2025-03-03T15:10:00Z", {"TIME": 0.8333}),
            ("2025-03-03T16:00:00Z", {"TIME": 0.5}),
            ("2025-03-03T16:30:00Z", {"PARKING_TIME": 0.166667}),
        ],
        "2025-03-03T16:40:00Z",
    )
    breakdown = price(example(version, "tariff_14_step_size.json"), doc)
    assert money(breakdown) == ("2.4500", None)
    assert money(breakdown, "total_parking_cost") == ("0.2500", None)


@pytest.mark.parametrize("version", BOTH)
def test_step_size_tariff_time_rounded_with_the_last_component_step(version: str) -> None:
    # tariff_14 without parking: TIME total 0.8333 + 0.5 = 1.3333 h = 4799.88 s; last TIME component used is
    # element 1's (step 900): 6 steps = 5400 s, 600.12 s = 0.1667 h more at 2.40 = 0.40008.
    # 0.99996 + 1.20 + 0.40008 = 2.60004.
    doc = cdr(
        [("2025-03-03T15:10:00Z", {"TIME": 0.8333}), ("2025-03-03T16:00:00Z", {"TIME": 0.5})], "2025-03-03T16:30:00Z"
    )
    breakdown = price(example(version, "tariff_14_step_size.json"), doc)
    assert money(breakdown) == ("2.6000", None)


@pytest.mark.parametrize("version", BOTH)
def test_step_size_tariff_across_midnight(version: str) -> None:
    # tariff_14: 23:30L Monday TIME 1 h, element 2 (20:00-00:00, 2.40): 2.40 -- the period runs to 00:30L
    # Tuesday, where element 0 applies: priced as given and noted; 00:30L TIME 0.5 h, element 0 (1.20): 0.60.
    # TIME total 1.5 h = 5400 s, last step 1800: exact. 2.40 + 0.60 = 3.00.
    doc = cdr(
        [("2025-03-03T22:30:00Z", {"TIME": 1.0}), ("2025-03-03T23:30:00Z", {"TIME": 0.5})], "2025-03-04T00:00:00Z"
    )
    breakdown = price(example(version, "tariff_14_step_size.json"), doc)
    assert money(breakdown)[0] == "3.0000"
    assert any("charging_periods[0] spans a restriction boundary for TIME" in note for note in breakdown.notes)


@pytest.mark.parametrize("version", BOTH)
def test_local_time_restrictions_need_the_time_zone(version: str) -> None:
    doc = cdr([("2025-03-03T15:10:00Z", {"TIME": 1.0})], "2025-03-03T16:10:00Z")
    breakdown = price(example(version, "tariff_14_step_size.json"), doc, zone=None)
    assert not breakdown.priceable
    assert "time zone is unknown" in breakdown.notes[0]
    # A tariff without local-time restrictions is priced without a zone.
    assert price(example(version, "tariff_1_simple_2hour.json"), doc, zone=None).priceable


def test_time_of_day_across_the_dst_change() -> None:
    # Night (00:00-07:00L) TIME 1.00/h, else 2.00/h. On 2025-03-30 Amsterdam moves 02:00 CET -> 03:00 CEST.
    # 00:30Z = 01:30 CET: night, 1 h -> 1.00; 05:30Z = 07:30 CEST (06:30 had the clock not moved): day,
    # 1 h -> 2.00. Total 3.00.
    tariff = {
        "id": "DST",
        "currency": "EUR",
        "tax_included": "NO",
        "elements": [
            {
                "price_components": [{"type": "TIME", "price": 1.0, "step_size": 1}],
                "restrictions": {"start_time": "00:00", "end_time": "07:00"},
            },
            {"price_components": [{"type": "TIME", "price": 2.0, "step_size": 1}]},
        ],
    }
    doc = cdr(
        [
            ("2025-03-30T00:30:00Z", {"TIME": 1.0}),
            ("2025-03-30T01:30:00Z", {"PARKING_TIME": 4.0}),
            ("2025-03-30T05:30:00Z", {"TIME": 1.0}),
        ],
        "2025-03-30T06:30:00Z",
    )
    breakdown = price(tariff, doc)
    assert [str(line.price) for line in breakdown.lines] == ["1.0", "2.0"]
    assert money(breakdown)[0] == "3.0000"


def test_day_of_week_across_midnight_uses_the_local_day() -> None:
    # Sunday-only ENERGY 0.10, else 0.30. 2025-03-08T23:30Z = Sunday 00:30L (Saturday in UTC): 10 kWh at
    # 0.10 = 1.00; 2025-03-09T23:30Z = Monday 00:30L: 10 kWh at 0.30 = 3.00.
    tariff = {
        "id": "DOW",
        "currency": "EUR",
        "tax_included": "NO",
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": 0.1, "step_size": 1}],
                "restrictions": {"day_of_week": ["SUNDAY"]},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]},
        ],
    }
    sunday = price(tariff, cdr([("2025-03-08T23:30:00Z", {"ENERGY": 10})], "2025-03-09T00:30:00Z"))
    monday = price(tariff, cdr([("2025-03-09T23:30:00Z", {"ENERGY": 10})], "2025-03-10T00:30:00Z"))
    assert (money(sunday)[0], money(monday)[0]) == ("1.0000", "3.0000")


@pytest.mark.parametrize("version", BOTH)
def test_reservation_then_charging(version: str) -> None:
    # tariff_15: reservation TIME 5.00/h (vat 20, step 60); else FLAT 0.50 + ENERGY 0.25. Reserved 0.25 h:
    # 1.25 / 1.50 reservation; then 10 kWh: fixed 0.50 / 0.60, energy 2.50 / 2.75. Total 4.25 / 4.85.
    doc = cdr(
        [("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.25}), ("2025-03-03T09:15:00Z", {"ENERGY": 10, "TIME": 1})],
        "2025-03-03T10:15:00Z",
    )
    breakdown = price(example(version, "tariff_15_reservation_5_euro_per_hour.json"), doc)
    assert money(breakdown, "total_reservation_cost") == ("1.2500", "1.5000")
    assert money(breakdown, "total_fixed_cost") == ("0.5000", "0.6000")
    assert money(breakdown) == ("4.2500", "4.8500")


@pytest.mark.parametrize("version", BOTH)
def test_reservation_fee_and_time(version: str) -> None:
    # tariff_16: reservation FLAT 2.00 + TIME 5.00 (step 300). 0.2 h = 720 s -> 900 s = 0.25 h: 1.25;
    # reservation 3.25 / 3.90; charging 0.50 + 2.50 / 0.60 + 2.75. Total 6.25 / 7.25.
    doc = cdr(
        [("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.2}), ("2025-03-03T09:12:00Z", {"ENERGY": 10, "TIME": 1})],
        "2025-03-03T10:12:00Z",
    )
    breakdown = price(example(version, "tariff_16_reservation_2_euro_fee_5_euro_per_hour.json"), doc)
    assert money(breakdown, "total_reservation_cost") == ("3.2500", "3.9000")
    assert money(breakdown) == ("6.2500", "7.2500")


@pytest.mark.parametrize("version", BOTH)
def test_expired_reservation_fee(version: str) -> None:
    # tariff_17, reservation expired unused (0.5 h): FLAT 4.00 (RESERVATION_EXPIRES) + TIME 2.00/h
    # (RESERVATION, step 600) x 0.5 = 1.00: 5.00 / 6.00; no start fee.
    # Used reservation: no expiry fee; 1.00 / 1.20 + fixed 0.50 / 0.60 + 10 kWh 2.50 / 2.75 = 4.00 / 4.55.
    tariff = example(version, "tariff_17_reservation_with_expire_fee.json")
    expired = price(tariff, cdr([("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.5})], "2025-03-03T09:30:00Z"))
    assert money(expired) == ("5.0000", "6.0000")
    used = cdr(
        [("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.5}), ("2025-03-03T09:30:00Z", {"ENERGY": 10, "TIME": 1})],
        "2025-03-03T10:30:00Z",
    )
    assert money(price(tariff, used)) == ("4.0000", "4.5500")


@pytest.mark.parametrize("version", BOTH)
def test_expired_reservation_time_rate(version: str) -> None:
    # tariff_18: expired reservation TIME 6.00/h, used 3.00/h (step 600). 0.75 h = 2700 s -> 5 steps = 3000 s
    # = 0.833333 h: expired 5.00 / 6.00; used 2.50 / 3.00 + fixed 0.50 / 0.60 + 10 kWh 2.50 / 2.75 = 5.50 / 6.35.
    tariff = example(version, "tariff_18_reservation_with_expire_time.json")
    expired = price(tariff, cdr([("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.75})], "2025-03-03T09:45:00Z"))
    assert money(expired) == ("5.0000", "6.0000")
    used = cdr(
        [("2025-03-03T09:00:00Z", {"RESERVATION_TIME": 0.75}), ("2025-03-03T09:45:00Z", {"ENERGY": 10, "TIME": 1})],
        "2025-03-03T10:45:00Z",
    )
    assert money(price(tariff, used)) == ("5.5000", "6.3500")


def test_north_american_tax_exclusive() -> None:
    # tariff_19 (2.3.0, tax_included NO, no vat): TIME 2.00 CAD/h, step 1. 1.5 h -> 3.00 before taxes;
    # the taxes are not in the tariff: after taxes unknown.
    breakdown = price(
        example("2.3.0", "tariff_19_simple_north_american_exclusive.json"),
        cdr([("2025-03-03T15:00:00Z", {"TIME": 1.5})], "2025-03-03T16:30:00Z"),
        zone=ZoneInfo("America/Toronto"),
    )
    assert money(breakdown) == ("3.0000", None)


def test_north_american_tax_inclusive() -> None:
    # tariff_20 (2.3.0, tax_included YES, no vat): TIME 2.10 CAD/h incl. taxes. 1.5 h -> 3.15 after taxes;
    # before taxes unknown.
    breakdown = price(
        example("2.3.0", "tariff_20_simple_north_american_inclusive.json"),
        cdr([("2025-03-03T15:00:00Z", {"TIME": 1.5})], "2025-03-03T16:30:00Z"),
    )
    assert money(breakdown) == (None, "3.1500")


def test_tax_included_with_vat_takes_the_tax_out() -> None:
    # 2.3.0 tax_included YES, ENERGY 0.30 incl. 20 % vat: 10 kWh -> 3.00 after taxes, 3.00 / 1.2 = 2.50 before;
    # taxes 0.50 at 20 %.
    tariff = {
        "id": "INCL",
        "currency": "EUR",
        "tax_included": "YES",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.3, "vat": 20.0, "step_size": 1}]}],
    }
    breakdown = price(tariff, cdr([("2025-03-03T09:00:00Z", {"ENERGY": 10})], "2025-03-03T10:00:00Z"))
    assert money(breakdown) == ("2.5000", "3.0000")
    assert breakdown.as_dict()["taxes"] == [{"name": "VAT", "percentage": 20.0, "amount": 0.5}]


@pytest.mark.parametrize("version", BOTH)
def test_max_duration_restriction(version: str) -> None:
    # First 30 min free, then 0.25 until 60 min, then 0.40 (vat 20). 5 kWh in each half hour:
    # 0 + 1.25 + 2.00 = 3.25 excl.; x 1.2 = 3.90.
    doc = cdr(
        [
            ("2025-03-03T09:00:00Z", {"ENERGY": 5}),
            ("2025-03-03T09:30:00Z", {"ENERGY": 5}),
            ("2025-03-03T10:00:00Z", {"ENERGY": 5}),
        ],
        "2025-03-03T10:30:00Z",
    )
    breakdown = price(example(version, "tariffrestriction_example_max_duration.json"), doc)
    assert money(breakdown) == ("3.2500", "3.9000")


@pytest.mark.parametrize("version", BOTH)
def test_max_power_restriction(version: str) -> None:
    # 0.20 below 16 kW, 0.35 below 32 kW, else 0.50 (vat 20). 4 kWh at 11, 22 and 50 kW:
    # 0.80 + 1.40 + 2.00 = 4.20; x 1.2 = 5.04. Without power dimensions: 20 kWh in 1 h = 20 kW -> 0.35 x 20 = 7.00.
    tariff = example(version, "tariffrestriction_example_max_power.json")
    doc = cdr(
        [
            ("2025-03-03T09:00:00Z", {"ENERGY": 4, "MAX_POWER": 11}),
            ("2025-03-03T09:20:00Z", {"ENERGY": 4, "MAX_POWER": 22}),
            ("2025-03-03T09:40:00Z", {"ENERGY": 4, "MAX_POWER": 50}),
        ],
        "2025-03-03T10:00:00Z",
    )
    assert money(price(tariff, doc)) == ("4.2000", "5.0400")
    derived = cdr([("2025-03-03T09:00:00Z", {"ENERGY": 20, "TIME": 1.0})], "2025-03-03T10:00:00Z")
    assert money(price(tariff, derived))[0] == "7.0000"


@pytest.mark.parametrize("version", BOTH)
def test_put_example(version: str) -> None:
    # tariff_put_example (a partial Tariff: no last_updated): TIME 2.00 (vat 10, step 300). 0.1 h = 360 s ->
    # 600 s = 1/6 h: 0.333333 / 0.366667.
    path = example_path(version, "tariff_put_example.json")
    assert path is not None
    tariff = {**json.loads(path.read_text(encoding="utf-8")), "tax_included": "NO"}
    breakdown = price(tariff, cdr([("2025-03-03T09:00:00Z", {"TIME": 0.1})], "2025-03-03T09:06:00Z"))
    assert money(breakdown) == ("0.3333", "0.3667")


@pytest.mark.parametrize("version", BOTH)
def test_official_cdr_example_is_priced_as_its_total(version: str) -> None:
    # The official CDR example: tariff 12 (TIME 2.00, vat 10, step 300), 1.973 h = 7102.8 s -> 7200 s = 2 h:
    # 4.00 / 4.40 -- its total_cost.
    from cdrs.wire import parse_cdr

    path = example_path(version, "cdr_example.json")
    assert path is not None
    data = json.loads(path.read_text(encoding="utf-8"))
    doc = parse_cdr(version, data.get("data", data) if "status_code" in data else data)
    priced = price_cdr(doc, {t["id"].upper(): t for t in doc["tariffs"]}, time_zone=AMSTERDAM, parse=parse_datetime)
    assert priced.breakdown is not None
    assert money(priced.breakdown) == ("4.0000", "4.4000")


def test_a_credit_cdr_is_compared_with_the_negated_costs() -> None:
    # tariff_9 for 20 kWh: 5.50 / 6.10. The credit CDR correcting it bills -5.50 / -6.10: no difference; a
    # credit CDR billing +5.50 differs.
    from decimal import Decimal as D

    from tariffs.pricing import compare_costs

    tariff = example("2.3.0", "tariff_9_025kwh_start.json")
    doc = cdr([("2025-03-03T09:00:00Z", {"ENERGY": 20})], "2025-03-03T10:00:00Z")
    breakdown = price(tariff, doc)
    credit = {**doc, "credit": True, "total_cost": {"before_taxes": -5.5, "taxes": [{"name": "VAT", "amount": -0.6}]}}
    assert compare_costs(breakdown, credit, D("0.01")) == []
    wrong = {**credit, "total_cost": {"before_taxes": 5.5}}
    assert [item.field for item in compare_costs(breakdown, wrong, D("0.01"))] == ["total_cost.before_taxes"]


def test_booking_elements_never_price_a_session() -> None:
    # A 2.3.0 element with a booking restriction describes a Booking's cost: the session's 10 kWh are priced
    # by the next element, 0.30 -> 3.00.
    tariff = {
        "id": "BOOK",
        "currency": "EUR",
        "tax_included": "NO",
        "elements": [
            {
                "price_components": [{"type": "ENERGY", "price": 9.0, "step_size": 1}],
                "restrictions": {"booking": "BOOKING"},
            },
            {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]},
        ],
    }
    breakdown = price(tariff, cdr([("2025-03-03T09:00:00Z", {"ENERGY": 10})], "2025-03-03T10:00:00Z"))
    assert money(breakdown)[0] == "3.0000"


@pytest.mark.parametrize("version", BOTH)
def test_current_restrictions_without_a_current_are_noted(version: str) -> None:
    # tariff_4 with no current in the CDR: neither TIME element can hold (both restrict the current), so
    # the hour costs only the 2.50 start fee, and the note says why.
    doc = cdr([("2025-03-03T09:00:00Z", {"TIME": 1.0, "ENERGY": 10})], "2025-03-03T10:00:00Z")
    breakdown = price(example(version, "tariff_4_complex.json"), doc)
    assert money(breakdown)[0] == "2.5000"
    assert "the CDR does not give the current of every period: current restrictions fail there" in breakdown.notes
