"""Reads of stored CDRs: by owner, by receiver, unlinked ones, and the per-CPO quality summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from cdrs.models import Cdr, LinkMethod
from cdrs.quality import WARNING_CODES
from ocpi_hub.db import Lookup
from ocpi_hub.exceptions import NotFound
from parties.models import Platform
from parties.tenancy import require_own_party


def cdr_get(*, country_code: str, party_id: str, cdr_id: str) -> Cdr | None:
    return Cdr.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), cdr_key=cdr_id.upper()
    ).first()


def cdr_key_lookup(*, country_code: str, party_id: str, cdr_id: str) -> Lookup:
    """Whether a CDR of this id is stored, as a look-up (``ocpi_hub.db.lookup_together``): its row id."""
    sql = f"SELECT id FROM {Cdr._meta.db_table} WHERE country_code = %s AND party_id = %s AND cdr_key = %s LIMIT 1"
    return Lookup(sql, [country_code.upper(), party_id.upper(), cdr_id.upper()])


def cdr_get_owned(*, platform: Platform, country_code: str, party_id: str, cdr_id: str) -> Cdr:
    """A CDR of one of the caller's CPO roles (2001 for another owner, HTTP 404 when unknown)."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=("CPO",))
    cdr = cdr_get(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
    if cdr is None:
        raise NotFound(f"Unknown CDR {country_code}/{party_id}/{cdr_id}")
    return cdr


def cdr_list_for_receiver(*, platform: Platform) -> QuerySet[Cdr]:
    """Only the CDRs routed to this platform (never another eMSP's)."""
    return Cdr.objects.filter(receiver=platform)


def cdr_list_unlinked() -> QuerySet[Cdr]:
    return Cdr.objects.filter(link_method=LinkMethod.NONE)


def cdr_warning_summary(*, country_code: str | None = None, party_id: str | None = None) -> list[dict[str, Any]]:
    """Per CPO (country_code/party_id): the number of CDRs, of CDRs carrying each warning code, and of CDRs
    whose cost differs from their tariff (``cost_mismatches``) with the sum of those differences
    (``cost_difference``: total_cost before taxes billed less computed, in each CDR's currency)."""
    queryset = Cdr.objects.all()
    if country_code and party_id:
        queryset = queryset.filter(country_code=country_code.upper(), party_id=party_id.upper())
    counts = {code: Count("pk", filter=Q(warning_codes__contains=f"|{code}|")) for code in WARNING_CODES}
    rows = (
        queryset.values("country_code", "party_id")
        .annotate(
            cdr_total=Count("pk"),
            with_warnings=Count("pk", filter=~Q(warning_codes="")),
            cost_mismatches=Count("pk", filter=Q(cost_difference__isnull=False)),
            cost_difference_sum=Sum("cost_difference"),
            **counts,
        )
        .order_by("country_code", "party_id")
    )
    return [_summary_row(dict(row)) for row in rows]


def _summary_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "country_code": row["country_code"],
        "party_id": row["party_id"],
        "total": row["cdr_total"],
        "with_warnings": row["with_warnings"],
        "cost_mismatches": row["cost_mismatches"],
        "cost_difference": _four_places(row["cost_difference_sum"]),
        "warnings": {code: row[code] for code in WARNING_CODES},
    }


def _four_places(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))
