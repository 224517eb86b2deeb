"""D. Push latency: a CPO PUTs Locations, 20 eMSPs (real OcpiParty servers, registered through the real
credentials handshake) receive them through the delivery engine (outbox + real Celery worker + Redis).

Latency of one (PUT, eMSP) pair = the time the eMSP's server received the pushed Location minus the time the
CPO had the hub's 200/1000 answer to its PUT (both wall clock of this one process). Each PUT is a new
Location, so it fans out to every eMSP. Two phases:

- D, isolated: one PUT at a time, the next only when the previous reached all eMSPs: the fan-out latency
  itself, without a backlog;
- D2, sustained: PUTs paced at ``push_rate`` per second (2/s = 40 deliveries/s with 20 eMSPs) whatever the
  backlog: whether the delivery engine keeps up.

The outbox rows give the split of the time: queued -> attempt started (dispatch, Celery queue, claim) and the
HTTP call itself; CPU per delivery comes from /proc.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.client import Connection, build_request, latency_summary, percentile
from bench.harness import Context, Target
from bench.parties import handshake, started, suspend
from bench.payloads import LocationTemplate
from bench.procs import Measure
from bench.scenarios.base import Scenario, applied
from ocpi_party.party import OcpiParty


class PushLatency(Scenario):
    key = "push_latency"
    title = "D. CPO Location PUT accepted -> received by each of 20 eMSPs (Celery delivery)"
    needs_worker = True

    def target_titles(self) -> list[tuple[str, str]]:
        return [
            ("D", "Push latency p95, one PUT at a time, 20 eMSPs < 1 s"),
            ("D2", "Push latency p95 at a sustained PUT rate, 20 eMSPs < 1 s"),
        ]

    def _path(self, ctx: Context, location_id: str) -> str:
        cpo = ctx.parties["cpo"]
        return f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/{location_id}"

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx, "X"), "PUT")

    def run(self, ctx: Context) -> None:
        sizes = ctx.sizes
        ctx.start_worker()
        emsps = [
            started(OcpiParty(roles=[{"role": "EMSP", "country_code": "NL", "party_id": f"E{i:02d}"}]))
            for i in range(sizes.emsps)
        ]
        registered = []
        results: dict[str, Any] = {}
        try:
            registration_began = time.perf_counter()
            for index, party in enumerate(emsps):
                registered.append(handshake(party, ctx.versions_url, f"bench-emsp-{index:02d}"))
            left = ctx.wait_deliveries_drained(timeout=180)
            ctx.say(
                f"  {len(emsps)} eMSPs registered through the handshake in "
                f"{time.perf_counter() - registration_began:.1f} s "
                f"(hubclientinfo deliveries drained, {left} left)"
            )
            for party in emsps:
                party.clear_received()
            results["isolated"] = self._measure(ctx, emsps, phase="isolated", pushes=sizes.isolated_pushes)
            ctx.wait_deliveries_drained(timeout=120)
            results["sustained"] = self._measure(ctx, emsps, phase="sustained", pushes=sizes.pushes)
        finally:
            for party in emsps:
                party.stop()
            suspend(registered)
            ctx.stop_worker()
        ctx.record(self.key, results)
        isolated, sustained = results["isolated"], results["sustained"]
        self._target(
            ctx,
            "D",
            "Push latency p95, one PUT at a time, 20 eMSPs < 1 s",
            isolated,
            f"{len(emsps)} eMSPs, {isolated['pushes']} PUTs, each after the previous one reached all eMSPs",
        )
        self._target(
            ctx,
            "D2",
            "Push latency p95 at a sustained PUT rate, 20 eMSPs < 1 s",
            sustained,
            f"{len(emsps)} eMSPs, {sustained['pushes']} PUTs at {sizes.push_rate}/s "
            f"= {sizes.push_rate * len(emsps):g} deliveries/s offered, "
            f"{sustained['deliveries_per_s']} deliveries/s done",
        )

    @staticmethod
    def _target(ctx: Context, key: str, title: str, result: dict[str, Any], note: str) -> None:
        target = Target(
            key=key,
            title=title,
            figure=result["latency"]["p95_ms"],
            unit="ms (p95)",
            baseline=result["put_answer"]["p50_ms"],
            limit=1000.0,
            comparison="<",
            compared="figure",
            note=f"{note}; {result['missing']} receipts missing; p50 {result['latency']['p50_ms']} ms; "
            f"all eMSPs reached p95 {result['latency_all_emsps_per_put']['p95_ms']} ms; "
            f"baseline column = the PUT's own answer time p50 (ms)",
        )
        if target.figure is not None:
            target.ratio = round(target.figure / 1000.0, 3)
        target.judge()
        if result["missing"]:
            target.passed = False
        ctx.add_target(target)

    def _measure(self, ctx: Context, emsps: list[OcpiParty], *, phase: str, pushes: int) -> dict[str, Any]:
        """``isolated``: each PUT waits until the previous one reached every eMSP (pure fan-out latency);
        ``sustained``: PUTs paced at ``push_rate`` per second whatever the backlog."""
        sizes = ctx.sizes
        cpo = ctx.parties["cpo"]
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        headers = ctx.headers(cpo)
        connection = Connection(ctx.host, ctx.port)
        accepted: dict[str, float] = {}
        put_ms: list[float] = []
        problems: list[str] = []
        expected = len(emsps) * pushes
        prefix = f"D{phase[0].upper()}-"
        pids = [ctx.gunicorn.pid] + ([ctx.worker.pid] if ctx.worker else [])
        with ctx.sampler.sample(f"{self.key}-{phase}", pids), Measure(ctx.meter) as measure:
            begin = time.monotonic()
            for k in range(pushes):
                if phase == "sustained":
                    delay = begin + k / sizes.push_rate - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                location_id = f"{prefix}{k:05d}"
                raw = build_request(
                    "PUT",
                    self._path(ctx, location_id),
                    host=ctx.host_header,
                    headers=headers,
                    body=template.body(location_id, k),
                )
                sent = time.time()
                answer = connection.request(raw)
                accepted[location_id] = time.time()
                put_ms.append(accepted[location_id] - sent)
                problem = applied(answer)
                if problem:
                    problems.append(problem)
                if phase == "isolated":
                    self._wait(emsps, {location_id: 0.0}, len(emsps), timeout=15)
                    time.sleep(0.2)
            self._wait(emsps, accepted, expected, timeout=90)
            elapsed = time.monotonic() - begin
        connection.close()
        latencies, per_put_last = self._latencies(emsps, accepted)
        missing = expected - len(latencies)
        padded = latencies + [float("inf")] * missing
        p95 = percentile(padded, 95)
        summary = latency_summary(latencies)
        summary["p95_ms"] = None if p95 is None or p95 == float("inf") else round(p95 * 1000, 3)
        split = self._split(ctx, prefix)
        result = {
            "phase": phase,
            "emsps": len(emsps),
            "pushes": pushes,
            "push_rate_per_s": sizes.push_rate if phase == "sustained" else None,
            "expected_receipts": expected,
            "missing": missing,
            "put_answer": latency_summary(put_ms),
            "latency": summary,
            "latency_all_emsps_per_put": latency_summary(per_put_last),
            "put_problems": problems[:5],
            "delivery_split": split,
            "deliveries_per_s": round(len(latencies) / elapsed, 1) if elapsed else None,
            "cpu": measure.cpu,
            "cpu_ms_per_delivery": {
                name: round(seconds * 1000 / max(len(latencies), 1), 2)
                for name, seconds in measure.cpu["cpu_s"].items()
            },
            "profile": ctx.profile(f"{self.key}-{phase}"),
        }
        ctx.say(
            f"  {phase}: {pushes} PUTs x {len(emsps)} eMSPs: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, "
            f"max {summary['max_ms']} ms; missing {missing}; PUT answer p50 {result['put_answer']['p50_ms']} ms; "
            f"queued->attempt p50 {split['queued_to_attempt_ms']['p50_ms']} ms, HTTP p50 "
            f"{split['http_call_ms']['p50_ms']} ms; CPU ms/delivery {result['cpu_ms_per_delivery']}"
        )
        return result

    def _wait(self, emsps: list[OcpiParty], accepted: dict[str, float], expected: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._received(emsps, accepted) < expected:
            time.sleep(0.02)

    @staticmethod
    def _received(emsps: list[OcpiParty], accepted: dict[str, float]) -> int:
        count = 0
        for party in emsps:
            seen = {rec.path.rsplit("/", 1)[-1] for rec in party.requests_to("locations", "PUT")}
            count += len(seen & accepted.keys())
        return count

    @staticmethod
    def _latencies(emsps: list[OcpiParty], accepted: dict[str, float]) -> tuple[list[float], list[float]]:
        latencies: list[float] = []
        last_per_put: dict[str, float] = {}
        for party in emsps:
            first: dict[str, float] = {}
            for rec in party.requests_to("locations", "PUT"):
                location_id = rec.path.rsplit("/", 1)[-1]
                if location_id in accepted and location_id not in first:
                    first[location_id] = rec.received_at
            for location_id, received in first.items():
                latency = received - accepted[location_id]
                latencies.append(latency)
                last_per_put[location_id] = max(last_per_put.get(location_id, latency), latency)
        return latencies, list(last_per_put.values())

    @staticmethod
    def _split(ctx: Context, prefix: str) -> dict[str, Any]:
        """From the outbox: queued -> first attempt started, and the attempt's HTTP duration."""
        from parties.models import DeliveryAttempt

        cpo = ctx.parties["cpo"]
        attempts = DeliveryAttempt.objects.filter(
            delivery__module="locations", delivery__object_key__startswith=f"{cpo.country_code}/{cpo.party_id}/{prefix}"
        ).values_list("started_at", "delivery__queued_at", "duration_ms", "outcome")
        waits = [(started - queued).total_seconds() for started, queued, _, _ in attempts]
        durations = [ms / 1000 for _, _, ms, _ in attempts]
        outcomes: dict[str, int] = {}
        for *_, outcome in attempts:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        return {
            "attempts": len(waits),
            "outcomes": outcomes,
            "queued_to_attempt_ms": latency_summary(waits),
            "http_call_ms": latency_summary(durations),
            "http_call_median_ms": round(statistics.median(durations) * 1000, 1) if durations else None,
        }
