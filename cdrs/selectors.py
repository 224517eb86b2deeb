"""Reads of stored CDRs: by owner, by receiver, unlinked ones, and the per-CPO quality summary and per-day
trend (of CDRs, and of Sessions: both carry the same warning columns)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import TruncDate

from cdrs.models import Cdr, LinkMethod
from cdrs.rows import cdr_key_lookup  # noqa: F401 - look-ups other apps run with theirs (SQL in rows)
from ocpi_hub.exceptions import NotFound
from parties.models import Platform
from parties.tenancy import require_own_party
from sessions.quality import WARNING_CODES


def cdr_get(*, country_code: str, party_id: str, cdr_id: str) -> Cdr | None:
    return Cdr.objects.filter(
        country_code=country_code.upper(), party_id=party_id.upper(), cdr_key=cdr_id.upper()
    ).first()


def cdr_get_owned(*, platform: Platform, country_code: str, party_id: str, cdr_id: str) -> Cdr:
    """A CDR of one of the caller's CPO roles (2001 for another owner, HTTP 404 when unknown)."""
    country_code, party_id = require_own_party(platform, country_code, party_id, roles=("CPO",))
    cdr = cdr_get(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
    if cdr is None:
        raise NotFound(f"Unknown CDR {country_code}/{party_id}/{cdr_id}")
    return cdr


def cdr_list_for_receiver(*, platform: Platform) -> QuerySet[Cdr]:
    """Only the CDRs routed to this platform (never another eMSP's)."""
    return Cdr.objects.filter(receiver=platform, no_agreement=False)


def cdr_list_unlinked() -> QuerySet[Cdr]:
    return Cdr.objects.filter(link_method=LinkMethod.NONE)


def cdr_warning_summary(*, country_code: str | None = None, party_id: str | None = None) -> list[dict[str, Any]]:
    """Per CPO (country_code/party_id): the number of CDRs, of CDRs carrying each warning code, and of CDRs
    whose cost differs from their tariff (``cost_mismatches``) with the sum of those differences
    (``cost_difference``: total_cost before taxes billed less computed, in each CDR's currency)."""
    return warning_summary(Cdr, country_code=country_code, party_id=party_id)


def _received(
    model: type[Model], *, start: datetime | None, end: datetime | None, country_code: str | None, party_id: str | None
) -> QuerySet[Any]:
    queryset = model._default_manager.all()
    if country_code and party_id:
        queryset = queryset.filter(country_code=country_code.upper(), party_id=party_id.upper())
    if start is not None:
        queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lt=end)
    return queryset


def warning_summary(
    model: type[Model],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    country_code: str | None = None,
    party_id: str | None = None,
) -> list[dict[str, Any]]:
    """Per CPO, for Sessions or CDRs received in [start, end): how many, how many with warnings (and the
    share in percent), and how many carry each warning code."""
    queryset = _received(model, start=start, end=end, country_code=country_code, party_id=party_id)
    counts = {code: Count("pk", filter=Q(warning_codes__contains=f"|{code}|")) for code in WARNING_CODES}
    rows = (
        queryset.values("country_code", "party_id")
        .annotate(
            cdr_total=Count("pk"),
            with_warnings=Count("pk", filter=~Q(warning_codes="")),
            **_cost_counts(model),
            **counts,
        )
        .order_by("country_code", "party_id")
    )
    return [_summary_row(dict(row)) for row in rows]


def _cost_counts(model: type[Model]) -> dict[str, Any]:
    """CDRs only: how many differ from their tariff, and the sum of the differences."""
    if model is not Cdr:
        return {}
    return {
        "cost_mismatches": Count("pk", filter=Q(cost_difference__isnull=False)),
        "cost_difference_sum": Sum("cost_difference"),
    }


def warning_trend(
    model: type[Model],
    *,
    start: date,
    end: date,
    country_code: str | None = None,
    party_id: str | None = None,
) -> list[dict[str, Any]]:
    """Per day from ``start`` to ``end`` (inclusive, UTC): Sessions or CDRs received, and the share with warnings."""
    first = datetime.combine(start, time.min, tzinfo=UTC)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    queryset = _received(model, start=first, end=after, country_code=country_code, party_id=party_id)
    grouped = queryset.annotate(day=TruncDate("created_at", tzinfo=UTC)).values("day")
    counted = grouped.annotate(total=Count("pk"), warned=Count("pk", filter=~Q(warning_codes=""))).order_by()
    per_day = {row["day"]: (row["total"], row["warned"]) for row in counted}
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    return [_trend_row(day, *per_day.get(day, (0, 0))) for day in days]


def _trend_row(day: date, total: int, warned: int) -> dict[str, Any]:
    return {"day": day, "total": total, "with_warnings": warned, "percent": _percent(warned, total)}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _summary_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "country_code": row["country_code"],
        "party_id": row["party_id"],
        "total": row["cdr_total"],
        "with_warnings": row["with_warnings"],
        "cost_mismatches": row.get("cost_mismatches"),
        "cost_difference": _four_places(row.get("cost_difference_sum")),
        "percent": _percent(row["with_warnings"], row["cdr_total"]),
        "warnings": {code: row[code] for code in WARNING_CODES},
    }


def _four_places(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.0001"))
