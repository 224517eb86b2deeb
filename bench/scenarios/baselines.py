"""BL. Baselines in the same run (issue 19, items 1, 3, 4): the hub's EVSE status PATCH, Location PUT and CDR
POST against

- the framework floor: ``POST /ocpi/bench/floor``, a bare DRF view on the same gunicorn (parses the body,
  answers an envelope; no authentication, no database);
- the echo: ``POST /ocpi/bench/echo`` (Token authentication, routing checks, the hub's parser, an envelope);
- an alternative Python OCPI implementation: the ``extrawest-ocpi`` library (FastAPI, uvicorn with as many
  workers as the hub has) as an in-memory eMSP receiving the same Location PUT and EVSE status PATCH (its
  workers start with the PATCH leg's Locations, ``BENCH_ALT_SEED``), in a virtualenv the bench
  creates (``bench.alternative.venv``); skipped, with the reason printed, when it cannot be installed.

All legs alternate in slices on one client (``alternating_throughput``). Reported: req/s and CPU per request of
each (the hub's: web workers + PostgreSQL + Redis; the alternative's: its uvicorn processes), and the hub's
CPU-cost ratios (hub CPU per request over the floor's, over the echo's) and req/s ratios to the alternative.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.client import Connection, build_request
from bench.harness import Context, Target
from bench.payloads import LocationTemplate, now_text
from bench.procs import Child, free_port, wait_http
from bench.scenarios.base import Scenario, alternating_throughput, applied, server_cpu_ms
from bench.scenarios.cdr_post import CdrPost, created

FLOOR_PATH = "/ocpi/bench/floor"
POOL_PER_THREAD = 50
ALT_WORKERS = 2  # as the hub's gunicorn workers (bench.run --web-workers default)
ALT_TOKEN = "bench-alternative-token"


class Baselines(Scenario):
    key = "baselines"
    title = "BL. Baselines in one run: framework floor, echo, extrawest-ocpi; the hub's ratios to them"

    def target_titles(self) -> list[tuple[str, str]]:
        return [("BL", "hub CPU per request against the framework floor (reported, no limit)")]

    def unavailable(self, ctx: Context) -> str | None:
        return ctx.resolves(FLOOR_PATH, "POST")

    def run(self, ctx: Context) -> None:
        cpo = ctx.parties["cpo"]
        body = json.dumps({"id": "bench", "last_updated": "2026-01-01T00:00:00Z", "value": 1}).encode()
        floor = build_request("POST", FLOOR_PATH, host=ctx.host_header, body=body)
        template = LocationTemplate(cpo.country_code, cpo.party_id)
        headers = ctx.headers(cpo)
        base = f"/ocpi/{ctx.version}/receiver/locations/{cpo.country_code}/{cpo.party_id}"

        def location_put(thread: int, sequence: int) -> bytes:
            location_id = f"BL{thread:02d}-{sequence % POOL_PER_THREAD:04d}"
            return build_request(
                "PUT", f"{base}/{location_id}", host=ctx.host_header, headers=headers,
                body=template.body(location_id, sequence),
            )  # fmt: skip

        legs: dict[str, tuple[Any, ...]] = {
            "floor": (lambda thread, sequence: floor, None),
            "echo": (ctx.baseline_factory, None),
            "hub EVSE status PATCH": (self._evse_patches(ctx, template, base), applied),
            "hub Location PUT": (location_put, applied),
            "hub CDR POST": (CdrPost().factory(ctx), created),
        }
        alternative, reason = self._alternative(ctx, template)
        if alternative is not None:
            child, port, factory, patch_factory = alternative
            legs["extrawest-ocpi Location PUT"] = (factory, _alt_ok, port)
            legs["extrawest-ocpi EVSE status PATCH"] = (patch_factory, _alt_ok, port)
        else:
            ctx.say(f"  extrawest-ocpi leg skipped: {reason}")
        try:
            summaries = alternating_throughput(ctx, legs, label="BL")
        finally:
            if alternative is not None:
                alternative[0].stop()
                ctx.meter.set_group("alternative", None)
        self._report(ctx, summaries, reason)

    def _evse_patches(self, ctx: Context, template: LocationTemplate, base: str) -> Any:
        """EVSE status PATCHes (``{"status", "last_updated"}``, the largest volume a hub receives) over Locations
        of their own (4 EVSEs each), PUT first; each PATCH of an EVSE sets another status than its last."""
        cpo = ctx.parties["cpo"]
        headers = ctx.headers(cpo)
        pool = self._pool(ctx)
        earlier = datetime.now(UTC) - timedelta(hours=1)
        connection = Connection(ctx.host, ctx.port)
        for n in range(pool):
            location_id = f"BP-{n:04d}"
            request = build_request("PUT", f"{base}/{location_id}", host=ctx.host_header, headers=headers,
                                    body=template.body(location_id, 0, earlier))  # fmt: skip
            answer = connection.request(request)
            if not answer.ocpi_ok:
                raise RuntimeError(f"BL: PUT {location_id}: HTTP {answer.status} {answer.body[:200]!r}")
        connection.close()

        def evse_patch(thread: int, sequence: int) -> bytes:
            location_id, evse, body = _status_patch(thread, sequence)
            return build_request("PATCH", f"{base}/{location_id}/{evse}", host=ctx.host_header,
                                 headers=headers, body=body)  # fmt: skip

        return evse_patch

    def _pool(self, ctx: Context) -> int:
        return ctx.sizes.threads * POOL_PER_THREAD  # Locations of the EVSE PATCH legs

    def _alternative(self, ctx: Context, template: LocationTemplate) -> tuple[Any, str]:
        from bench.alternative.venv import ROOT, alternative_python

        python, reason = alternative_python()
        if python is None:
            return None, reason
        port = free_port()
        seed = ctx.run_dir / "extrawest-seed.json"
        seed.write_text(json.dumps([_alt_location(template, f"BP-{n:04d}", 0) for n in range(self._pool(ctx))]))
        child = Child(
            "extrawest",
            [str(python), "extrawest_emsp.py", str(port), str(ALT_WORKERS)],
            {**os.environ, "BENCH_ALT_TOKEN": ALT_TOKEN, "BENCH_ALT_SEED": str(seed), "PYTHONPATH": ""},
            ctx.run_dir / "extrawest.log",
        )
        child.command[1] = str(ROOT / "bench" / "alternative" / "extrawest_emsp.py")
        child.env["PYTHONPATH"] = str(ROOT / "bench" / "alternative")
        child.start()
        try:
            wait_http(port, child, timeout=60)
        except Exception as error:  # noqa: BLE001 - any failure to come up is a skip with its reason
            child.stop()
            return None, f"extrawest-ocpi server did not come up: {error} {child.tail(500)}"
        ctx.meter.set_group("alternative", child.pid)
        from ocpi_hub.api.authentication import encode_token

        alt_headers = {"Authorization": f"Token {encode_token(ALT_TOKEN)}"}
        cpo = ctx.parties["cpo"]
        path = f"/ocpi/emsp/2.2.1/locations/{cpo.country_code}/{cpo.party_id}"

        def factory(thread: int, sequence: int) -> bytes:
            location_id = f"BL{thread:02d}-{sequence % POOL_PER_THREAD:04d}"
            return build_request(
                "PUT", f"{path}/{location_id}", host=f"127.0.0.1:{port}", headers=alt_headers,
                body=json.dumps(_alt_location(template, location_id, sequence)).encode(),
            )  # fmt: skip

        def patch_factory(thread: int, sequence: int) -> bytes:
            location_id, evse, body = _status_patch(thread, sequence)
            return build_request("PATCH", f"{path}/{location_id}/{evse}", host=f"127.0.0.1:{port}",
                                 headers=alt_headers, body=body)  # fmt: skip

        return (child, port, factory, patch_factory), ""

    def _report(self, ctx: Context, summaries: dict[str, dict[str, Any]], skipped: str) -> None:
        cost = {name: _cost(name, summary) for name, summary in summaries.items()}
        rps = {name: summary["rps"] for name, summary in summaries.items()}
        ratios: dict[str, Any] = {}
        for hub in ("hub EVSE status PATCH", "hub Location PUT", "hub CDR POST", "echo"):
            for reference in ("floor", "echo"):
                if hub != reference and cost.get(hub) and cost.get(reference):
                    ratios[f"{hub} / {reference} CPU"] = round(cost[hub] / cost[reference], 3)
            alt = "extrawest-ocpi EVSE status PATCH" if "PATCH" in hub else "extrawest-ocpi Location PUT"
            if alt in rps and rps[alt]:
                ratios[f"{hub} / {alt} req/s"] = round(rps[hub] / rps[alt], 3)
                if cost.get(alt) and cost.get(hub):
                    ratios[f"{hub} / {alt} CPU"] = round(cost[hub] / cost[alt], 3)
        ctx.record(self.key, {"legs": summaries, "cpu_ms_per_request": cost, "rps": rps, "ratios": ratios,
                              "alternative_skipped": skipped or None})  # fmt: skip
        ctx.say("  CPU ms per request: " + ", ".join(f"{name} {value}" for name, value in cost.items()))
        ctx.say("  ratios: " + ", ".join(f"{name} {value}" for name, value in ratios.items()))
        put = ratios.get("hub Location PUT / floor CPU")
        target = Target(
            key="BL",
            title="Location PUT / CDR POST hub CPU vs the framework floor (reported)",
            figure=put,
            unit="x floor CPU",
            ratio=put,
            limit=float("inf"),
            comparison="<",
        )
        target.note = "; ".join(f"{name} {value}" for name, value in ratios.items())
        target.judge()
        ctx.add_target(target)


def _status_patch(thread: int, sequence: int) -> tuple[str, str, bytes]:
    """(Location id, EVSE uid, body) of an EVSE status PATCH: each thread has its own 50 Locations of 4 EVSEs,
    and each PATCH of an EVSE sets another status than its last one."""
    slot = thread * POOL_PER_THREAD * 4 + sequence % (POOL_PER_THREAD * 4)
    location_id, evse = f"BP-{slot // 4:04d}", slot % 4 + 1
    status = ("OUTOFORDER", "INOPERATIVE")[(sequence // (POOL_PER_THREAD * 4)) % 2]
    body = json.dumps({"status": status, "last_updated": now_text()}).encode()
    return location_id, f"{location_id}-E{evse}", body


def _alt_location(template: LocationTemplate, location_id: str, sequence: int) -> dict[str, Any]:
    """B's Location for the alternative: without energy_mix, as its EnergyMix model requires fields OCPI makes
    optional (``energy_sources``, ``supplier_name``, ``energy_product_name``)."""
    document = json.loads(template.body(location_id, sequence))
    document.pop("energy_mix", None)
    return dict(document)


def _cost(name: str, summary: dict[str, Any]) -> float | None:
    if name.startswith("extrawest"):
        return (summary.get("cpu_ms_per_request") or {}).get("alternative")
    return server_cpu_ms(summary)


def _alt_ok(answer: Any) -> str | None:
    if answer.status == 200 and b'"status_code":1000' in answer.body:
        return None
    return f"HTTP {answer.status}: {answer.body[:300]!r}"
