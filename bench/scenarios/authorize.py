"""E3. Real-time authorization: what the hub adds to the eMSP's own answer time, on loopback.

The eMSP is a real OcpiParty (registered through the handshake) answering ``POST tokens/{uid}/authorize``
with an AuthorizationInfo (ALLOWED). The same request is made alternately (1) straight to the eMSP, with the
token the hub uses, and (2) through the hub as the CPO (``POST /ocpi/{v}/sender/tokens/{uid}/authorize``,
OCPI-to-* naming the eMSP), one at a time, each on its own keep-alive connection. The target is
p95(through the hub) - p95(direct) < 20 ms; the medians' difference is reported too.
"""

from __future__ import annotations

import time
from typing import Any

from bench.client import Connection, build_request, latency_summary, percentile
from bench.harness import Context, Target
from bench.parties import handshake, started, suspend
from bench.payloads import location_references, now_text, token
from bench.procs import Measure
from bench.scenarios.base import Scenario
from ocpi_party.party import OcpiParty, Recorded, auth_header, envelope

UID = "BENCHAUTH0000001"


class Authorize(Scenario):
    key = "authorize"
    title = "E3. Real-time authorize through the hub vs the eMSP's own answer time"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("E3", "Authorize overhead p95 (hub - direct) < 20 ms")]

    def _path(self, ctx: Context, uid: str) -> str:
        return f"/ocpi/{ctx.version}/sender/tokens/{uid}/authorize"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx, UID), "POST")

    def run(self, ctx: Context) -> None:
        emsp = started(OcpiParty(roles=[{"role": "EMSP", "country_code": "NL", "party_id": "AUT"}]))
        answered = token(("NL", "AUT"), UID, now_text())

        def authorize(rec: Recorded) -> tuple[int, dict[str, Any]]:
            info = {"allowed": "ALLOWED", "token": answered, "authorization_reference": "BENCHREF0001"}
            if isinstance(rec.body, dict):
                info["location"] = rec.body
            return 200, envelope(1000, info)

        emsp.on("POST", r"/authorize$", authorize)
        registered = None
        try:
            registered = handshake(emsp, ctx.versions_url, "bench-emsp-authorize")
            result = self._measure(ctx, emsp)
        finally:
            emsp.stop()
            if registered is not None:
                suspend([registered])
        ctx.record(self.key, result)
        overhead = result["overhead_p95_ms"]
        target = Target(
            key="E3",
            title="Authorize overhead p95 (hub - direct) < 20 ms",
            figure=overhead,
            unit="ms (p95 added)",
            baseline=result["direct"]["p95_ms"],
            limit=20.0,
            comparison="<",
            compared="figure",
            note=f"direct p95 {result['direct']['p95_ms']} ms, via hub p95 {result['via_hub']['p95_ms']} ms, "
            f"median added {result['overhead_p50_ms']} ms; baseline column = direct p95",
        )
        target.judge()
        if result["errors"]:
            target.passed = False
            target.note += f"; {result['errors']} failed requests"
        ctx.add_target(target)

    def _measure(self, ctx: Context, emsp: OcpiParty) -> dict[str, Any]:
        cpo = ctx.parties["cpo"]
        import json

        body = json.dumps(location_references("AUTH-LOC-1")).encode()
        sender = emsp.endpoint_url("tokens", "SENDER")
        direct_path = sender.split(str(emsp.port), 1)[1] + f"/{UID}/authorize?type=RFID"
        direct_raw = build_request(
            "POST",
            direct_path,
            host=f"127.0.0.1:{emsp.port}",
            headers={
                "Authorization": auth_header(emsp.token_b),
                "X-Request-ID": "bench",
                "X-Correlation-ID": "bench",
                "OCPI-from-country-code": cpo.country_code,
                "OCPI-from-party-id": cpo.party_id,
                "OCPI-to-country-code": "NL",
                "OCPI-to-party-id": "AUT",
            },
            body=body,
        )
        hub_raw = ctx.request("POST", self._path(ctx, UID) + "?type=RFID", cpo, body, to=("NL", "AUT"))
        direct_conn = Connection("127.0.0.1", emsp.port)
        hub_conn = Connection(ctx.host, ctx.port)
        direct: list[float] = []
        via_hub: list[float] = []
        errors: list[str] = []
        count = ctx.sizes.authorizations
        try:
            for _ in range(max(count // 10, 5)):  # warm-up: connections, the hub's session to the eMSP
                direct_conn.request(direct_raw)
                hub_conn.request(hub_raw)
            with ctx.sampler.sample(self.key, [ctx.gunicorn.pid]), Measure(ctx.meter) as measure:
                for _ in range(count):
                    for conn, raw, sink in ((direct_conn, direct_raw, direct), (hub_conn, hub_raw, via_hub)):
                        started = time.perf_counter()
                        answer = conn.request(raw)
                        elapsed = time.perf_counter() - started
                        if answer.ocpi_ok and b'"ALLOWED"' in answer.body:
                            sink.append(elapsed)
                        else:
                            errors.append(f"HTTP {answer.status}: {answer.body[:200]!r}")
        finally:
            direct_conn.close()
            hub_conn.close()
        p95_direct, p95_hub = percentile(direct, 95), percentile(via_hub, 95)
        p50_direct, p50_hub = percentile(direct, 50), percentile(via_hub, 50)
        result = {
            "requests_each": count,
            "direct": latency_summary(direct),
            "via_hub": latency_summary(via_hub),
            "overhead_p95_ms": round((p95_hub - p95_direct) * 1000, 3) if p95_hub and p95_direct else None,
            "overhead_p50_ms": round((p50_hub - p50_direct) * 1000, 3) if p50_hub and p50_direct else None,
            "errors": len(errors),
            "error_samples": errors[:3],
            "cpu": measure.cpu,
            "profile": ctx.profile(self.key),
        }
        ctx.say(
            f"  direct p50/p95 {result['direct']['p50_ms']}/{result['direct']['p95_ms']} ms, via hub "
            f"{result['via_hub']['p50_ms']}/{result['via_hub']['p95_ms']} ms; added p95 {result['overhead_p95_ms']} "
            f"ms, p50 {result['overhead_p50_ms']} ms; errors {len(errors)}"
        )
        return result
