"""E1. CDR POST throughput: a CDR with 5 charging periods of 3 dimensions each (ENERGY, TIME, PARKING_TIME),
every POST a new CDR (new id), routed by its cdr_token to a connected eMSP; against the baseline.

The CDRs refer to an EVSE the CPO really published (one Location PUT first), so the quality check takes its
normal path. No Celery worker runs meanwhile: the outbox rows are written, the pushes wait.
"""

from __future__ import annotations

import json
from typing import Any

from bench.client import OK_MARK, Answer, build_request
from bench.harness import Context, Target
from bench.payloads import cdr, location, now_text
from bench.scenarios.base import (
    Scenario,
    alternating_throughput,
    cost_ratio,
    paired_throughput,
    ratio_target,
    server_cpu_ms,
)

LOCATION_ID = "CDR-LOC-1"


def created(answer: Answer) -> str | None:
    """HTTP 201 + OCPI 1000: a new CDR was stored (200 would be a duplicate, acknowledged only)."""
    if answer.status == 201 and OK_MARK in answer.body:
        return None
    return f"HTTP {answer.status}: {answer.body[:300]!r}"


class CdrPost(Scenario):
    key = "cdr_post"
    title = "E1. CDR POST (5 charging periods x 3 dimensions) throughput vs baseline"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("E1", "CDR POST req/s >= 0.5x baseline")]

    def _path(self, ctx: Context) -> str:
        return f"/ocpi/{ctx.version}/receiver/cdrs"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx), "POST")

    def run(self, ctx: Context) -> None:
        factory = self.factory(ctx)
        summary, paired = paired_throughput(ctx, factory, key=self.key, check=created, label="CDR POST")
        summary["body_bytes"] = self.body_bytes
        ctx.record(self.key, {**summary, "paired_baseline": paired})
        ratio_target("E1", "CDR POST req/s >= 0.5x baseline", summary, paired, ctx)

    def factory(self, ctx: Context, *, extra_headers: dict[str, str] | None = None) -> Any:
        """The request factory of E1's CDR (PUTs its Location first, once)."""
        cpo, emsp = ctx.parties["cpo"], ctx.parties["emsp"]
        put = ctx.call(
            "PUT",
            f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/{LOCATION_ID}",
            cpo,
            location(cpo.country_code, cpo.party_id, LOCATION_ID, last_updated=now_text()),
        )
        if not put.ocpi_ok:
            ctx.say(f"  (the CDRs' Location could not be PUT: HTTP {put.status} {put.body[:200]!r})")
        doc = cdr(cpo=cpo.key, emsp=emsp.key, cdr_id="@ID@", location_id=LOCATION_ID, token_uid="BENCHTOKEN00000001")
        doc["session_id"] = None  # no Session to link to: the linker falls back to token + EVSE + time
        doc = {key: value for key, value in doc.items() if value is not None}
        template = json.dumps(doc, separators=(",", ":"))
        headers = ctx.headers(cpo, extra=extra_headers)
        path = self._path(ctx)
        self.body_bytes = len(template)
        prefix = "BENCH" if extra_headers is None else "BENCHX"

        def factory(thread: int, sequence: int) -> bytes:
            body = template.replace("@ID@", f"{prefix}-{thread:02d}-{sequence:08d}").encode()
            return build_request("POST", path, host=ctx.host_header, headers=headers, body=body)

        return factory


class CdrPricing(CdrPost):
    """E1P (issue 18): E1's CDR POST with the tariff check and without it (``OCPI-Hub-Bench-Pricing: off``,
    honoured only by the bench server), alternating on one server in one run; the added hub CPU."""

    key = "cdr_pricing"
    title = "E1P. CDR POST with vs without tariff pricing: added hub CPU"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("E1P", "pricing adds < 10 % hub CPU to a CDR POST")]

    def run(self, ctx: Context) -> None:
        legs = {
            "pricing on": (self.factory(ctx), created),
            "pricing off": (self.factory(ctx, extra_headers={"OCPI-Hub-Bench-Pricing": "off"}), created),
        }
        summaries = alternating_throughput(ctx, legs, label="E1P")
        ratio = cost_ratio(summaries["pricing on"], summaries["pricing off"])
        ctx.record(self.key, {name.replace(" ", "_"): summary for name, summary in summaries.items()})
        target = Target(
            key="E1P",
            title="pricing adds < 10 % hub CPU to a CDR POST",
            figure=ratio,
            unit="x hub CPU",
            baseline=None,
            ratio=ratio,
            limit=1.10,
            comparison="<",
        )
        on, off = summaries["pricing on"], summaries["pricing off"]
        target.note = (
            f"hub CPU {server_cpu_ms(on)} ms/CDR with pricing, {server_cpu_ms(off)} without; req/s {on['rps']} vs "
            f"{off['rps']}; other load {on['cpu'].get('other_cores')} cores"
        )
        target.judge()
        ctx.add_target(target)
