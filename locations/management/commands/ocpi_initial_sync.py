"""Queue every current published Location and live Tariff for a newly connected receiver (eMSP, NSP, ...)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from locations.services import initial_sync
from parties.models import Platform

BAR_WIDTH = 40


class Command(BaseCommand):
    help = "Queue all published Locations and Tariffs for one connected platform (initial sync)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", type=int, required=True, help="Id of the platform to sync.")

    def handle(self, *args: Any, **options: Any) -> None:
        platform = Platform.objects.filter(pk=options["platform"]).first()
        if platform is None:
            raise CommandError(f"No platform with id {options['platform']}")
        if not platform.is_connected:
            raise CommandError(f"{platform} is {platform.status}, not CONNECTED")
        queued = initial_sync(platform, progress=self._progress)
        if queued:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Queued {queued} object(s) for {platform}."))

    def _progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stdout.write(f"\r[{bar}] {done}/{total}", ending="")
        self.stdout.flush()
