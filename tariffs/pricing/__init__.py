"""Tariff pricing: the cost of a charging session under an OCPI Tariff (pure Python, ``Decimal`` only).

No Django here: ``price_session`` takes a canonical (2.3.0-shaped) Tariff document, the session's charging
periods and the Location's time zone and returns a ``Breakdown``; ``compare_costs`` sets it against the
figures a CPO put on its CDR. The rules and the choices made where OCPI is ambiguous are in
docs/modules/tariffs.md.
"""

from tariffs.pricing.cdr import Priced, named_tariff_ids, price_cdr
from tariffs.pricing.compare import Difference, compare_costs
from tariffs.pricing.engine import price_session
from tariffs.pricing.session import Period, Session, periods_from_cdr
from tariffs.pricing.types import Breakdown, Money, merge

__all__ = [
    "Breakdown",
    "Difference",
    "Money",
    "Priced",
    "Period",
    "Session",
    "compare_costs",
    "merge",
    "named_tariff_ids",
    "price_cdr",
    "periods_from_cdr",
    "price_session",
]
