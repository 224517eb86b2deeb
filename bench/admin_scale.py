"""Admin at scale: every changelist of the admin against large generated tables, timed.

    .venv/bin/python -m bench.admin_scale                       # 10^6 EVSEs and deliveries, 10^5 of the rest
    .venv/bin/python -m bench.admin_scale --rows 100000 --other-rows 10000 --keep

Creates the PostgreSQL database ``ocpi_bench_admin`` (``--database-url``), migrates it and fills the tables
with generated rows in single INSERT ... SELECT generate_series statements (one per table; columns are
generated from the model's fields, so new columns need no change here). Then, in-process with Django's test
client as a superuser, it requests every registered changelist: the plain list, and for the large tables a
few variants (a filter, a search, a sort, a late page), ``--repeat`` times each, and prints the median and
the worst time and the SQL statements per page. Exits 1 when a page is slower than ``--target`` seconds
(2 s, issue 13) or answers anything but 200. Bounded: a fixed list of requests; the database is dropped at
the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ocpi_bench_admin"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ADMIN_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--rows", type=int, default=1_000_000, help="EVSE and Delivery rows (default 10^6)")
    parser.add_argument("--other-rows", type=int, default=100_000, help="rows of every other large table")
    parser.add_argument("--repeat", type=int, default=3, help="times each page is requested (default 3)")
    parser.add_argument("--target", type=float, default=2.0, help="slowest acceptable page, seconds")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the filled database")
    return parser.parse_args(argv)


def setup_django(database_url: str) -> None:
    import tempfile

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base",
            "DATABASE_URL": database_url,
            "OCPI_HUB_VAR_DIR": tempfile.mkdtemp(prefix="ocpi-bench-admin-"),
            "DJANGO_ALLOWED_HOSTS": "testserver",
        }
    )
    import django

    django.setup()


# ----------------------------------------------------------------------------------------------------------
# Data: one INSERT ... SELECT per table, column expressions derived from the model's fields
# ----------------------------------------------------------------------------------------------------------


def _text(field: Any, prefix: str) -> str:
    if field.choices:
        values = [str(value) for value, _ in field.choices]
        array = ",".join("'" + value.replace("'", "''") + "'" for value in values)
        return f"(ARRAY[{array}])[1 + i % {len(values)}]"
    length = field.max_length or 36
    if length < 4:
        return f"'{prefix[:length]}'"
    return f"left('{prefix[:1]}' || i::text, {length})"


OVERRIDES = {
    ("parties.PlatformRole", "party_id"): "left('P' || i::text, 3)",
    ("parties.PlatformRole", "role"): "'CPO'",
}


NUMBERS = {
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BigIntegerField",
    "FloatField",
    "DecimalField",
}


def _expression(field: Any, parents: dict[str, tuple[int, int]]) -> str | None:
    """SQL for column ``field`` of row ``i`` (None: leave it to its default / NULL)."""
    override = OVERRIDES.get((field.model._meta.label, field.name))
    if override:
        return override
    if field.primary_key:
        return None
    if field.is_relation:
        return _relation(field, parents)
    if field.name == "country_code":
        return "'NL'"
    if field.name == "party_id":
        return "'CPO'"
    return _plain(field)


def _relation(field: Any, parents: dict[str, tuple[int, int]]) -> str:
    label = field.related_model._meta.label
    if field.null and (field.related_model is field.model or label not in parents):
        return "NULL"
    low, count = parents[label]
    return f"{low} + i % {count}" if count else "NULL"


def _plain(field: Any) -> str | None:
    from django.db import models

    if isinstance(field, models.DateTimeField):
        optional = field.null and field.name.endswith(("_at", "until")) and not field.auto_now_add
        return "NULL" if optional else "now() - (i % 86400000) * interval '1 second'"
    if isinstance(field, models.DateField):
        return "current_date"
    if isinstance(field, models.BooleanField):
        return "(i % 2 = 0)"
    if field.get_internal_type() in NUMBERS:
        return "NULL" if field.null else "i % 10"
    if isinstance(field, models.JSONField):
        return "'[]'::jsonb" if "warning" in field.name or field.name.endswith("s") else "'{}'::jsonb"
    if isinstance(field, models.CharField | models.TextField):
        return "NULL" if field.blank and field.null else _text(field, field.name.upper())
    return "NULL" if field.null else None


def fill(model: Any, rows: int, parents: dict[str, tuple[int, int]]) -> float:
    from django.db import connection

    columns, values = [], []
    for field in model._meta.concrete_fields:
        expression = _expression(field, parents)
        if expression is not None:
            columns.append(connection.ops.quote_name(field.column))
            values.append(expression)
    table = connection.ops.quote_name(model._meta.db_table)
    series = f"generate_series(1, {int(rows)}) AS i"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {series}"
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT min(id), count(*) FROM {table}")
        low, count = cursor.fetchone()
    parents[model._meta.label] = (low or 0, count)
    return time.monotonic() - started


def fill_all(args: argparse.Namespace) -> dict[str, tuple[int, int]]:
    from django.apps import apps

    order = [
        ("parties.Platform", 20),
        ("parties.PlatformRole", 20),
        ("locations.Location", args.rows // 10),
        ("locations.Evse", args.rows),
        ("locations.EvseStatusChange", args.other_rows),
        ("tariffs.Tariff", args.other_rows),
        ("tokens.Token", args.other_rows),
        ("ocpi_sessions.Session", args.other_rows),
        ("cdrs.Cdr", args.other_rows),
        ("errors.ErrorRecord", args.other_rows),
        ("parties.Delivery", args.rows),
        ("parties.DeliveryAttempt", args.other_rows),
    ]
    parents: dict[str, tuple[int, int]] = {}
    for label, rows in order:
        model = apps.get_model(label)
        seconds = fill(model, rows, parents)
        print(f"  filled {label:<28} {rows:>9,} rows in {seconds:6.1f} s", flush=True)
    return parents


# ----------------------------------------------------------------------------------------------------------
# Timing the changelists
# ----------------------------------------------------------------------------------------------------------

VARIANTS = {
    "locations.Evse": ["?status__exact=CHARGING", "?q=L4242", "?q=U12345", "?o=3", "?p=LATE", "?status__exact=NOSUCH"],
    "locations.Location": ["?q=L4242", "?publish__exact=1", "?p=LATE", "?o=-5"],
    "parties.Delivery": ["?status__exact=dead", "?q=O424242", "?o=-11", "?p=LATE", "?module=locations"],
}


def pages() -> list[tuple[str, str]]:
    """Every registered changelist, and the variants of the large ones (a late page: half-way through)."""
    from django.contrib import admin
    from django.urls import reverse

    found = []
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        found.append((meta.label, url))
        late = str(max(model._default_manager.order_by().values("pk")[:100_000].count() // 200, 1))
        found.extend((meta.label, url + variant.replace("LATE", late)) for variant in VARIANTS.get(meta.label, []))
    return sorted(found)


def time_page(client: Any, url: str, repeat: int) -> tuple[list[float], int, int]:
    from django.db import connection, reset_queries

    durations, statements, status = [], 0, 0
    for _ in range(repeat):
        reset_queries()
        started = time.monotonic()
        response = client.get(url)
        durations.append(time.monotonic() - started)
        statements, status = len(connection.queries), response.status_code
    return durations, statements, status


def measure(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    settings.DEBUG = True  # count statements (connection.queries)
    logging.getLogger("axes").setLevel(logging.WARNING)
    connection.ensure_connection()
    with connection.cursor() as cursor:  # bounded: a page whose statement runs longer fails instead of hanging
        cursor.execute("SET statement_timeout = '60s'")
    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "bench@example.com", "x"
    )
    client = Client()
    client.force_login(user)
    failures = 0
    print(f"\n{'page':<64} {'median s':>9} {'worst s':>8} {'SQL':>4}  status")
    for _label, url in pages():
        try:
            durations, statements, status = time_page(client, url, args.repeat)
        except Exception as exc:  # noqa: BLE001 - the statement timeout: report and go on
            print(f"{url:<64} failed: {type(exc).__name__}: {str(exc)[:60]}")
            failures += 1
            continue
        worst = max(durations)
        slow = worst > args.target or status != 200
        failures += slow
        flag = "  <-- SLOW" if slow else ""
        print(f"{url:<64} {statistics.median(durations):9.3f} {worst:8.3f} {statements:4d}  {status}{flag}")
    return failures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from bench.procs import drop_database, recreate_database

    reuse = False
    if args.keep:
        import psycopg

        try:
            with psycopg.connect(args.database_url) as conn:
                reuse = conn.execute("SELECT count(*) FROM locations_evse").fetchone()[0] > 0
        except psycopg.Error:
            reuse = False
    if not reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        if not reuse:
            print(f"Filling (EVSEs and deliveries: {args.rows:,}; other large tables: {args.other_rows:,})")
            fill_all(args)
        failures = measure(args)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.database_url)
    print(f"\n{failures} page(s) slower than {args.target:g} s or not 200" if failures else "\nall pages fast")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
