"""Plain SQL for the ingest hot paths (docs/performance.md): statements that change different tables and do
not read each other's results run as one statement on PostgreSQL, one after the other elsewhere.

On PostgreSQL, ``execute_together`` wraps the statements as data-modifying CTEs of a single statement: one
round trip, one prepared plan, instead of one of each per statement. All CTEs see the database as it was
before the statement, so the statements must not depend on each other's changes; a statement's RETURNING
rows come back as they would from running it alone.

``json_rows`` passes a list of rows as one JSON parameter that the SQL reads as a table: the statement text
and its number of parameters stay the same whatever the number of rows, so psycopg keeps its parsed form and
PostgreSQL its prepared plan.

Statements of different apps are composed by handle, never by pasting one app's SQL into another's: a
statement that should run only if another one of the same call applied names it (``only_if``); the app that
owns its SQL marks the place of that condition with ``ONLY_IF``, and this module writes the condition.

Look-ups of several apps run as one query (``lookup_together``); each app keeps the ``Lookup`` objects it
made (its handles) and reads its own rows from the result (``Found.row``), never by another app's key.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, migrations, models, transaction

Rows = list[tuple[Any, ...]]
T = TypeVar("T")


# Where a statement's WHERE clause takes the condition of ``Statement.only_if`` (an SQL comment otherwise).
ONLY_IF = "/*only_if*/"


@dataclass(frozen=True)
class Statement:
    sql: str
    params: Sequence[Any]
    returning: bool = False  # the SQL ends with a RETURNING clause whose rows the caller wants
    name: str = ""  # its name as a CTE of ``execute_together`` (the others may read its RETURNING rows)
    # Run only if the statement of this ``name``, earlier in the same ``execute_together`` call, returned a
    # row (it applied); the SQL must contain ``ONLY_IF`` where its WHERE clause can take one more condition.
    only_if: str = ""

    def __post_init__(self) -> None:
        if self.only_if and ONLY_IF not in self.sql:
            raise ValueError(f"only_if={self.only_if!r} on a statement without the ONLY_IF marker")


def execute_together(statements: Iterable[Statement | None]) -> list[Rows]:
    """Run the statements in the current transaction; the RETURNING rows of each, in the order given (an
    empty list for the others, and for None entries, which are skipped)."""
    given = list(statements)
    todo = [(index, statement) for index, statement in enumerate(given) if statement is not None]
    results: list[Rows] = [[] for _ in given]
    if connection.vendor != "postgresql" or len(todo) < 2:
        applied: dict[str, bool] = {}
        for index, statement in todo:
            if statement.only_if and not applied.get(statement.only_if, False):
                continue  # the statement it depends on did not apply (or was not given)
            results[index] = _run(statement)
            if statement.name:
                applied[statement.name] = bool(results[index])
        return results
    for (index, _), rows in zip(todo, _run_as_one([statement for _, statement in todo]), strict=True):
        results[index] = rows
    return results


def execute_atomically(statements: Iterable[Statement | None]) -> list[Rows]:
    """``execute_together``, all or nothing: on PostgreSQL the statements are one statement, atomic by itself
    (no BEGIN and COMMIT round trips); elsewhere, and inside a transaction (a savepoint, so that the caller
    can go on after an IntegrityError), they run in ``transaction.atomic``."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return execute_together(statements)
    with transaction.atomic():
        return execute_together(statements)


def atomic_with_retry(work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction; once more if it hit a unique constraint (a concurrent push created the
    same object first: the second run finds it)."""
    try:
        with transaction.atomic():
            return work()
    except IntegrityError:
        with transaction.atomic():
            return work()


def _run(statement: Statement) -> Rows:
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, list(statement.params))
        return list(cursor.fetchall()) if statement.returning else []


def _run_as_one(statements: list[Statement]) -> list[Rows]:
    steps, params, outputs = [], [], []
    for index, statement in enumerate(statements):
        name = statement.name or f"step{index}"
        steps.append(f"{name} AS ({_conditioned(statement)})")
        params += list(statement.params)
        if statement.returning:
            outputs.append(f"SELECT {index}, row_to_json({name})::text FROM {name}")
    tail = " UNION ALL ".join(outputs) if outputs else "SELECT NULL, NULL WHERE false"
    results: list[Rows] = [[] for _ in statements]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(steps)} {tail}", params)
        for index, row in cursor.fetchall():
            results[index].append(tuple(json.loads(row).values()))
    return results


def _conditioned(statement: Statement) -> str:
    """The statement's SQL with its ``only_if`` condition written in: a data-modifying CTE runs whatever
    the others do, so the condition reads the other CTE's RETURNING rows."""
    if not statement.only_if:
        return statement.sql
    return statement.sql.replace(ONLY_IF, f"AND EXISTS (SELECT 1 FROM {statement.only_if})")


_PG_TYPES = {"text": "text", "timestamp": "timestamptz", "int": "int", "bigint": "bigint", "boolean": "boolean"}


def json_rows(alias: str, columns: dict[str, str]) -> str:
    """A FROM item reading one ``%s`` parameter, a JSON array of objects (``json_param``), as a table named
    ``alias`` with ``columns`` (name -> "text", "timestamp", "int", "bigint" or "boolean")."""
    if connection.vendor == "postgresql":
        types = ", ".join(f"{name} {_PG_TYPES[kind]}" for name, kind in columns.items())
        return f"jsonb_to_recordset(%s::jsonb) AS {alias}({types})"
    fields = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name in columns)
    return f"(SELECT {fields} FROM json_each(%s)) AS {alias}"


def json_param(rows: Iterable[dict[str, Any]]) -> str:
    """The parameter of a ``json_rows`` table; datetimes as the database stores them."""
    return json.dumps([{name: _json_value(value) for name, value in row.items()} for row in rows])


def _json_value(value: Any) -> Any:
    if not isinstance(value, datetime):
        return value
    if connection.vendor == "postgresql":
        return value.isoformat()
    return connection.ops.adapt_datetimefield_value(value)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: each Lookup is its maker's handle
class Lookup:
    """A SELECT returning at most one row of ``columns`` columns, the first never NULL (say LIMIT 1)."""

    sql: str
    params: Sequence[Any]
    columns: int = 1


class Found:
    """The rows of ``lookup_together``, read by the ``Lookup`` that asked for them."""

    def __init__(self, rows: dict[Lookup, tuple[Any, ...] | None]) -> None:
        self._rows = rows

    def row(self, lookup: Lookup | None) -> tuple[Any, ...] | None:
        """The row ``lookup`` found; None when it found nothing (or is None: it was not asked)."""
        if lookup is None:
            return None
        return self._rows[lookup]


def lookup_together(lookups: Iterable[Lookup | None]) -> Found:
    """Run the lookups as one query (each a derived table LEFT JOINed to a one-row base); read each one's row
    with ``Found.row``. None entries are skipped. Both databases run it."""
    given = [lookup for lookup in lookups if lookup is not None]
    if not given:
        return Found({})
    columns = ", ".join(f"l{index}.*" for index in range(len(given)))
    joins = " ".join(f"LEFT JOIN ({lookup.sql}) AS l{index} ON 1 = 1" for index, lookup in enumerate(given))
    params = [param for lookup in given for param in lookup.params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM (SELECT 1 AS one) AS base {joins}", params)
        row = cursor.fetchone()
    rows: dict[Lookup, tuple[Any, ...] | None] = {}
    start = 0
    for lookup in given:
        part = tuple(row[start : start + lookup.columns])
        rows[lookup] = part if part[0] is not None else None
        start += lookup.columns
    return Found(rows)


def insert_statement(instance: models.Model) -> Statement:
    """The INSERT ``instance.save()`` would send for a new row (auto_now_add and defaults applied), RETURNING
    its primary key; without the ORM's statement building (the hot paths run it with others)."""
    fields, sql = _insert_sql(type(instance), with_pk=instance.pk is not None)
    database = connections[DEFAULT_DB_ALIAS]  # not the ``connection`` proxy: each field asks it several things
    params = [field.get_db_prep_save(field.pre_save(instance, True), database) for field in fields]
    return Statement(sql, params, returning=True)


@functools.cache
def _insert_sql(model: type[models.Model], *, with_pk: bool) -> tuple[list[Any], str]:
    meta = model._meta
    fields = [field for field in meta.concrete_fields if with_pk or not field.primary_key]
    columns = ", ".join(_quoted(field.column) for field in fields)
    sql = (
        f"INSERT INTO {_quoted(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {_quoted(meta.pk.column if meta.pk else None)}"
    )
    return fields, sql


def _quoted(name: str | None) -> str:
    if not name:
        raise ValueError("a concrete field without a column")
    return connection.ops.quote_name(name)


def lz4_compression(table: str, column: str) -> migrations.RunPython:
    """A migration step: PostgreSQL compresses the column's large values with lz4 instead of pglz (faster to
    write and to read; the default ``pglz`` stays where the server was built without lz4, and on SQLite).
    Values already stored keep their compression until rewritten."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_LZ4.format(table=_quoted(table), column=_quoted(column), method="lz4"))

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(_LZ4.format(table=_quoted(table), column=_quoted(column), method="pglz"))

    return migrations.RunPython(forward, backward)


_LZ4 = """DO $$ BEGIN
    ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$"""
