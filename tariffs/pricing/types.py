"""What the engine returns: amounts before and after taxes, per cost field, with notes on how they came about."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
FOUR_PLACES = Decimal("0.0001")

# The CDR's cost fields, in the order they are reported.
COST_FIELDS = (
    "total_cost",
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
    "total_reservation_cost",
)


@dataclass(slots=True)
class Money:
    """An amount before and after taxes; None where it cannot be told (a price component without ``vat`` in
    a tariff that excludes taxes, or one that includes taxes without saying which)."""

    before: Decimal | None = ZERO
    after: Decimal | None = ZERO

    def __add__(self, other: Money) -> Money:
        return Money(_add(self.before, other.before), _add(self.after, other.after))

    def as_dict(self) -> dict[str, float | None]:
        return {"before_taxes": _number(self.before), "after_taxes": _number(self.after)}


def _add(left: Decimal | None, right: Decimal | None) -> Decimal | None:
    return None if left is None or right is None else left + right


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(FOUR_PLACES, ROUND_HALF_UP))


@dataclass(slots=True)
class Line:
    """One priced piece: a dimension's volume in one charging period under one price component (or the step
    size rounding, or a FLAT fee)."""

    period: int | None
    dimension: str
    element: int
    volume: Decimal
    price: Decimal
    cost: Money
    note: str = ""
    vat: Decimal | None = None  # the component's VAT rate

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "dimension": self.dimension,
            "element": self.element,
            "volume": float(self.volume.quantize(Decimal("0.000001"))),
            "price": float(self.price),
            "cost": self.cost.as_dict(),
            **({"note": self.note} if self.note else {}),
        }


@dataclass
class Breakdown:
    """The computed cost of a session: per CDR cost field, the taxes by rate, the priced lines, and notes
    (periods spanning a restriction boundary, limits applied, quantities the CDR did not give)."""

    currency: str
    costs: dict[str, Money] = field(default_factory=dict)
    taxes: dict[Decimal, Decimal] = field(default_factory=dict)
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tariffs: list[dict[str, Any]] = field(default_factory=list)
    priceable: bool = True  # False: a restriction could not be evaluated (no time zone); see notes

    def cost(self, name: str) -> Money:
        return self.costs.get(name, Money())

    def as_dict(self, *, lines: bool = True) -> dict[str, Any]:
        """As JSON; ``lines=False``: without the priced lines (what a CDR stores and sends)."""
        return {
            "currency": self.currency,
            "priceable": self.priceable,
            "tariffs": self.tariffs,
            **{name: self.cost(name).as_dict() for name in COST_FIELDS},
            "taxes": [
                {"name": "VAT", "percentage": float(rate), "amount": float(amount.quantize(FOUR_PLACES, ROUND_HALF_UP))}
                for rate, amount in sorted(self.taxes.items())
            ],
            **({"lines": [line.as_dict() for line in self.lines]} if lines else {}),
            "notes": list(self.notes),
        }


def merge(breakdowns: list[Breakdown], currency: str) -> Breakdown:
    """The breakdowns of the tariffs of one session, added up (each tariff bounded by its own limits)."""
    merged = Breakdown(currency=currency)
    for part in breakdowns:
        merged.priceable = merged.priceable and part.priceable
        merged.tariffs += part.tariffs
        merged.lines += part.lines
        merged.notes += part.notes
        for name, money in part.costs.items():
            merged.costs[name] = merged.cost(name) + money
        for rate, amount in part.taxes.items():
            merged.taxes[rate] = merged.taxes.get(rate, ZERO) + amount
    return merged
