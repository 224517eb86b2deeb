"""Slow clients against the hub's web server as ``manage.py runhub`` (``make run``) serves it: a bounded load
script, not a test (issue 13, item 3).

For each server mode (``front``: the buffering front before gunicorn, the default; ``gunicorn``: runhub
``--no-front``, gunicorn's gthread workers on the port as before) it

1. measures authenticated Location PUT throughput (a closed loop of ``--threads`` clients for ``--duration``
   seconds) and the web processes' CPU per request;
2. opens ``--slow`` connections that send their headers one byte a second and ``--slow`` that send a body one
   byte a second after announcing ``Content-Length: 1000``, keeps them going, and meanwhile makes one
   legitimate request after another (a new connection each, 5 s timeout) for ``--duration`` seconds:
   how many got their answer, and how fast;
3. reports how many slow connections the server closed, and after how long.

    .venv/bin/python -m bench.slowloris                          # both modes, 50 + 50 slow connections
    .venv/bin/python -m bench.slowloris --mode front --slow 200
    .venv/bin/python -m bench.slowloris --url http://127.0.0.1:8080 --mode external   # e.g. nginx in front

Needs PostgreSQL (``--database-url``; the database is created and dropped). Settings such as
``OCPI_HUB_HEADER_TIMEOUT`` are taken from the environment, as runhub takes them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.procs import CLOCK_TICKS, ROOT, drop_database, free_port, recreate_database

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ocpi_bench_slowloris"
LEGIT_TIMEOUT = 5.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_SLOWLORIS_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--mode", choices=("both", "front", "gunicorn", "external"), default="both")
    parser.add_argument("--url", help="with --mode external: a server already running on this database")
    parser.add_argument("--slow", type=int, default=50, help="slow-header and (as many) slow-body connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each measurement")
    parser.add_argument("--threads", type=int, default=8, help="clients of the throughput loop")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_args(argv)


# --- the hub ----------------------------------------------------------------------------------------------


def _tree_cpu(root: int, only: str = "") -> float:
    """CPU seconds of ``root`` and every descendant (runhub starts its children in their own sessions);
    with ``only``, of those whose command line holds it."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError):
                stats[int(entry)] = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
    family = {root}
    grew = True
    while grew:
        more = {pid for pid, fields in stats.items() if int(fields[1]) in family} - family
        family |= more
        grew = bool(more)
    if only:
        family = {pid for pid in family if only.encode() in _cmdline(pid)}
    return sum((int(stats[pid][11]) + int(stats[pid][12])) / CLOCK_TICKS for pid in family if pid in stats)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class RunHub:
    def __init__(self, env: dict[str, str], *extra: str) -> None:
        self.port = free_port()
        self.var_dir = Path(tempfile.mkdtemp(prefix="ocpi-bench-slowloris-"))
        self.log = self.var_dir / "runhub.log"
        command = [sys.executable, "manage.py", "runhub", "--port", str(self.port), "--no-worker", "--no-beat"]
        command += ["--no-migrate", *extra]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**env, "OCPI_HUB_VAR_DIR": str(self.var_dir)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"runhub exited:\n{self.log.read_text()[-3000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 2) as sock:
                sock.sendall(b"GET /ocpi/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                sock.settimeout(5)
                if sock.recv(100).startswith(b"HTTP/1.1 401"):
                    return
            time.sleep(0.3)
        raise RuntimeError(f"runhub did not answer:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, 2)  # SIGINT: runhub stops its children
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(10)


# --- measurements -------------------------------------------------------------------------------------------


def throughput(host: str, port: int, token: str, args: argparse.Namespace, pid: int | None) -> dict[str, Any]:
    from bench.client import build_request, run_load
    from bench.payloads import LocationTemplate
    from bench.scenarios.base import applied

    template = LocationTemplate("NL", "SLO")
    headers = {
        "Authorization": f"Token {token}",
        "OCPI-from-country-code": "NL",
        "OCPI-from-party-id": "SLO",
        "OCPI-to-country-code": "NL",
        "OCPI-to-party-id": "HUB",
        "X-Request-ID": "bench",
        "X-Correlation-ID": "bench",
    }

    def factory(thread: int, sequence: int) -> bytes:
        location_id = f"S{thread:02d}-{sequence % 50:04d}"
        path = f"/ocpi/2.2.1/receiver/locations/NL/SLO/{location_id}"
        return build_request(
            "PUT", path, host=f"{host}:{port}", headers=headers, body=template.body(location_id, sequence)
        )

    cpu_before = _tree_cpu(pid) if pid else 0.0
    front_before = _tree_cpu(pid, "ocpi_hub.front") if pid else 0.0
    result = run_load(host, port, factory, threads=args.threads, duration=args.duration, check=applied)
    cpu = _tree_cpu(pid) - cpu_before if pid else None
    summary = result.summary()
    if pid and cpu is not None and result.requests:
        summary["server_cpu_ms_per_request"] = round(1000 * cpu / result.requests, 2)
        front = _tree_cpu(pid, "ocpi_hub.front") - front_before
        summary["front_cpu_ms_per_request"] = round(1000 * front / result.requests, 2)
    return summary


class SlowClients:
    """``count`` slow-header and ``count`` slow-body connections, one byte a second each, from one thread."""

    def __init__(self, host: str, port: int, count: int, token: str) -> None:
        self.host, self.port, self.count, self.token = host, port, count, token
        self.stopping = threading.Event()
        self.opened = 0
        self.refused = 0
        self.closed_after: list[float] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while self.opened + self.refused < 2 * self.count and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        state: dict[socket.socket, list[Any]] = {}
        for index in range(2 * self.count):
            try:
                sock = socket.create_connection((self.host, self.port), 5)
            except OSError:
                self.refused += 1
                continue
            if index % 2:  # slow body: complete headers, then the body a byte at a time
                sock.sendall(
                    b"PUT /ocpi/2.2.1/receiver/locations/NL/SLO/X HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Token "
                    + self.token.encode()
                    + b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
                )
            else:  # slow headers: the request line, then one header byte at a time
                sock.sendall(b"GET /ocpi/versions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
            state[sock] = [time.monotonic(), index % 2]
            selector.register(sock, selectors.EVENT_READ)
            self.opened += 1
        last_tick = time.monotonic()
        while state and not self.stopping.is_set():
            for key, _ in selector.select(0.2):
                self._closed(key.fileobj, state, selector)  # type: ignore[arg-type]
            if time.monotonic() - last_tick >= 1.0:
                last_tick = time.monotonic()
                for sock in list(state):
                    try:
                        sock.send(b"1" if state[sock][1] else b"X")
                    except OSError:
                        self._closed(sock, state, selector)
        for sock in state:
            sock.close()

    def _closed(self, sock: socket.socket, state: dict[socket.socket, list[Any]], selector: Any) -> None:
        with contextlib.suppress(OSError):
            sock.recv(65536)
        if sock in state:
            self.closed_after.append(time.monotonic() - state.pop(sock)[0])
            selector.unregister(sock)
            sock.close()


def legitimate(host: str, port: int, token: str, duration: float) -> dict[str, Any]:
    """One authenticated GET after another, each on a new connection, for ``duration`` seconds."""
    raw = (
        f"GET /ocpi/versions HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Token {token}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    failures: dict[str, int] = {}
    end = time.monotonic() + duration
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            with socket.create_connection((host, port), LEGIT_TIMEOUT) as sock:
                sock.settimeout(LEGIT_TIMEOUT)
                sock.sendall(raw)
                answer = sock.recv(100)
            status = answer[9:12].decode(errors="replace") or "closed"
        except OSError as exc:
            status = type(exc).__name__
        if status == "200":
            latencies.append(time.monotonic() - started)
        else:
            failures[status] = failures.get(status, 0) + 1
            time.sleep(0.05)
    total = len(latencies) + sum(failures.values())
    ms = sorted(1000 * value for value in latencies)
    return {
        "requests": total,
        "answered_200": len(latencies),
        "success_pct": round(100 * len(latencies) / total, 1) if total else 0.0,
        "failures": failures,
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None,
        "max_ms": round(ms[-1], 1) if ms else None,
    }


def measure(host: str, port: int, token: str, args: argparse.Namespace, pid: int | None) -> dict[str, Any]:
    figures: dict[str, Any] = {"throughput": throughput(host, port, token, args, pid)}
    figures["legitimate_alone"] = legitimate(host, port, token, min(args.duration, 3.0))
    slow = SlowClients(host, port, args.slow, token)
    slow.start()
    started = time.monotonic()
    figures["legitimate_under_slow_clients"] = legitimate(host, port, token, args.duration)
    # keep the slow clients going until the header timeout has passed, to see the server close them
    header_timeout = float(os.environ.get("OCPI_HUB_HEADER_TIMEOUT", "10"))
    time.sleep(max(header_timeout + 2.0 - (time.monotonic() - started), 1.0))
    slow.stop()
    closed = sorted(slow.closed_after)
    figures["slow_connections"] = {
        "opened": slow.opened,
        "refused": slow.refused,
        "closed_by_server": len(closed),
        "closed_after_median_s": round(statistics.median(closed), 1) if closed else None,
    }
    return figures


def report(mode: str, figures: dict[str, Any], slow: int) -> None:
    put, alone = figures["throughput"], figures["legitimate_alone"]
    under, conns = figures["legitimate_under_slow_clients"], figures["slow_connections"]
    print(f"\n== {mode} ==")
    print(
        f"Location PUT: {put['rps']} req/s, p50 {put.get('p50_ms')} ms, p95 {put.get('p95_ms')} ms, "
        f"{put['errors']} errors, server CPU {put.get('server_cpu_ms_per_request', '?')} ms/request "
        f"(of which the front {put.get('front_cpu_ms_per_request', '?')})"
    )
    print(
        f"legitimate GET alone: {alone['success_pct']} % answered, p50 {alone['p50_ms']} ms, p95 {alone['p95_ms']} ms"
    )
    print(
        f"legitimate GET with {slow} slow-header + {slow} slow-body connections: {under['answered_200']}/"
        f"{under['requests']} answered ({under['success_pct']} %), p50 {under['p50_ms']} ms, p95 {under['p95_ms']} "
        f"ms, max {under['max_ms']} ms, failures {under['failures']}"
    )
    print(
        f"slow connections: {conns['opened']} opened, {conns['refused']} refused, "
        f"{conns['closed_by_server']} closed by the server (median after {conns['closed_after_median_s']} s)"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base",
        "DATABASE_URL": args.database_url,
        "PYTHONUNBUFFERED": "1",
        # one key for this process and the hub's (token hashes depend on it; the default lives in the var dir)
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or f"bench-slowloris-{os.urandom(16).hex()}",
    }
    os.environ.update({key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "DJANGO_SECRET_KEY")})
    os.environ.setdefault("OCPI_HUB_VAR_DIR", tempfile.mkdtemp(prefix="ocpi-bench-slowloris-"))
    if args.mode != "external":
        recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    from bench.parties import orm_party

    if args.mode != "external":
        call_command("migrate", verbosity=0, interactive=False)
    from ocpi_hub.api.authentication import encode_token

    cpo = orm_party(f"slowloris-{os.getpid()}", role="CPO", country_code="NL", party_id="SLO")
    token = encode_token(cpo.token)  # as it goes in the Authorization header
    from django.db import connections

    connections.close_all()
    modes = ["front", "gunicorn"] if args.mode == "both" else [args.mode]
    try:
        for mode in modes:
            if mode == "external":
                if not args.url:
                    raise SystemExit("--mode external needs --url")
                split = urlsplit(args.url)
                report(mode, measure(split.hostname or "127.0.0.1", split.port or 80, token, args, None), args.slow)
                continue
            hub = RunHub(env, *(["--no-front"] if mode == "gunicorn" else []))
            try:
                report(mode, measure("127.0.0.1", hub.port, token, args, hub.process.pid), args.slow)
            finally:
                hub.stop()
    finally:
        if args.mode != "external" and not args.keep:
            drop_database(args.database_url)


if __name__ == "__main__":
    main()
