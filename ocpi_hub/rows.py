"""Hand-written SQL of the project wiring (bench/admin_scale.py justifies it: an exact COUNT(*) of a table of
10^6 rows is what made the admin's lists slow)."""

from __future__ import annotations

from django.db import connection


def table_row_estimate(table: str) -> int:
    """PostgreSQL's estimate of the rows in ``table`` (kept by ANALYZE / autovacuum); 0 elsewhere or unknown."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [table])
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row and row[0] is not None else 0
