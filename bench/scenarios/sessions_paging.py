"""E2. An eMSP pages through 200,000 Sessions routed to it, in pages of OCPI_HUB_PAGE_LIMIT: the last page
within 1.5x the time of the first. Seeded like the Locations: one row through the sessions app's model (the
canonical document made by the hub's own parser), copied server-side, then VACUUM ANALYZE."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.db import connection

from bench.harness import Context
from bench.payloads import session
from bench.scenarios.base import Scenario
from bench.scenarios.location_paging import copy_rows, vacuum_analyze
from bench.scenarios.paging import paging_scenario

SEED_EPOCH = datetime(2025, 3, 1, tzinfo=UTC)


class SessionsPaging(Scenario):
    key = "sessions_paging"
    title = "E2. eMSP GET of 200,000 Sessions, pages of OCPI_HUB_PAGE_LIMIT: last page vs first page"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("E2", "Sessions paging: last page < 1.5x first page")]

    def _path(self, ctx: Context) -> str:
        return f"/ocpi/{ctx.version}/sender/sessions"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx), "GET")

    def seed(self, ctx: Context, count: int) -> None:
        from sessions.models import Session
        from sessions.wire import parse_session

        cpo, emsp = ctx.parties["cpo"], ctx.parties["emsp"]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Session._meta.db_table} CASCADE")
        first_id = "S-0000001"
        document = parse_session(
            ctx.version,
            session(
                cpo=cpo.key,
                emsp=emsp.key,
                session_id=first_id,
                location_id="S-LOC-1",
                token_uid="BENCHTOKEN00000001",
                start=SEED_EPOCH,
            ),
        )
        values = {
            "owner": cpo.platform,
            "country_code": cpo.country_code,
            "party_id": cpo.party_id,
            "session_id": first_id,
            "session_key": first_id,
            "receiver": emsp.platform,
            "receiver_country_code": emsp.country_code,
            "receiver_party_id": emsp.party_id,
            "status": document["status"],
            "start_date_time": SEED_EPOCH,
            "end_date_time": SEED_EPOCH,
            "token_uid_key": "BENCHTOKEN00000001",
            "location_key": "S-LOC-1",
            "evse_uid_key": "S-LOC-1-E1",
            "last_updated": SEED_EPOCH,
            "document": document,
        }
        fields = {f.name for f in Session._meta.concrete_fields}
        template = Session.objects.create(**{k: v for k, v in values.items() if k in fields})
        new_id = "'S-' || lpad(g::text, 7, '0')"
        stamp = f"(TIMESTAMPTZ '{SEED_EPOCH.isoformat()}' + g * INTERVAL '1 second')"
        stamp_text = f"to_char({stamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        copy_rows(
            Session,
            template.pk,
            count - 1,
            {
                "session_id": new_id,
                "session_key": new_id,
                "last_updated": stamp,
                "document": f"jsonb_set(jsonb_set(t.document, '{{id}}', to_jsonb({new_id})), "
                f"'{{last_updated}}', to_jsonb({stamp_text}))",
            },
        )
        vacuum_analyze(Session)
        assert Session.objects.filter(receiver=emsp.platform).count() == count, "seeding went wrong"

    def run(self, ctx: Context) -> None:
        count = ctx.sizes.sessions
        started = time.perf_counter()
        self.seed(ctx, count)
        ctx.say(f"  seeded {count} Sessions in {time.perf_counter() - started:.1f} s")
        emsp = ctx.parties["emsp"]

        def queryset() -> Any:
            from sessions.selectors import session_list_for_receiver

            return session_list_for_receiver(platform=emsp.platform).order_by("last_updated", "pk")

        paging_scenario(
            ctx,
            key=self.key,
            target_key="E2",
            title="Sessions paging: last page < 1.5x first page",
            list_path=self._path(ctx),
            party=emsp,
            expected=count,
            id_of=lambda item: (item["country_code"], item["party_id"], item["id"]),
            queryset=queryset,
        )
