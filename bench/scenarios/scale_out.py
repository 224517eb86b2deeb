"""SO. Scale-out (issue 19, item 5): one web process and one Celery worker process against two of each, on
one PostgreSQL and one Redis, in the same run.

- Delivery capacity: ``receivers`` connected eMSPs (one in-process server, ``bench.receivers``); the CPO PUTs
  ``locations`` new Locations through the web process(es) while no worker runs (a backlog of
  locations x receivers deliveries), then k worker processes start (k = 1, then 2; the first with the
  embedded beat) and drain it: the time from their being ready to the last delivery gives deliveries/s; their
  CPU (+ PostgreSQL, Redis) per delivery. (Until 2026-12-04 the PUTs ran while the workers did, and the
  figure was bounded by one connection's PUT rate.)
- Ingest: Location PUT (bench B's document, every PUT a change, each fanning out to the receivers' outbox
  rows) against a gunicorn of 1 worker and one of 2 workers (4 threads each, as runhub), alternating slices:
  req/s and hub CPU per PUT. No worker runs then; the outbox rows wait.

On the shared 2-core machine two processes of each kind cannot give 2x: the figures say how close they come
and what one more process costs, not what a bigger machine would do (docs/scaling.md does that arithmetic).
"""

from __future__ import annotations

import time
from typing import Any

from bench.client import Connection, build_request
from bench.harness import Context, Target
from bench.parties import orm_party
from bench.payloads import LocationTemplate
from bench.procs import Child, celery_worker, free_port, gunicorn, wait_http, wait_log
from bench.receivers import Receivers
from bench.scenarios.base import Scenario, alternating_throughput, applied

RECEIVERS = 20
POOL_PER_THREAD = 50


class ScaleOut(Scenario):
    key = "scale_out"
    title = "SO. 1 web + 1 worker vs 2 web + 2 workers: ingest req/s and deliveries/s (reported)"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("SO", "2+2 processes vs 1+1: ingest and delivery (reported)")]

    def run(self, ctx: Context) -> None:
        receivers = Receivers(record=False)
        for number in range(RECEIVERS):
            orm_party(
                f"so-emsp-{number}", role="EMSP", country_code="DE", party_id=f"S{number:02d}",
                endpoints=[("locations", "RECEIVER", f"{receivers.url_for(number)}/ocpi/2.2.1/locations")],
            )  # fmt: skip
        webs = {count: self._web(ctx, count) for count in (1, 2)}
        try:
            delivery = {count: self._deliveries(ctx, webs[count][1], count) for count in (1, 2)}
            ingest = self._ingest(ctx, webs)
        finally:
            for child, _ in webs.values():
                child.stop()
            for count in (1, 2):
                ctx.meter.set_group(f"web{count}", None)
        self._report(ctx, delivery, ingest)

    def _web(self, ctx: Context, workers: int) -> tuple[Child, int]:
        port = free_port()
        child = gunicorn(
            env=ctx.env, port=port, workers=workers, threads=4, log_dir=ctx.run_dir, access_log=False, max_requests=0
        )
        child.log = ctx.run_dir / f"gunicorn-so-{workers}.log"
        child.start()
        wait_http(port, child)
        ctx.meter.set_group(f"web{workers}", child.pid)
        return child, port

    def _workers(self, ctx: Context, count: int) -> list[Child]:
        children = []
        for number in range(count):
            child = celery_worker(env=ctx.env, log_dir=ctx.run_dir, concurrency=ctx.celery_concurrency,
                                  pool=ctx.celery_pool)  # fmt: skip
            command = child.command
            command[command.index("--hostname") + 1] = f"bench-so-{number}@%h"
            if number:  # one beat only
                position = command.index("--schedule")
                del command[position : position + 2]
                command.remove("--beat")
            child.log = ctx.run_dir / f"celery-so-{count}-{number}.log"
            children.append(child.start())
        for number, child in enumerate(children):
            wait_log(child, "ready.", timeout=60)
            ctx.meter.set_group(f"celery{number}", child.pid)
        return children

    def _deliveries(self, ctx: Context, port: int, count: int) -> dict[str, Any]:
        from bench.procs import Measure

        cpo = ctx.parties["cpo"]
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        locations = max(20, ctx.sizes.isolated_pushes * 25)
        connection = Connection(ctx.host, port)
        started = time.perf_counter()
        for number in range(locations):  # the backlog, queued while no worker runs
            location_id = f"SO{count}-{number:04d}"
            path = f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/{location_id}"
            raw = build_request("PUT", path, host=f"127.0.0.1:{port}", headers=ctx.headers(cpo),
                                body=template.body(location_id, number))  # fmt: skip
            problem = applied(connection.request(raw))
            if problem:
                raise RuntimeError(f"Location PUT: {problem}")
        connection.close()
        ingest_seconds = time.perf_counter() - started
        children = self._workers(ctx, count)  # they drain the backlog from the moment they are ready
        try:
            with Measure(ctx.meter) as measure:  # from ready (their start-up is neither timed nor metered)
                started = time.perf_counter()
                left = ctx.wait_deliveries_drained(timeout=300)
                elapsed = time.perf_counter() - started
        finally:
            for number, child in enumerate(children):
                child.stop()
                ctx.meter.set_group(f"celery{number}", None)
        delivered = locations * RECEIVERS - left
        cpu = measure.cpu["cpu_s"]
        worker_cpu = sum(seconds for name, seconds in cpu.items() if name.startswith("celery"))
        result = {
            "workers": count,
            "locations": locations,
            "deliveries": delivered,
            "left": left,
            "seconds": round(elapsed, 2),
            "ingest_seconds": round(ingest_seconds, 2),
            "deliveries_per_s": round(delivered / elapsed, 1) if elapsed else None,
            "worker_cpu_ms_per_delivery": round(worker_cpu * 1000 / delivered, 3) if delivered else None,
            "db_redis_cpu_ms_per_delivery": round((cpu.get("postgres", 0) + cpu.get("redis", 0)) * 1000 / delivered, 3)
            if delivered
            else None,
            "other_cores": round(measure.cpu["other_cpu_s"] / measure.cpu["elapsed_s"], 2),
        }
        ctx.say(f"  {count} worker process(es): {result}")
        return result

    def _ingest(self, ctx: Context, webs: dict[int, tuple[Child, int]]) -> dict[str, dict[str, Any]]:
        cpo = ctx.parties["cpo"]
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        headers = ctx.headers(cpo)

        def factory_for(count: int, port: int) -> Any:
            base = f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}"

            def factory(thread: int, sequence: int) -> bytes:
                location_id = f"SOI{count}-{thread:02d}-{sequence % POOL_PER_THREAD:04d}"
                return build_request("PUT", f"{base}/{location_id}", host=f"127.0.0.1:{port}", headers=headers,
                                     body=template.body(location_id, sequence))  # fmt: skip

            return factory

        legs = {f"{count} web": (factory_for(count, port), applied, port) for count, (_, port) in webs.items()}
        return alternating_throughput(ctx, legs, label="SO ingest")

    def _report(self, ctx: Context, delivery: dict[int, dict[str, Any]], ingest: dict[str, dict[str, Any]]) -> None:
        def hub_cpu(name: str, summary: dict[str, Any]) -> float | None:
            per = summary.get("cpu_ms_per_request") or {}
            group = "web1" if name.startswith("1") else "web2"
            parts = [per.get(group), per.get("postgres"), per.get("redis")]
            return round(sum(p for p in parts if p), 3) if any(parts) else None

        ingest_rows = {name: {"rps": s["rps"], "hub_cpu_ms": hub_cpu(name, s)} for name, s in ingest.items()}
        one, two = ingest_rows.get("1 web", {}), ingest_rows.get("2 web", {})
        ingest_gain = round(two["rps"] / one["rps"], 3) if one.get("rps") else None
        d1, d2 = delivery[1].get("deliveries_per_s"), delivery[2].get("deliveries_per_s")
        delivery_gain = round(d2 / d1, 3) if d1 and d2 else None
        ctx.record(self.key, {"delivery": delivery, "ingest": ingest, "ingest_summary": ingest_rows,
                              "ingest_gain": ingest_gain, "delivery_gain": delivery_gain})  # fmt: skip
        title = "2+2 vs 1+1: ingest req/s gain (delivery gain in the note)"
        target = Target(key="SO", title=title, figure=ingest_gain, unit="x", ratio=ingest_gain,
                        limit=float("inf"), comparison="<")  # fmt: skip
        target.note = (
            f"ingest req/s 1 web {one.get('rps')} ({one.get('hub_cpu_ms')} ms hub CPU/PUT), 2 web {two.get('rps')} "
            f"({two.get('hub_cpu_ms')} ms); deliveries/s 1 worker {d1} "
            f"({delivery[1].get('worker_cpu_ms_per_delivery')} ms worker CPU each), 2 workers {d2} "
            f"({delivery[2].get('worker_cpu_ms_per_delivery')} ms): x{delivery_gain}"
        )
        target.judge()
        ctx.add_target(target)
