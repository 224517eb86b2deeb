"""``manage.py ocpi_release_held [--cpo CC/PID] [--emsp CC/PID]``: forward the Sessions and CDRs held for want
of a roaming agreement (routing policy ``agreements``) whose CPO and eMSP now have an active one covering
``sessions``; the others stay held. The admin's *Forward the held ones* action does the same for a
selection."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from cdrs.models import Cdr
from cdrs.services import cdrs_release_held
from sessions.models import Session
from sessions.services import sessions_release_held


class Command(BaseCommand):
    help = "Forward held Sessions and CDRs whose roaming agreement now exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cpo", help="only those of this CPO (CC/PID)")
        parser.add_argument("--emsp", help="only those for this eMSP (CC/PID)")

    def handle(self, *args: Any, **options: Any) -> None:
        scope = {**_party(options["cpo"], "country_code", "party_id")}
        scope |= _party(options["emsp"], "receiver_country_code", "receiver_party_id")
        for name, records, release in (
            ("Sessions", Session.objects.all(), sessions_release_held),
            ("CDRs", Cdr.objects.all(), cdrs_release_held),
        ):
            released = release(_held(records, scope).iterator(chunk_size=500))
            self.stdout.write(f"{name}: {released.forwarded} forwarded, {released.still_held} still held")


def _held(records: QuerySet, scope: dict[str, str]) -> QuerySet:
    return records.filter(no_agreement=True, **scope).select_related("receiver").order_by("pk")


def _party(value: str | None, country_field: str, party_field: str) -> dict[str, str]:
    if not value:
        return {}
    country_code, _, party_id = value.upper().partition("/")
    if len(country_code) != 2 or not 1 <= len(party_id) <= 3:
        raise CommandError(f"{value!r}: expected CC/PID, e.g. NL/CPA")
    return {country_field: country_code, party_field: party_id}
