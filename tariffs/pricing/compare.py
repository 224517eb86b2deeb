"""The CPO's cost figures on a CDR against the computed ones."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tariffs.pricing.session import decimal
from tariffs.pricing.types import COST_FIELDS, Breakdown, Money

Doc = dict[str, Any]


@dataclass(frozen=True)
class Difference:
    field: str  # e.g. "total_cost.before_taxes"
    given: Decimal
    computed: Decimal

    @property
    def amount(self) -> Decimal:
        return self.given - self.computed

    def __str__(self) -> str:
        return f"{self.field} {self.given} given, {self.computed.quantize(Decimal('0.0001'))} computed"


def cdr_money(price: Doc | None) -> Money | None:
    """A canonical (2.3.0) Price as Money; after taxes only when the CPO listed taxes."""
    if price is None:
        return None
    before = decimal(price["before_taxes"])
    taxes = price.get("taxes") or []
    after = before + sum((decimal(tax["amount"]) for tax in taxes), Decimal(0)) if taxes else None
    return Money(before, after)


def _signed(money: Money, sign: Decimal) -> Money:
    if sign > 0:
        return money
    return Money(None if money.before is None else -money.before, None if money.after is None else -money.after)


def compare_costs(breakdown: Breakdown, cdr: Doc, tolerance: Decimal) -> list[Difference]:
    """Every cost field the CDR gives (before taxes, and after taxes where both sides know it) that differs
        from the computed one by more than ``tolerance``. An unpriceable breakdown differs from nothing. A credit
    CDR (``credit: true``) carries the negated costs of the CDR it corrects, so it is compared with them."""
    if not breakdown.priceable:
        return []
    sign = Decimal(-1) if cdr.get("credit") else Decimal(1)  # a credit CDR bills the negated amounts
    differences = []
    for name in COST_FIELDS:
        given = cdr_money(cdr.get(name))
        if given is None:
            continue
        computed = _signed(breakdown.cost(name), sign)
        for part, mine, theirs in (
            ("before_taxes", computed.before, given.before),
            ("after_taxes", computed.after, given.after),
        ):
            if mine is not None and theirs is not None and abs(theirs - mine) > tolerance:
                differences.append(Difference(f"{name}.{part}", theirs, mine))
    return differences
