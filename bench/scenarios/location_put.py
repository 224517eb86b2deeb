"""B. Location PUT throughput: 1 Location with 4 EVSEs of 2 connectors each, every PUT a real change.

Each client thread owns a pool of Locations (so two threads never PUT the same Location at the same time,
as with a CPO pushing its network) and cycles through it; every PUT carries a fresh last_updated and a new
EVSE status pattern, so the hub stores the document, updates the EVSE rows and records status changes.
No receiver is connected (fan-out cost is measured by the latency scenario).
"""

from __future__ import annotations

from bench.harness import Context
from bench.payloads import LocationTemplate
from bench.scenarios.base import Scenario, applied, paired_throughput, ratio_target

POOL_PER_THREAD = 50


class LocationPut(Scenario):
    key = "location_put"
    title = "B. Location PUT (4 EVSEs x 2 connectors) throughput vs baseline"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("B", "Location PUT req/s >= 0.5x baseline")]

    def _path(self, ctx: Context, location_id: str) -> str:
        cpo = ctx.parties["cpo"]
        return f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/{location_id}"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx, "X"), "PUT")

    def run(self, ctx: Context) -> None:
        cpo = ctx.parties["cpo"]
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        headers = ctx.headers(cpo)
        from bench.client import build_request

        def factory(thread: int, sequence: int) -> bytes:
            location_id = f"B{thread:02d}-{sequence % POOL_PER_THREAD:04d}"
            return build_request(
                "PUT",
                self._path(ctx, location_id),
                host=ctx.host_header,
                headers=headers,
                body=template.body(location_id, sequence),
            )

        summary, paired = paired_throughput(ctx, factory, key=self.key, check=applied, label="location PUT")
        summary["locations"] = ctx.sizes.threads * POOL_PER_THREAD
        summary["body_bytes"] = len(template.body("B00-0000", 0))
        ctx.record(self.key, {**summary, "paired_baseline": paired})
        ratio_target("B", "Location PUT req/s >= 0.5x baseline", summary, paired, ctx)
