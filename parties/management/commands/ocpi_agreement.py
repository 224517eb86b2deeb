"""Roaming agreements for scripted onboarding: create (optionally active at once), list, activate, suspend, end."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi_hub.api.datetimes import DateTimeFormatError, format_datetime, parse_datetime
from ocpi_hub.exceptions import InvalidParameters
from parties.models import SCOPES, Agreement, AgreementStatus
from parties.services.agreements import (
    agreement_activate,
    agreement_create,
    agreement_end,
    agreement_suspend,
    agreements_import_csv,
)


def _time(value: str | None, what: str) -> Any:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except DateTimeFormatError as exc:
        raise CommandError(f"--{what}: {exc}") from None


def agreement_json(agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.pk,
        "cpo": agreement.cpo,
        "emsp": agreement.emsp,
        "status": agreement.status,
        "scopes": agreement.scope_list(),
        "valid_from": format_datetime(agreement.valid_from) if agreement.valid_from else None,
        "valid_until": format_datetime(agreement.valid_until) if agreement.valid_until else None,
        "note": agreement.note,
    }


class Command(BaseCommand):
    help = "Manage roaming agreements (CPO role <-> eMSP role): create, list, activate, suspend, end, import."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create an agreement (proposed unless --active).")
        create.add_argument("--cpo", required=True, help="The CPO role, e.g. NL/CPA.")
        create.add_argument("--emsp", required=True, help="The eMSP role, e.g. DE/EMY.")
        create.add_argument("--scopes", default="", help=f"Comma-separated, of {', '.join(SCOPES)} (default: all).")
        create.add_argument("--valid-from", help="OCPI DateTime from which it routes.")
        create.add_argument("--valid-until", help="OCPI DateTime until which it routes.")
        create.add_argument("--note", default="")
        create.add_argument("--active", action="store_true", help="Activate at once (back-fills both sides).")
        create.add_argument("--json", action="store_true", help="Print the agreement as JSON.")
        listing = actions.add_parser("list", help="List agreements.")
        listing.add_argument("--status", choices=AgreementStatus.values)
        listing.add_argument("--party", help="Only agreements naming this role (either side), e.g. NL/CPA.")
        listing.add_argument("--json", action="store_true", help="Print a JSON list.")
        for name, text in (("activate", "Activate"), ("suspend", "Suspend"), ("end", "End")):
            change = actions.add_parser(name, help=f"{text} agreements.")
            change.add_argument("ids", nargs="*", type=int, help="Agreement ids.")
            change.add_argument("--cpo", help="Or the pair: the CPO role ...")
            change.add_argument("--emsp", help="... and the eMSP role.")
        bulk = actions.add_parser("import", help="Create agreements from a CSV file (see docs/operations.md).")
        bulk.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except InvalidParameters as exc:
            raise CommandError(exc.message) from None

    def _create(self, options: dict[str, Any]) -> None:
        agreement = agreement_create(
            cpo=options["cpo"],
            emsp=options["emsp"],
            scopes=[scope for scope in options["scopes"].split(",") if scope.strip()],
            valid_from=_time(options["valid_from"], "valid-from"),
            valid_until=_time(options["valid_until"], "valid-until"),
            note=options["note"],
            activate=options["active"],
        )
        if options["json"]:
            self.stdout.write(json.dumps(agreement_json(agreement)))
        else:
            self.stdout.write(f"Agreement #{agreement.pk}: {agreement}")

    def _list(self, options: dict[str, Any]) -> None:
        agreements = Agreement.objects.all()
        if options["status"]:
            agreements = agreements.filter(status=options["status"])
        if options["party"]:
            cc, _, pid = options["party"].upper().partition("/")
            agreements = agreements.filter(cpo_country_code=cc, cpo_party_id=pid) | agreements.filter(
                emsp_country_code=cc, emsp_party_id=pid
            )
        rows = [agreement_json(agreement) for agreement in agreements]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        for row in rows:
            scopes = ",".join(row["scopes"]) if len(row["scopes"]) < len(SCOPES) else "all"
            self.stdout.write(f"#{row['id']}  CPO {row['cpo']}  eMSP {row['emsp']}  {row['status']}  {scopes}")

    def _chosen(self, options: dict[str, Any]) -> list[Agreement]:
        if options["ids"]:
            found = list(Agreement.objects.filter(pk__in=options["ids"]))
            missing = sorted(set(options["ids"]) - {agreement.pk for agreement in found})
            if missing:
                raise CommandError(f"Unknown agreement ids: {', '.join(map(str, missing))}")
            return found
        if not (options["cpo"] and options["emsp"]):
            raise CommandError("Name the agreements by id, or by --cpo and --emsp")
        cpo_cc, _, cpo_pid = options["cpo"].upper().partition("/")
        emsp_cc, _, emsp_pid = options["emsp"].upper().partition("/")
        found = list(
            Agreement.objects.filter(
                cpo_country_code=cpo_cc, cpo_party_id=cpo_pid, emsp_country_code=emsp_cc, emsp_party_id=emsp_pid
            ).exclude(status=AgreementStatus.ENDED)
        )
        if not found:
            raise CommandError(
                f"No agreement between CPO {options['cpo']} and eMSP {options['emsp']} that has not ended"
            )
        return found

    def _activate(self, options: dict[str, Any]) -> None:
        for agreement in self._chosen(options):
            queued = agreement_activate(agreement=agreement)
            self.stdout.write(f"Agreement #{agreement.pk}: {agreement.status}, {queued} deliveries back-filled")

    def _suspend(self, options: dict[str, Any]) -> None:
        for agreement in self._chosen(options):
            agreement_suspend(agreement=agreement)
            self.stdout.write(f"Agreement #{agreement.pk}: {agreement.status}")

    def _end(self, options: dict[str, Any]) -> None:
        for agreement in self._chosen(options):
            agreement_end(agreement=agreement)
            self.stdout.write(f"Agreement #{agreement.pk}: {agreement.status}")

    def _import(self, options: dict[str, Any]) -> None:
        try:
            with open(options["path"], encoding="utf-8") as source:
                result = agreements_import_csv(source.read())
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{options['path']}: {exc}") from None
        for error in result.errors:
            self.stderr.write(error)
        self.stdout.write(f"Imported {len(result.created)} agreements; {len(result.errors)} lines not imported")
        if result.errors:
            raise CommandError("Some lines were not imported")
