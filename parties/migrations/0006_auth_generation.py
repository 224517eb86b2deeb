"""The token cache's generation row and the triggers that change it (issue 19, item 2).

Every insert and delete of a platform, role, endpoint or platform link, and every update of a platform
column other than the volatile ones below, writes a new random value into ``parties_authgeneration`` in the
same transaction. A web process's token cache holds only while that value is the one it was filled under
(``parties.selectors.credential_for_token``). Triggers, not signals, so ``QuerySet.update()``, raw SQL and
the admin are covered alike. A random value, not a counter, so a rolled-back change followed by another one
can never bring back a value a cache was filled under.

The trigger on ``parties_platform`` names the columns it watches (``UPDATE OF``): a migration that adds a
column to Platform must re-create it (``platform_trigger_sql``); ``parties/tests/test_token_cache.py`` fails
when a column is not watched.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

# Written on hot paths and never read by an authenticated request's checks: not watched.
VOLATILE = ("last_seen_at", "last_alive_check_at", "unauthorized_count", "updated_at")
TABLES = ("parties_platform", "parties_platformrole", "parties_endpoint", "parties_platform_linked_platforms")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION parties_auth_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO parties_authgeneration (id, value) VALUES (1, (random() * 9.2e18)::bigint)
    ON CONFLICT (id) DO UPDATE SET value = excluded.value;
    RETURN NULL;
END $$
"""
# No conflict clause: an outer INSERT OR IGNORE (Django's m2m add) would override it inside the trigger.
_SQLITE_BODY = (
    "BEGIN UPDATE parties_authgeneration SET value = random() WHERE id = 1; "
    "INSERT INTO parties_authgeneration (id, value) SELECT 1, random() "
    "WHERE NOT EXISTS (SELECT 1 FROM parties_authgeneration WHERE id = 1); END"
)


def _columns(schema_editor: Any, table: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        return [col.name for col in schema_editor.connection.introspection.get_table_description(cursor, table)]


def _trigger(vendor: str, name: str, event: str, table: str) -> str:
    if vendor == "postgresql":
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
            "EXECUTE FUNCTION parties_auth_generation_bump()"
        )
    return f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {_SQLITE_BODY}"


def _drop(vendor: str, name: str, table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {name} ON {table}" if vendor == "postgresql" else f"DROP TRIGGER IF EXISTS {name}"


def platform_trigger_sql(schema_editor: Any) -> list[str]:
    """(Re-)create the update trigger of parties_platform for the table's current columns."""
    vendor = schema_editor.connection.vendor
    watched = [col for col in _columns(schema_editor, "parties_platform") if col not in VOLATILE]
    event = "UPDATE OF " + ", ".join(schema_editor.quote_name(col) for col in watched)
    name = "parties_platform_authgen_upd"
    return [_drop(vendor, name, "parties_platform"), _trigger(vendor, name, event, "parties_platform")]


def create_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = [_PG_FUNCTION] if vendor == "postgresql" else []
    for table in TABLES:
        for event in ("INSERT", "DELETE") + (("UPDATE",) if table != "parties_platform" else ()):
            statements.append(_trigger(vendor, f"{table}_authgen_{event[:3].lower()}", event, table))
    statements.extend(platform_trigger_sql(schema_editor))
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        for event in ("ins", "del", "upd"):
            schema_editor.execute(_drop(vendor, f"{table}_authgen_{event}", table))
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS parties_auth_generation_bump()")


class Migration(migrations.Migration):
    dependencies = [
        ("parties", "0005_agreement"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuthGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField(default=0)),
            ],
            options={"db_table": "parties_authgeneration"},
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
