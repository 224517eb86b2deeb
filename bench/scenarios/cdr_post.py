"""E1. CDR POST throughput: a CDR with 5 charging periods of 3 dimensions each (ENERGY, TIME, PARKING_TIME),
every POST a new CDR (new id), routed by its cdr_token to a connected eMSP; against the baseline.

The CDRs refer to an EVSE the CPO really published (one Location PUT first), so the quality check takes its
normal path. No Celery worker runs meanwhile: the outbox rows are written, the pushes wait.
"""

from __future__ import annotations

import json

from bench.client import OK_MARK, Answer, build_request
from bench.harness import Context
from bench.payloads import cdr, location, now_text
from bench.scenarios.base import Scenario, paired_throughput, ratio_target

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
        headers = ctx.headers(cpo)
        path = self._path(ctx)
        body_bytes = len(template)

        def factory(thread: int, sequence: int) -> bytes:
            body = template.replace("@ID@", f"BENCH-{thread:02d}-{sequence:08d}").encode()
            return build_request("POST", path, host=ctx.host_header, headers=headers, body=body)

        summary, paired = paired_throughput(ctx, factory, key=self.key, check=created, label="CDR POST")
        summary["body_bytes"] = body_bytes
        ctx.record(self.key, {**summary, "paired_baseline": paired})
        ratio_target("E1", "CDR POST req/s >= 0.5x baseline", summary, paired, ctx)
