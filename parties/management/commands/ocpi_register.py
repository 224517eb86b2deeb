"""The hub registers with a party, given the party's versions URL and the token A it issued to us."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi_hub.exceptions import OcpiError
from parties.services.credentials import hub_register


class Command(BaseCommand):
    help = "Run the credentials handshake from the hub's side with a party's versions URL and token A."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--versions-url", required=True)
        parser.add_argument("--token", required=True, help="Token A issued by the party.")
        parser.add_argument("--name", default="", help="Name for the platform (default: the URL).")
        parser.add_argument("--raw-tokens", action="store_true", help="The party expects raw (non-Base64) tokens.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            platform = hub_register(
                versions_url=options["versions_url"],
                token_a=options["token"],
                name=options["name"],
                token_base64=not options["raw_tokens"],
            )
        except OcpiError as exc:
            raise CommandError(f"Registration failed (OCPI {exc.ocpi_status}): {exc.message}") from exc
        roles = [f"{r.country_code}/{r.party_id} {r.role}" for r in platform.roles.all()]
        if options["json"]:
            self.stdout.write(json.dumps({"platform_id": platform.pk, "version": platform.version, "roles": roles}))
            return
        self.stdout.write(f"Registered with {platform.name} (platform #{platform.pk}), OCPI {platform.version}")
        self.stdout.write(f"  roles: {', '.join(roles)}")
