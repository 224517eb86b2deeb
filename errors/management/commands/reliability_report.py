"""Print the reliability figures of the admin dashboard as CSV on stdout.

    python manage.py reliability_report --period-start 2024-05-01 --period-end 2024-06-01 \
        [--cpo NL/CPO] [--location LOC1] [--at 2024-06-01T00:00:00Z] --figure top_evses|...|all

One figure: a CSV table with a header row. ``--figure all``: every figure, each as such a table whose
first column is ``figure`` (the figure's name), the tables separated by an empty line.
"""

from __future__ import annotations

import csv
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from errors.reports import FIGURE_NAMES, Figure, ReportFilter, build_figures, parse_bound, parse_cpo
from ocpi_hub.api.datetimes import DateTimeFormatError


class Command(BaseCommand):
    help = "Reliability figures (the admin dashboard's) as CSV on stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period-start", required=True, help="YYYY-MM-DD or a UTC DateTime (inclusive)")
        parser.add_argument("--period-end", required=True, help="YYYY-MM-DD or a UTC DateTime (exclusive)")
        parser.add_argument("--cpo", help="only this CPO, as COUNTRY/PARTY (e.g. NL/CPO)")
        parser.add_argument("--location", help="only this location id")
        parser.add_argument("--at", help="moment of the open_errors figure (default: now)")
        parser.add_argument("--top", type=int, default=10, help="rows of top_evses (default 10)")
        parser.add_argument("--figure", required=True, choices=[*FIGURE_NAMES, "all"])

    def handle(self, *args: Any, **options: Any) -> None:
        report = self._report_filter(options)
        names = FIGURE_NAMES if options["figure"] == "all" else (options["figure"],)
        figures = build_figures(report, names)
        writer = csv.writer(self.stdout, lineterminator="\n")
        for index, figure in enumerate(figures):
            if len(figures) == 1:
                write_table(writer, figure)
                continue
            if index:
                self.stdout.write("")
            write_table(writer, figure, with_name=True)

    def _report_filter(self, options: dict[str, Any]) -> ReportFilter:
        try:
            start, end = parse_bound(options["period_start"]), parse_bound(options["period_end"])
            at = parse_bound(options["at"]) if options.get("at") else timezone.now()
            cpo = parse_cpo(options.get("cpo"))
        except (DateTimeFormatError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if start >= end:
            raise CommandError("--period-start must be before --period-end")
        return ReportFilter(
            start=start, end=end, cpo=cpo, location_id=options.get("location"), at=at, top=options["top"]
        )


def write_table(writer: Any, figure: Figure, *, with_name: bool = False) -> None:
    prefix = [figure.name] if with_name else []
    writer.writerow([*(["figure"] if with_name else []), *figure.columns])
    for row in figure.rows:
        writer.writerow([*prefix, *("" if cell is None else cell for cell in row)])
