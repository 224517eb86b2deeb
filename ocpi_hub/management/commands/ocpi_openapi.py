"""Write the OpenAPI document of every OCPI version to ``docs/openapi/ocpi-<version>.yaml``.

Each document is produced by drf-spectacular's own ``spectacular`` command (``--api-version <version>
--validate``), so the files are byte for byte what ``make openapi`` writes. By default a warning fails the
run (``--fail-on-warn``): a warning means a view is not fully described (see docs/api-guide.md,
"Describing a view"). ``--check`` writes nothing and fails when a committed file is out of date.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ocpi_hub.api.versions import SUPPORTED_VERSIONS


def document_path(version: str) -> Path:
    return Path(settings.BASE_DIR) / "docs" / "openapi" / f"ocpi-{version}.yaml"


class Command(BaseCommand):
    help = "Regenerate docs/openapi/ocpi-<version>.yaml for every OCPI version (validated)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Write nothing; fail when a committed document is stale."
        )
        parser.add_argument(
            "--allow-warnings", action="store_true", help="Write the documents even when generation warns."
        )

    def handle(self, *args: Any, check: bool = False, allow_warnings: bool = False, **options: Any) -> None:
        stale = []
        for version in sorted(SUPPORTED_VERSIONS):
            target = document_path(version)
            with tempfile.TemporaryDirectory() as scratch:
                generated = Path(scratch) / target.name
                call_command(
                    "spectacular",
                    api_version=version,
                    file=str(generated),
                    validate=True,
                    fail_on_warn=not allow_warnings,
                )
                content = generated.read_bytes()
            if target.exists() and target.read_bytes() == content:
                self.stdout.write(f"{target.relative_to(settings.BASE_DIR)}: up to date")
                continue
            if check:
                stale.append(str(target.relative_to(settings.BASE_DIR)))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            self.stdout.write(f"{target.relative_to(settings.BASE_DIR)}: written")
        if stale:
            raise CommandError(f"out of date: {', '.join(stale)}; run `make openapi` or `manage.py ocpi_openapi`")
