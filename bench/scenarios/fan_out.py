"""F. Fan-out capacity (issue 11): a stream of EVSE status PATCHes from one CPO to 200 connected eMSPs (and
one more whose server is gone throughout), through the delivery engine (outbox, real Celery worker, Redis).

Phases at growing PATCH rates (each PATCH fans out to every eMSP). Per phase:
- lag of a (PATCH, eMSP) pair: the time from the CPO having the hub's answer to that eMSP receiving a state
  of that EVSE at least as new (the outbox merges changes, so an eMSP may skip intermediate ones);
- deliveries/s: pushes the eMSPs received per second of the phase;
- broker messages per delivered push: ``drain_receiver`` messages the worker received (its log) divided by
  the pushes delivered;
- worker CPU per delivery, from /proc.
The capacity is the highest offered rate whose lag p95 stays under 2 s.

The eMSPs are platforms created directly (no handshake: onboarding is scenario D's) whose Locations
receiver endpoints point at one small in-process server (``bench.receivers``), so the harness's own cost
per receipt stays low.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.client import Connection, build_request, latency_summary, percentile
from bench.harness import Context, Target
from bench.parties import orm_party
from bench.payloads import LocationTemplate, now_text
from bench.procs import Measure
from bench.receivers import Receivers
from bench.scenarios.base import Scenario, applied

STATUSES = ["AVAILABLE", "CHARGING", "BLOCKED", "OUTOFORDER"]
LOCATIONS = 20


def next_status(current: dict[str, str], location_id: str) -> str:
    """A status other than the one ``current`` holds for the Location's first EVSE (the hub sends a repeat
    of the same status only to receivers that missed it, so a repeat would never arrive); ``current`` is
    updated."""
    status = STATUSES[(STATUSES.index(current.get(location_id, STATUSES[0])) + 1) % len(STATUSES)]
    current[location_id] = status
    return status


def first_evse_status(body: bytes) -> str:
    return str(json.loads(body)["evses"][0]["status"])


class FanOut(Scenario):
    key = "fan_out"
    title = "F. EVSE PATCH stream fanned out to 200 eMSPs (+1 down): deliveries/s at lag p95 < 2 s"
    needs_worker = True

    def target_titles(self) -> list[tuple[str, str]]:
        return [
            ("F", "Fan-out capacity at lag p95 < 2 s >= 1000 deliveries/s"),
            ("F2", "Broker messages per delivered push <= 1.05"),
            ("F3", "Worker CPU per delivery <= 1 ms"),
        ]

    def _path(self, ctx: Context, *ids: str) -> str:
        cpo = ctx.parties["cpo"]
        return "/".join([f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}", *ids])

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(self._path(ctx, "X", "E1"), "PATCH")

    _statuses: dict[str, str]  # the status of each Location's first EVSE, as last pushed

    def run(self, ctx: Context) -> None:
        receivers = Receivers()
        count = ctx.sizes.fan_out_emsps
        platforms = self._emsps(receivers, count)
        ctx.start_worker()
        connection = Connection(ctx.host, ctx.port)
        results: dict[str, Any] = {"emsps": count, "down": 1, "phases": []}
        try:
            self._locations(ctx, connection)
            down = (platforms[-1],)  # its rows wait for it throughout
            ctx.wait_deliveries_drained(timeout=180, ignore=down)
            receivers.take()
            for rate in ctx.sizes.fan_out_rates:
                phase = self._phase(ctx, connection, receivers, count, rate, seconds=ctx.sizes.fan_out_seconds)
                results["phases"].append(phase)
                ctx.wait_deliveries_drained(timeout=120, ignore=down)
                receivers.take()
        finally:
            connection.close()
            from parties.models import Platform

            Platform.objects.filter(pk__in=platforms).update(status="SUSPENDED")
            ctx.stop_worker()
            receivers.stop()
        ctx.record(self.key, results)
        self._targets(ctx, results)

    @staticmethod
    def _emsps(receivers: Receivers, count: int) -> list[int]:
        ids = []
        for number in range(count):
            url = f"{receivers.url_for(number)}/ocpi/2.2.1/locations"
            party = orm_party(
                f"fan-emsp-{number}", role="EMSP", country_code="DE", party_id=f"{number:03d}",
                endpoints=[("locations", "RECEIVER", url)],
            )  # fmt: skip
            ids.append(party.platform.pk)
        down = orm_party(
            "fan-emsp-down", role="EMSP", country_code="DE", party_id="DWN",
            endpoints=[("locations", "RECEIVER", "http://127.0.0.1:9/gone/locations")],
        )  # fmt: skip
        return [*ids, down.platform.pk]

    def _locations(self, ctx: Context, connection: Connection) -> None:
        self._statuses = {}
        cpo = ctx.parties["cpo"]
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        for number in range(LOCATIONS):
            location_id = f"FAN-{number:03d}"
            self._statuses[location_id] = first_evse_status(template.body(location_id, number))
            raw = build_request(
                "PUT", self._path(ctx, location_id), host=ctx.host_header, headers=ctx.headers(cpo),
                body=template.body(location_id, number),
            )  # fmt: skip
            problem = applied(connection.request(raw))
            if problem:
                raise RuntimeError(f"Location PUT: {problem}")

    def _phase(
        self, ctx: Context, connection: Connection, receivers: Receivers, count: int, rate: float, seconds: float
    ) -> dict[str, Any]:
        cpo = ctx.parties["cpo"]
        headers = ctx.headers(cpo)
        evses = {f"FAN-{n:03d}": self._first_evse(ctx, f"FAN-{n:03d}") for n in range(LOCATIONS)}
        patches: list[tuple[str, str, float]] = []  # (location id, last_updated, accepted at)
        log_before = self._drains_received(ctx)
        pids = [ctx.gunicorn.pid] + ([ctx.worker.pid] if ctx.worker else [])
        total = int(rate * seconds)
        with ctx.sampler.sample(f"{self.key}-{rate:g}", pids), Measure(ctx.meter) as measure:
            begin = time.monotonic()
            for k in range(total):
                delay = begin + k / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                location_id = f"FAN-{k % LOCATIONS:03d}"
                stamp = now_text()
                body = {"status": next_status(self._statuses, location_id), "last_updated": stamp}
                raw = build_request(
                    "PATCH", self._path(ctx, location_id, evses[location_id]), host=ctx.host_header, headers=headers,
                    body=json.dumps(body).encode(),
                )  # fmt: skip
                problem = applied(connection.request(raw))
                if problem:
                    raise RuntimeError(f"EVSE PATCH: {problem}")
                patches.append((location_id, stamp, time.time()))
            sent_in = time.monotonic() - begin
            self._wait(receivers, patches, count, timeout=60)
            elapsed = time.monotonic() - begin
            received = receivers.take()
        lags, missing = self._lags(received, patches, count)
        delivered = len(received)
        drains = self._drains_received(ctx) - log_before
        p95 = percentile(lags + [float("inf")] * missing, 95)
        cpu = measure.cpu["cpu_s"]
        phase = {
            "patch_rate_per_s": rate,
            "offered_deliveries_per_s": rate * count,
            "patches": total,
            "delivered": delivered,
            "deliveries_per_s": round(delivered / elapsed, 1),
            "sending_s": round(sent_in, 2),  # how long the PATCHes took to send (more than the phase: slow answers)
            "elapsed_s": round(elapsed, 2),  # up to the last receipt the phase waited for
            "lag": latency_summary(lags),
            "lag_p95_ms": None if p95 in (None, float("inf")) else round(p95 * 1000, 1),
            "missing": missing,
            "drain_messages": drains,
            "messages_per_delivery": round(drains / max(delivered, 1), 3),
            "cpu_ms_per_delivery": {name: round(s * 1000 / max(delivered, 1), 3) for name, s in cpu.items()},
        }
        ctx.say(
            f"  {rate:g} PATCH/s x {count} eMSPs ({rate * count:g} offered/s): "
            f"{phase['deliveries_per_s']} delivered/s ({delivered} in {elapsed:.1f} s, sent in {sent_in:.1f} s), "
            f"lag p50 {phase['lag']['p50_ms']} ms p95 {phase['lag_p95_ms']} ms, missing {missing}, "
            f"{phase['messages_per_delivery']} messages/delivery, CPU ms/delivery {phase['cpu_ms_per_delivery']}"
        )
        return phase

    def _first_evse(self, ctx: Context, location_id: str) -> str:
        cpo = ctx.parties["cpo"]
        body = json.loads(LocationTemplate(cpo.country_code, cpo.party_id).body(location_id, 0))
        return body["evses"][0]["uid"]

    @staticmethod
    def _drains_received(ctx: Context) -> int:
        if ctx.worker is None or not ctx.worker.log.exists():
            return 0
        text = ctx.worker.log.read_text(errors="replace")
        return text.count("Task parties.tasks.drain_receiver[") - text.count("] succeeded in")

    def _wait(self, receivers: Receivers, patches: list[tuple[str, str, float]], count: int, timeout: float) -> None:
        """Until every eMSP holds the last state of every Location's EVSE (or the timeout). Reads only the
        receipts that came since its last look, outside the receivers' lock: it used to parse every receipt
        of the phase under that lock five times a second, which past capacity (thousands of receipts still
        arriving) held the receivers' threads and the harness's GIL most of the time and slowed the hub's
        pushes it measured (each waited for the receiver's answer)."""
        newest = {location_id: stamp for location_id, stamp, _ in patches}
        seen: set[tuple[str, str]] = set()
        looked = 0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with receivers.lock:
                new = receivers.received[looked:]
            looked += len(new)
            for _, path, body in new:
                location_id = self._location(path)
                if self._stamp(body) >= newest.get(location_id, "~"):
                    seen.add((path.split("/")[1], location_id))
            if len(seen) >= count * len(newest):
                return
            time.sleep(0.2)

    @staticmethod
    def _location(path: str) -> str:
        parts = path.split("/")
        return parts[-2] if len(parts) > 2 else ""

    @staticmethod
    def _stamp(body: bytes) -> str:
        try:
            return str(json.loads(body).get("last_updated") or "")
        except ValueError:
            return ""

    def _lags(
        self, received: list[tuple[float, str, bytes]], patches: list[tuple[str, str, float]], count: int
    ) -> tuple[list[float], int]:
        by_receiver: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for at, path, body in received:
            by_receiver.setdefault((path.split("/")[1], self._location(path)), []).append((self._stamp(body), at))
        lags: list[float] = []
        missing = 0
        for receiver in [f"r{n}" for n in range(count)]:
            for location_id, stamp, accepted in patches:
                arrivals = [at for seen, at in by_receiver.get((receiver, location_id), []) if seen >= stamp]
                if arrivals:
                    lags.append(max(min(arrivals) - accepted, 0.0))
                else:
                    missing += 1
        return lags, missing

    def _targets(self, ctx: Context, results: dict[str, Any]) -> None:
        phases = results["phases"]
        good = [p for p in phases if p["lag_p95_ms"] is not None and p["lag_p95_ms"] < 2000 and not p["missing"]]
        capacity = max((p["deliveries_per_s"] for p in good), default=0.0)
        detail = "; ".join(
            f"{p['offered_deliveries_per_s']:g}/s offered -> {p['deliveries_per_s']}/s, p95 {p['lag_p95_ms']} ms"
            for p in phases
        )
        ctx.add_target(
            Target(
                key="F", title="Fan-out capacity at lag p95 < 2 s >= 1000 deliveries/s", figure=capacity,
                unit="deliveries/s", limit=1000.0, comparison=">=", compared="figure", note=detail,
            ).judge()
        )  # fmt: skip
        worst = max((p["messages_per_delivery"] for p in phases), default=None)
        ctx.add_target(
            Target(
                key="F2", title="Broker messages per delivered push <= 1.05", figure=worst, unit="messages",
                limit=1.05, comparison="<", compared="figure", note="the worst phase",
            ).judge()
        )  # fmt: skip
        busiest = phases[-1] if phases else {}
        cpu = (busiest.get("cpu_ms_per_delivery") or {}).get("celery")
        ctx.add_target(
            Target(
                key="F3", title="Worker CPU per delivery <= 1 ms", figure=cpu, unit="ms", limit=1.0,
                comparison="<", compared="figure", note=f"at {busiest.get('offered_deliveries_per_s')}/s offered",
            ).judge()
        )  # fmt: skip
