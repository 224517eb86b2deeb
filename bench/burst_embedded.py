"""Scenario G on the embedded default (issue 11): the burst of EVSE status PATCHes (2,000 in 60 s, 4 eMSPs)
against `manage.py runhub` as `make run` starts it: SQLite, the hub's own broker (``hubqueue://``), gunicorn,
a Celery worker and beat, in a fresh var directory. Target: lag p95 < 2 s, nothing missing, no worker exit.

    .venv/bin/python -m bench.burst_embedded                 # 2,000 PATCHes in 60 s
    .venv/bin/python -m bench.burst_embedded --patches 400 --seconds 12

The parties are created directly in the hub's SQLite file (no handshake), as scenario F does; the eMSPs'
Locations receiver endpoints point at one in-process server (``bench.receivers``). Prints the figures and
writes them as JSON (``--output``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patches", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--emsps", type=int, default=4)
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "burst_embedded.json"))
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="ocpi-burst-embedded-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(
        OCPI_HUB_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="ocpi_hub.settings.base",
        OCPI_HUB_ALLOWED_PRIVATE_NETWORKS="127.0.0.0/8",
        PYTHONUNBUFFERED="1",
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()
    from bench.procs import free_port

    port = free_port()
    log = var / "runhub.log"
    with log.open("wb") as out:
        hub = subprocess.Popen(
            [sys.executable, "manage.py", "runhub", "--no-migrate", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        _wait_serving(port, hub, log)
        results = _burst(port, hub, args)
    finally:
        os.killpg(hub.pid, signal.SIGINT)
        try:
            hub.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(hub.pid, signal.SIGKILL)
    text = log.read_text(errors="replace")
    results["worker_restarts"] = text.count("worker exited with status")
    results["log"] = str(log)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "lag"}, indent=2))
    good = results["lag_p95_ms"] is not None and results["lag_p95_ms"] < 2000 and not results["missing"]
    print(f"embedded burst: lag p95 {results['lag_p95_ms']} ms (< 2000), missing {results['missing']}: "
          f"{'PASS' if good and not results['worker_restarts'] else 'FAIL'}")  # fmt: skip
    return 0 if good else 1


def _wait_serving(port: int, hub: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.poll() is not None:
            raise SystemExit(f"runhub exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):  # noqa: S310 - loopback
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("runhub did not answer /healthz")


def _burst(port: int, hub: subprocess.Popen[bytes], args: argparse.Namespace) -> dict[str, Any]:
    from bench.client import Connection, build_request, latency_summary, percentile
    from bench.parties import orm_party
    from bench.payloads import LocationTemplate, now_text
    from bench.procs import CpuMeter, Measure
    from bench.receivers import Receivers
    from bench.scenarios.base import applied
    from bench.scenarios.fan_out import LOCATIONS, FanOut, first_evse_status, next_status
    from ocpi_hub.api.authentication import encode_token

    fan_out = FanOut()
    receivers = Receivers()
    fan_out._emsps(receivers, args.emsps)
    cpo = orm_party("burst-cpo", role="CPO", country_code="NL", party_id="BRS")
    headers = {"Authorization": f"Token {encode_token(cpo.token)}", "X-Request-ID": "bench", "X-Correlation-ID": "b"}
    base = f"/ocpi/2.2.1/receiver/locations/{cpo.country_code}/{cpo.party_id}"
    host = f"127.0.0.1:{port}"
    connection = Connection("127.0.0.1", port)
    template = LocationTemplate(cpo.country_code, cpo.party_id)
    evses, statuses = {}, {}
    for number in range(LOCATIONS):
        location_id = f"FAN-{number:03d}"
        body = template.body(location_id, number)
        evses[location_id] = json.loads(body)["evses"][0]["uid"]
        statuses[location_id] = first_evse_status(body)
        problem = applied(
            connection.request(build_request("PUT", f"{base}/{location_id}", host=host, headers=headers, body=body))
        )
        if problem:
            raise SystemExit(f"Location PUT: {problem}")
    deadline = time.monotonic() + 120
    while len({path for _, path, _ in receivers.received}) < args.emsps * LOCATIONS:  # one PUT per Location
        if time.monotonic() > deadline:
            raise SystemExit("the initial Locations did not reach every eMSP in 120 s")
        time.sleep(0.2)
    receivers.take()
    rate = args.patches / args.seconds
    patches: list[tuple[str, str, float]] = []
    before = _tree_cpu(hub.pid)
    with Measure(CpuMeter()) as measure:
        begin = time.monotonic()
        for k in range(args.patches):
            delay = begin + k / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            location_id = f"FAN-{k % LOCATIONS:03d}"
            stamp = now_text()
            body = json.dumps({"status": next_status(statuses, location_id), "last_updated": stamp}).encode()
            raw = build_request(
                "PATCH", f"{base}/{location_id}/{evses[location_id]}", host=host, headers=headers, body=body
            )
            problem = applied(connection.request(raw))
            if problem:
                raise SystemExit(f"EVSE PATCH: {problem}")
            patches.append((location_id, stamp, time.time()))
        fan_out._wait(receivers, patches, args.emsps, timeout=60)
        elapsed = time.monotonic() - begin
    received = receivers.take()
    connection.close()
    receivers.stop()
    lags, missing = fan_out._lags(received, patches, args.emsps)
    p95 = percentile(lags + [float("inf")] * missing, 95)
    return {
        "patches": args.patches,
        "seconds": args.seconds,
        "emsps": args.emsps,
        "delivered": len(received),
        "deliveries_per_s": round(len(received) / elapsed, 1),
        "lag": latency_summary(lags),
        "lag_p95_ms": None if p95 in (None, float("inf")) else round(p95 * 1000, 1),
        "missing": missing,
        "cpu_s": {
            "hub": {name: round(cpu - before.get(name, 0.0), 2) for name, cpu in _tree_cpu(hub.pid).items()},
            "harness": measure.cpu["cpu_s"].get("harness"),
        },
    }


_KINDS = (("gunicorn", "web"), ("ocpi_hub.front", "front"), (" worker", "worker"), ("beat", "beat"))


def _tree_cpu(root: int) -> dict[str, float]:
    """CPU seconds of ``root``'s descendants (runhub's children: gunicorn, its workers, Celery), by command."""
    from bench.procs import CLOCK_TICKS, _cmdline, _stat_fields

    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        fields = _stat_fields(int(entry)) if entry.isdigit() else None
        if fields is not None:
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    totals: dict[str, float] = {}
    for pid in cpu:
        ancestor = pid
        while ancestor not in (0, 1, root) and ancestor in parents:
            ancestor = parents[ancestor]
        if ancestor == root and pid != root:
            command = _cmdline(pid)
            name = next((n for key, n in _KINDS if key in command), "other")
            totals[name] = totals.get(name, 0.0) + cpu[pid]
    return totals


if __name__ == "__main__":
    raise SystemExit(main())
