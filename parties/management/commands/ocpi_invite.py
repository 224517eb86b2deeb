"""Invite a party: create a PLANNED platform and print its registration token A and our versions URL."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ocpi_hub.api import versions
from parties.services.credentials import platform_invite


class Command(BaseCommand):
    help = "Create an invitation for a party: prints token A and the hub's versions URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="Name of the platform, e.g. 'Acme Charging'.")
        parser.add_argument("--json", action="store_true", help="Print the invitation as JSON.")
        parser.add_argument("--raw-tokens", action="store_true", help="The party uses raw (non-Base64) tokens.")

    def handle(self, *args: Any, **options: Any) -> None:
        platform, token = platform_invite(name=options["name"], token_base64=not options["raw_tokens"])
        versions_url = versions.versions_url()
        invitation = {"platform_id": platform.pk, "name": platform.name, "token_a": token, "versions_url": versions_url}
        if versions.is_loopback_url(versions_url):
            self.stderr.write(
                f"Warning: the versions URL {versions_url} is a loopback address: a party on another "
                "machine cannot reach it. Set OCPI_HUB_BASE_URL to the hub's public URL."
            )
        if options["json"]:
            self.stdout.write(json.dumps(invitation))
            return
        self.stdout.write(f"Invitation for {platform.name} (platform #{platform.pk})")
        self.stdout.write(f"  versions URL: {invitation['versions_url']}")
        self.stdout.write(f"  token A:      {token}")
        self.stdout.write("Give both to the party over a secure channel; token A is shown only once.")
