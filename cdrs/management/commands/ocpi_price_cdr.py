"""``manage.py ocpi_price_cdr <cdr>``: price a stored CDR from its tariff and print the breakdown next to the
CPO's figures (``--json``: the breakdown document, as the ``cost_breakdown`` extension field carries it).

``<cdr>`` is the CDR's row id, its ``country_code/party_id/id``, or its OCPI id when only one CPO uses it.
The CDR is priced with what is stored now (the tariff versions, the Location's time zone)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cdrs.models import Cdr
from cdrs.pricing import PriceCheck, cdr_reprice
from cdrs.selectors import cdr_get
from tariffs.pricing.compare import cdr_money
from tariffs.pricing.types import COST_FIELDS


class Command(BaseCommand):
    help = "Price a stored CDR from its tariff and print the cost breakdown next to the CPO's figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("cdr", help="row id, country_code/party_id/id, or an OCPI CDR id")
        parser.add_argument("--json", action="store_true", help="print the breakdown as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        cdr = _find(options["cdr"])
        check, report = cdr_reprice(cdr.document, country_code=cdr.country_code, party_id=cdr.party_id)
        findings = [issue.as_dict() for issue in report.issues]
        if options["json"]:
            document = {**check.document(), "lines": check.breakdown.as_dict()["lines"]} if check is not None else None
            self.stdout.write(
                json.dumps({"cdr": cdr.object_key, "breakdown": document, "findings": findings}, indent=2)
            )
            return
        self.stdout.write(f"CDR {cdr.object_key} ({cdr.currency})")
        if check is not None:
            self._table(cdr, check)
        for finding in findings:
            self.stdout.write(f"{finding['code']} {finding['field']}: {finding['message']}")
        if check is not None and not findings:
            self.stdout.write("The CPO's costs match the tariff.")

    def _table(self, cdr: Cdr, check: PriceCheck) -> None:
        self.stdout.write(f"{'field':<24}{'CPO excl.':>12}{'computed':>12}{'CPO incl.':>12}{'computed':>12}")
        for name in COST_FIELDS:
            given, computed = cdr_money(cdr.document.get(name)), check.breakdown.cost(name)
            cells = [
                None if given is None else given.before,
                computed.before,
                None if given is None else given.after,
                computed.after,
            ]
            self.stdout.write(f"{name:<24}" + "".join(f"{_cell(value):>12}" for value in cells))
        for line in check.breakdown.lines:
            where = "steps" if line.period is None else f"period {line.period}"
            self.stdout.write(
                f"  {where}: {line.dimension} {line.volume.normalize():f} x {line.price} (element {line.element})"
                f" = {_cell(line.cost.before)}"
            )
        for note in check.breakdown.notes:
            self.stdout.write(f"  note: {note}")


def _cell(value: Any) -> str:
    return "-" if value is None else f"{float(value):.4f}"


def _find(text: str) -> Cdr:
    if text.isdigit():
        found = Cdr.objects.filter(pk=int(text)).first()
        if found is not None:
            return found
    if text.count("/") == 2:
        country_code, party_id, cdr_id = text.split("/")
        found = cdr_get(country_code=country_code, party_id=party_id, cdr_id=cdr_id)
        if found is not None:
            return found
    matches = list(Cdr.objects.filter(cdr_key=text.upper())[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandError(f"several CPOs have a CDR {text}: give country_code/party_id/{text}")
    raise CommandError(f"no CDR {text}")
