"""A. The baseline: ``POST /ocpi/bench/echo`` (ocpi_hub/api/bench.py) on the same server, same client."""

from __future__ import annotations

import json

from bench.harness import Context
from bench.scenarios.base import Scenario, throughput

ECHO_PATH = "/ocpi/bench/echo"


class Baseline(Scenario):
    key = "baseline"
    title = "A. Baseline: POST /ocpi/bench/echo (Token auth, routing headers, JSON parser, envelope)"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(ECHO_PATH, "POST")

    def run(self, ctx: Context) -> None:
        """Measured on its own first; the throughput scenarios measure it again, alternately with themselves
        (``paired_throughput``), and take their ratio against those paired slices."""
        cpo = ctx.parties["cpo"]
        body = json.dumps({"id": "bench", "last_updated": "2026-01-01T00:00:00Z", "value": 1}).encode()
        raw = ctx.request("POST", ECHO_PATH, cpo, body)
        ctx.baseline_factory = lambda thread, sequence: raw
        summary = throughput(ctx, ctx.baseline_factory, label="baseline")
        summary["body_bytes"] = len(body)
        ctx.baseline = summary
        ctx.record("baseline", summary)
