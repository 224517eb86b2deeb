"""C. An eMSP pages through 100,000 published Locations (4 EVSEs x 2 connectors each) in pages of the maximum
size (OCPI_HUB_PAGE_LIMIT): the last page within 1.5x the time of the first.

The Locations are seeded straight into the locations app's table: one row is created through the model (with
the canonical document the hub's own parser makes of the benchmark Location), then copied server-side with
generate_series, each copy with its own id and last_updated (in the document too). Then VACUUM ANALYZE, as
autovacuum would have done on a production table of that age.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import connection

from bench.harness import Context
from bench.payloads import location, ocpi_time
from bench.scenarios.base import Scenario
from bench.scenarios.paging import paging_scenario

SEED_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def copy_rows(model: Any, template_pk: int, count: int, overrides: dict[str, str]) -> None:
    """INSERT ``count`` copies of row ``template_pk`` (g = 2 .. count+1), columns in ``overrides`` computed
    by SQL expressions over ``g`` and the template row ``t``; every other column copied as is."""
    table = model._meta.db_table
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        copied = f"t.{connection.ops.quote_name(field.column)}"
        values.append(overrides.get(field.name) or overrides.get(field.column) or copied)
    pk = connection.ops.quote_name(model._meta.pk.column)
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {table} t, generate_series(2, %s) g WHERE t.{pk} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count + 1, template_pk])


def vacuum_analyze(model: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


class LocationPaging(Scenario):
    key = "location_paging"
    title = "C. eMSP GET of all Locations, pages of OCPI_HUB_PAGE_LIMIT: last page vs first page"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("C", "Locations paging: last page < 1.5x first page")]

    def _path(self, ctx: Context) -> str:
        return f"/ocpi/{ctx.version}/sender/locations"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx), "GET")

    def seed(self, ctx: Context, count: int) -> None:
        from locations.models import Evse, EvseStatusChange, Location
        from locations.wire import parse_location

        cpo = ctx.parties["cpo"]
        with connection.cursor() as cursor:  # start from an empty table: exactly ``count`` Locations
            tables = [m._meta.db_table for m in (EvseStatusChange, Evse, Location)]
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        first_id = "C-0000001"
        document = parse_location(
            ctx.version, location(cpo.country_code, cpo.party_id, first_id, last_updated=ocpi_time(SEED_EPOCH))
        )
        template = Location.objects.create(
            owner=cpo.platform,
            country_code=cpo.country_code,
            party_id=cpo.party_id,
            location_id=first_id,
            location_key=first_id,
            publish=True,
            last_updated=SEED_EPOCH,
            document=document,
        )
        new_id = "'C-' || lpad(g::text, 7, '0')"
        stamp = f"(TIMESTAMPTZ '{SEED_EPOCH.isoformat()}' + g * INTERVAL '1 second')"
        stamp_text = f"to_char({stamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        copy_rows(
            Location,
            template.pk,
            count - 1,
            {
                "location_id": new_id,
                "location_key": new_id,
                "last_updated": stamp,
                "document": f"jsonb_set(jsonb_set(t.document, '{{id}}', to_jsonb({new_id})), "
                f"'{{last_updated}}', to_jsonb({stamp_text}))",
            },
        )
        vacuum_analyze(Location)
        assert Location.objects.count() == count, "seeding went wrong"

    def run(self, ctx: Context) -> None:
        import time

        count = ctx.sizes.locations
        started = time.perf_counter()
        self.seed(ctx, count)
        ctx.say(f"  seeded {count} Locations in {time.perf_counter() - started:.1f} s")

        def queryset() -> Any:
            from locations.selectors import location_list_published

            return location_list_published().order_by("last_updated", "pk")

        paging_scenario(
            ctx,
            key=self.key,
            target_key="C",
            title="Locations paging: last page < 1.5x first page",
            list_path=self._path(ctx),
            party=ctx.parties["emsp"],
            expected=count,
            id_of=lambda item: (item["country_code"], item["party_id"], item["id"]),
            queryset=queryset,
        )
