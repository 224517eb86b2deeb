"""Run the benchmarks against the hub served as in production.

    .venv/bin/python -m bench.run --scenario all            # the measurement (4-9 minutes)
    .venv/bin/python -m bench.run --scenario all --quick    # smoke run, smaller sizes (about a minute)
    .venv/bin/python -m bench.run --scenario B,C            # some scenarios (the baseline always runs)

Sets up everything itself: a fresh PostgreSQL database (``ocpi_bench``, dropped at the end), the Redis
broker database /9 (flushed), migrations, parties, gunicorn (gthread) and, for the latency scenario, a
Celery worker. Prints a table, writes JSON (bench/results/latest.json) and exits 1 if a measured target is
missed (2 with --require-all when a scenario could not run). Everything listens on and talks to 127.0.0.1.
See docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform as platform_module
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ocpi_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/9"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="all", help="all, or a comma list of keys/letters: B,C,D,F,E,E1,E2,E3")
    parser.add_argument("--quick", action="store_true", help="smaller sizes for a smoke run (< 2 minutes)")
    parser.add_argument("--threads", type=int, help="client connections of the throughput phases (default 8)")
    parser.add_argument("--duration", type=float, help="seconds of each throughput measurement (default 16, quick 4)")
    parser.add_argument("--locations", type=int, help="Locations to page through (default 100000)")
    parser.add_argument("--sessions", type=int, help="Sessions to page through (default 200000)")
    parser.add_argument("--emsps", type=int, help="eMSPs of the latency scenario (default 20)")
    parser.add_argument("--fan-out-emsps", type=int, help="connected eMSPs of scenario F (default 200, quick 20)")
    parser.add_argument(
        "--fan-out-rates",
        help="scenario F's EVSE PATCHes per second, one phase each, comma-separated (default 1,2.5,5,7.5)",
    )
    parser.add_argument("--fan-out-seconds", type=float, help="length of each phase of scenario F (default 12)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (default 2, as runhub)")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument(
        "--celery-concurrency", type=int, default=16, help="Celery worker threads (default 16, as in production)"
    )
    parser.add_argument(
        "--celery-pool", default="", help="Celery worker pool (default: the project's CELERY_WORKER_POOL)"
    )
    parser.add_argument("--max-requests", type=int, default=0, help="gunicorn --max-requests (default 0: off)")
    parser.add_argument("--access-log", action="store_true", help="gunicorn access log (to the run directory)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        help="before each scenario, wait up to this many seconds for other processes to go quiet",
    )
    parser.add_argument(
        "--py-spy",
        metavar="PATH",
        help="py-spy binary (from a throwaway venv): sample the hub's processes during each measured phase",
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database at the end")
    parser.add_argument("--require-all", action="store_true", help="exit 2 when a scenario could not run")
    return parser.parse_args(argv)


def selected(spec: str) -> list[str]:
    from bench.scenarios import ALIASES, ORDER

    if spec.strip().lower() in ("all", ""):
        return list(ORDER)
    keys: list[str] = []
    for item in spec.split(","):
        item = item.strip()
        if item.lower() == "baseline" or item.upper() == "A":
            continue
        for key in ALIASES.get(item.upper(), item).split(","):
            if key not in ORDER:
                raise SystemExit(f"unknown scenario {item!r}; known: {', '.join(ORDER)} or {', '.join(ALIASES)}")
            if key not in keys:
                keys.append(key)
    return [key for key in ORDER if key in keys]


def check_loopback(*urls: str) -> None:
    for url in urls:
        host = urlsplit(url).hostname or ""
        if host not in LOOPBACK:
            raise SystemExit(f"refusing {url}: the benchmarks only talk to 127.0.0.1")


def sizes_from(args: argparse.Namespace) -> Any:
    from bench.harness import FULL, QUICK

    sizes = QUICK if args.quick else FULL
    overrides = {
        name: getattr(args, name)
        for name in ("threads", "duration", "locations", "sessions", "emsps", "fan_out_emsps", "fan_out_seconds")
        if getattr(args, name) is not None
    }
    if args.fan_out_rates:
        overrides["fan_out_rates"] = tuple(float(rate) for rate in args.fan_out_rates.split(","))
    return dataclasses.replace(sizes, **overrides)


def environment(args: argparse.Namespace, port: int, run_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            "OCPI_HUB_BASE_URL": f"http://127.0.0.1:{port}",
            "OCPI_HUB_BENCH_ENDPOINT": "1",
            "OCPI_HUB_VAR_DIR": str(run_dir / "var"),
            "DJANGO_DEBUG": "0",
            "OCPI_HUB_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",  # the bench parties listen on loopback
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.pop("OCPI_HUB_TEST_QUEUE", None)
    return env


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "kernel": platform_module.release(),
        "python": platform_module.python_version(),
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    with contextlib.suppress(Exception):
        import celery
        import django
        import gunicorn
        import psycopg
        import rest_framework

        info.update(
            django=django.get_version(),
            drf=rest_framework.VERSION,
            gunicorn=gunicorn.__version__,
            celery=celery.__version__,
            psycopg=psycopg.__version__,
        )
    with contextlib.suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            info["postgresql"] = cursor.fetchone()[0]
    with contextlib.suppress(Exception):
        import redis

        info["redis"] = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).info()["redis_version"]
    with contextlib.suppress(Exception):
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True)
        info["git"] = head.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    info["source_digest"] = source_digest()
    return info


def source_digest() -> str:
    """SHA-256 (first 12 hex) of the hub's Python sources as they are on disk: the tree changes under
    uncommitted work, this names the exact code a run measured."""
    import hashlib

    digest = hashlib.sha256()
    for package in ("ocpi_hub", "parties", "locations", "tariffs", "sessions", "cdrs", "tokens", "errors"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "/tests/" in str(path) or "/migrations/" in str(path):
                continue
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def print_table(targets: list[Any]) -> None:
    rows = [("Target", "Figure", "Baseline", "Ratio", "Limit", "Result")]
    for t in targets:
        figure = "-" if t.figure is None else f"{t.figure:g} {t.unit}"
        baseline = "-" if t.baseline is None else f"{t.baseline:g}"
        ratio = "-" if t.ratio is None else f"{t.ratio:g}"
        limit = f"{'ratio' if t.compared == 'ratio' else 'figure'} {t.comparison} {t.limit:g}"
        rows.append((f"{t.key}. {t.title}", figure, baseline, ratio, limit, t.verdict))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    line = "  ".join("-" * w for w in widths)
    print(line)
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if index == 0:
            print(line)
    print(line)
    for t in targets:
        if t.note:
            print(f"  {t.key}: {t.note}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    check_loopback(args.database_url, args.broker_url)
    keys = selected(args.scenario)
    sizes = sizes_from(args)
    run_dir = Path(tempfile.mkdtemp(prefix="ocpi-bench-"))
    from bench.procs import (
        CpuMeter,
        database_name,
        drop_database,
        flush_redis_db,
        free_port,
        gunicorn,
        recreate_database,
        wait_http,
    )

    port = free_port()
    env = environment(args, port, run_dir)
    os.environ.update(env)
    started_at = datetime.now(UTC)
    clock = time.perf_counter()
    print(f"bench: {'quick' if args.quick else 'full'} run of {', '.join(['baseline', *keys])}; logs in {run_dir}")

    recreate_database(args.database_url)
    flush_redis_db(args.broker_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0, interactive=False)
    info = machine()
    from django.conf import settings as django_settings

    celery_pool = args.celery_pool or getattr(django_settings, "CELERY_WORKER_POOL", "prefork")
    from bench.harness import Context, Target
    from bench.parties import orm_party
    from bench.sampling import Sampler
    from bench.scenarios import load
    from bench.scenarios.base import server_cpu_ms
    from bench.scenarios.baseline import Baseline

    by_key = load()

    server = gunicorn(
        env=env,
        port=port,
        workers=args.web_workers,
        threads=args.web_threads,
        log_dir=run_dir,
        access_log=args.access_log,
        max_requests=args.max_requests,
    )
    meter = CpuMeter(database=database_name(args.database_url))
    ctx = Context(
        sizes=sizes,
        port=port,
        env=env,
        run_dir=run_dir,
        meter=meter,
        gunicorn=server,
        celery_concurrency=args.celery_concurrency,
        celery_pool=args.celery_pool,
        wait_idle=args.wait_idle,
        sampler=Sampler(args.py_spy, run_dir / "py-spy"),
    )
    exit_code = 0
    try:
        ctx.parties["cpo"] = orm_party("bench-cpo", role="CPO", country_code="DE", party_id="BCP")
        ctx.parties["emsp"] = orm_party("bench-emsp", role="EMSP", country_code="NL", party_id="BEM")
        connections.close_all()
        server.start()
        wait_http(port, server)
        meter.set_group("gunicorn", server.pid)
        print(f"hub: gunicorn gthread {args.web_workers}x{args.web_threads} on {ctx.base_url}")

        baseline = Baseline()
        reason = baseline.unavailable(ctx)
        if reason:
            raise SystemExit(f"the baseline endpoint is not served: {reason}")
        print(f"\n== {baseline.title}")
        ctx.wait_quiet()
        baseline.run(ctx)
        skipped = []
        for key in keys:
            scenario = by_key[key]
            print(f"\n== {scenario.title}")
            reason = scenario.unavailable(ctx)
            if reason:
                print(f"  SKIP: {reason}")
                skipped.append(key)
                for target_key, title in scenario.target_titles():
                    ctx.add_target(Target(key=target_key, title=title, note=f"not measured: {reason}"))
                ctx.record(key, {"skipped": reason})
                continue
            ctx.wait_quiet()
            before = len(ctx.targets)
            try:
                scenario.run(ctx)
            except Exception as exc:  # noqa: BLE001 - report, go on with the other scenarios
                trace = traceback.format_exc()
                print(f"  ERROR: {exc!r}\n{trace}")
                ctx.record(key, {"error": repr(exc), "traceback": trace})
                if len(ctx.targets) == before:
                    for target_key, title in scenario.target_titles():
                        ctx.add_target(Target(key=target_key, title=title, passed=False, note=f"error: {exc!r}"[:300]))
        ctx.targets.insert(
            0,
            Target(
                key="A",
                title="Baseline POST /ocpi/bench/echo",
                figure=ctx.baseline["rps"],
                unit="req/s",
                passed=True,
                compared="figure",
                comparison=">=",
                limit=0,
                note=f"p50 {ctx.baseline['p50_ms']} ms, p95 {ctx.baseline['p95_ms']} ms at {sizes.threads} "
                "connections, "
                f"hub CPU {server_cpu_ms(ctx.baseline)} ms/request, other load {ctx.baseline['cpu']['other_cores']} "
                "cores (measured alone at the start; each ratio uses the baseline slices paired with it)",
            ),
        )
        failed = [t for t in ctx.targets if t.passed is False]
        exit_code = 1 if failed else (2 if skipped and args.require_all else 0)
    finally:
        ctx.stop_worker()
        server.stop()
        connections.close_all()
        if not args.keep_db:
            drop_database(args.database_url)
    elapsed = time.perf_counter() - clock
    report = {
        "date": started_at.isoformat(timespec="seconds"),
        "command": "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:]),
        "mode": "quick" if args.quick else "full",
        "elapsed_s": round(elapsed, 1),
        "machine": info,
        "server": {
            "gunicorn": f"gthread, {args.web_workers} workers x {args.web_threads} threads, keep-alive 30 s, "
            f"max-requests {args.max_requests or 'off'}, access log {'on' if args.access_log else 'off'}",
            "celery": f"pool {celery_pool}, concurrency {args.celery_concurrency}, embedded beat",
            "database": database_name(args.database_url),
            "broker": args.broker_url,
        },
        "sizes": dataclasses.asdict(sizes),
        "targets": ctx.targets_json(),
        "results": ctx.results,
        "exit_code": exit_code,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print()
    print_table(ctx.targets)
    print(f"\n{len(ctx.targets)} targets; results in {output}; {elapsed:.0f} s; exit {exit_code}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
