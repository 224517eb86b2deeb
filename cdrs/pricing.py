"""The tariff check of every inbound CDR: price it (``tariffs.pricing``) and set the CPO's figures against
the computed ones (docs/modules/tariffs.md, "CDR check").

The tariff is the CDR's own ``tariffs`` where it embeds the one a period names (or, when no period names
one, the one it embeds); else the stored version valid at the CDR's start (``tariffs.selectors``). Local-time
restrictions are read in the stored Location's ``time_zone``. What the check reads is a set of look-ups that
the CDR POST runs with its others (one query). Findings are quality warnings: ``COST_MISMATCH`` carrying the
differences and the computed totals, ``TARIFF_UNKNOWN``, ``TARIFF_TIME_ZONE_UNKNOWN``; the whole breakdown
is kept in the CDR document as ``cost_breakdown`` (sent to eMSPs opted in to chargex-errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from cdrs.wire import BREAKDOWN_FIELD
from locations.selectors import location_time_zone_lookup
from ocpi_hub.api.datetimes import parse_datetime
from ocpi_hub.db import Found, Lookup, lookup_together
from sessions.quality import Report
from tariffs.pricing import Breakdown, Difference, compare_costs, named_tariff_ids, price_cdr
from tariffs.pricing.compare import cdr_money
from tariffs.pricing.restrictions import needs_time_zone
from tariffs.pricing.types import COST_FIELDS
from tariffs.selectors import tariff_version_lookup, version_document

Doc = dict[str, Any]


@dataclass
class PriceCheck:
    breakdown: Breakdown
    differences: list[Difference] = field(default_factory=list)

    summary: Doc = field(default_factory=dict)  # breakdown.as_dict(lines=False), built once

    def document(self) -> Doc:
        """The breakdown as stored with the CDR (and sent as the ``cost_breakdown`` extension field)."""
        summary = self.summary or self.breakdown.as_dict(lines=False)
        return {**summary, "differences": [_difference(item) for item in self.differences]}

    @property
    def cost_difference(self) -> Decimal | None:
        """The CPO's total_cost before taxes less the computed one, when the check found any difference."""
        if not self.differences:
            return None
        total = next((item for item in self.differences if item.field == "total_cost.before_taxes"), None)
        return total.amount.quantize(Decimal("0.0001")) if total is not None else Decimal(0)


def pricing_enabled(enabled: bool | None = None) -> bool:
    """``enabled`` when given (a caller's own choice), else ``OCPI_HUB_PRICING``."""
    return bool(getattr(settings, "OCPI_HUB_PRICING", True)) if enabled is None else enabled


@dataclass(frozen=True)
class PricingLookups:
    """What the tariff check reads: the stored tariff versions by upper-cased id, the Location's zone."""

    tariffs: dict[str, Lookup] = field(default_factory=dict)
    time_zone: Lookup | None = None

    def all(self) -> list[Lookup | None]:
        return [*self.tariffs.values(), self.time_zone]


def pricing_lookups(
    *, country_code: str, party_id: str, doc: Doc, force: bool = False, enabled: bool | None = None
) -> PricingLookups:
    """The stored tariff versions the CDR's periods name and it does not embed, and its Location's zone
    (nothing with pricing off, unless ``force``; no zone when only embedded tariffs without local-time
    restrictions apply)."""
    if not (force or pricing_enabled(enabled)):
        return PricingLookups()
    embedded = {tariff["id"].upper() for tariff in doc.get("tariffs") or []}
    at = parse_datetime(doc["start_date_time"])
    tariffs = {
        key: tariff_version_lookup(country_code=country_code, party_id=party_id, tariff_id=key, at=at)
        for key in named_tariff_ids(doc)
        if key not in embedded
    }
    if not tariffs and not any(_local_time(tariff) for tariff in doc.get("tariffs") or []):
        return PricingLookups(tariffs)  # only embedded tariffs, none restricted in local time: no zone read
    location_id = doc["cdr_location"]["id"]
    zone = location_time_zone_lookup(country_code=country_code, party_id=party_id, location_id=location_id)
    return PricingLookups(tariffs, zone)


def cdr_price_check(
    report: Report,
    doc: Doc,
    found: Found,
    lookups: PricingLookups,
    *,
    force: bool = False,
    enabled: bool | None = None,
) -> PriceCheck | None:
    """Price the CDR, add the findings to ``report`` (None: no tariff found, or pricing is off and not
    ``force``)."""
    if not (force or pricing_enabled(enabled)):
        return None
    tariffs = {tariff["id"].upper(): tariff for tariff in doc.get("tariffs") or []}
    for key in named_tariff_ids(doc):
        stored = version_document(found.row(lookups.tariffs.get(key)))
        if key not in tariffs and stored is not None:
            tariffs[key] = stored
    zone = _zone(found.row(lookups.time_zone))
    priced = price_cdr(doc, tariffs, time_zone=zone, parse=_canonical_time)
    for key in priced.missing:
        report.add("TARIFF_UNKNOWN", "charging_periods.tariff_id", f"tariff {key} is neither in the CDR nor stored")
    breakdown = priced.breakdown
    if breakdown is None:
        if not priced.missing:
            report.add("TARIFF_UNKNOWN", "tariffs", _no_tariff_message(doc))
        return None
    if any("time zone is unknown" in note for note in breakdown.notes):
        report.add(
            "TARIFF_TIME_ZONE_UNKNOWN",
            "cdr_location.id",
            f"location {doc['cdr_location']['id']} has no stored time_zone: local-time restrictions not evaluated",
        )
    differences = compare_costs(breakdown, doc, tolerance())
    summary = breakdown.as_dict(lines=False)
    if differences:
        name = differences[0].field.split(".")[0]
        report.add("COST_MISMATCH", name, _mismatch_message(differences), mismatch_detail(summary, differences))
    return PriceCheck(breakdown, differences, summary)


def cdr_reprice(doc: Doc, *, country_code: str, party_id: str) -> tuple[PriceCheck | None, Report]:
    """Price a stored CDR again with what is stored now (``manage.py ocpi_price_cdr``): its check and the
    pricing findings. The hub's own ``cost_breakdown`` is left out of the document first."""
    doc = {name: value for name, value in doc.items() if name != BREAKDOWN_FIELD}
    lookups = pricing_lookups(country_code=country_code, party_id=party_id, doc=doc, force=True)
    report = Report()
    return cdr_price_check(report, doc, lookup_together(lookups.all()), lookups, force=True), report


def cost_rows(doc: Doc) -> list[dict[str, Any]]:
    """Per cost field: the CPO's figures and the computed ones (from the stored ``cost_breakdown``), for the
    admin page; [] when the CDR was not priced."""
    breakdown = doc.get(BREAKDOWN_FIELD)
    if not breakdown:
        return []
    rows = []
    for name in COST_FIELDS:
        given = cdr_money(doc.get(name))
        computed = breakdown.get(name) or {}
        rows.append(
            {
                "field": name,
                "given_before": None if given is None else given.before,
                "given_after": None if given is None else given.after,
                "computed_before": computed.get("before_taxes"),
                "computed_after": computed.get("after_taxes"),
            }
        )
    return rows


def tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "OCPI_HUB_COST_TOLERANCE", 0.01)))


def mismatch_detail(full: Doc, differences: list[Difference]) -> Doc:
    """What a COST_MISMATCH warning carries (``full``: the breakdown's ``as_dict``): the differences and the
    computed cost fields."""
    return {
        "differences": [_difference(item) for item in differences],
        "computed": {name: value for name, value in full.items() if name.startswith("total_")},
        "notes": full["notes"],
    }


def _difference(item: Difference) -> Doc:
    return {
        "field": item.field,
        "given": float(item.given),
        "computed": float(item.computed.quantize(Decimal("0.0001"))),
    }


def _mismatch_message(differences: list[Difference]) -> str:
    return "differs from the tariff: " + "; ".join(str(item) for item in differences)


def _no_tariff_message(doc: Doc) -> str:
    embedded = len(doc.get("tariffs") or [])
    if embedded > 1:
        return f"{embedded} tariffs embedded and no charging period names one: the cost cannot be checked"
    return "no tariff embedded and no charging period names a tariff_id: the cost cannot be checked"


def _canonical_time(text: str) -> datetime:
    """A DateTime of a canonical document (always ``...Z``, as the hub emits them): the fast C parser, the
    full one for anything else."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return parse_datetime(text)
    return moment if moment.tzinfo is not None else parse_datetime(text)


def _zone(row: tuple[Any, ...] | None) -> ZoneInfo | None:
    if row is None or not row[0]:
        return None
    try:
        return ZoneInfo(str(row[0]))
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_time(tariff: Doc) -> bool:
    return any(needs_time_zone(element.get("restrictions")) for element in tariff.get("elements") or [])
