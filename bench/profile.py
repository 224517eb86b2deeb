"""Where the time of one request goes: the hub's full Django stack (middleware, URL resolver, DRF, the view)
driven in-process by Django's test client against PostgreSQL, under cProfile, with every SQL query counted
and timed.

    .venv/bin/python -m bench.profile --what location_put --requests 300
    .venv/bin/python -m bench.profile --what evse_patch --clock none   # EVSE status PATCH, 4 receivers
    .venv/bin/python -m bench.profile --what cdr_post --sort cumulative --top 60
    .venv/bin/python -m bench.profile --what echo
    .venv/bin/python -m bench.profile --what drain --requests 2000   # the worker's side: one delivery
    .venv/bin/python -m bench.profile --what auth --requests 5000    # Token authentication, cache on / off
    .venv/bin/python -m bench.profile --what cdr_pricing --requests 500   # CDR POST with / without pricing

Uses its own database (``ocpi_bench_profile``, dropped at the end). No HTTP server: gunicorn's share (HTTP
parsing, the WSGI hop) is not in these figures, only what the hub's code does per request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ocpi_bench_profile"
WHAT = (
    "echo",
    "location_put",
    "evse_patch",
    "cdr_post",
    "location_page",
    "session_page",
    "drain",
    "fanout_drain",
    "auth",
    "cdr_pricing",
)


class SqlMeter:
    """A connection.execute_wrapper counting and timing every query."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.shapes: Counter[str] = Counter()

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1
            words = sql.split()
            if "SAVEPOINT" in words[:2]:  # savepoint names differ every time: count them together
                words = words[: words.index("SAVEPOINT") + 1]
            self.shapes[" ".join(words[:6])[:90]] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--what", choices=WHAT, default="location_put")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall", "none"),
        default="cpu",
        help="cpu: where this process burns CPU (default); wall: where it waits too (database round trips); "
        "none: no profiler, only the true per-request figures",
    )
    parser.add_argument("--rows", type=int, default=20_000, help="rows to seed for the page profiles")
    parser.add_argument("--output", help="also write the raw profile (for snakeviz, pstats)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    args = parser.parse_args(argv)

    from bench.procs import drop_database, recreate_database

    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/9"),
            "OCPI_HUB_BENCH_ENDPOINT": "1",
            "OCPI_HUB_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",  # the bench parties listen on loopback
            "OCPI_HUB_VAR_DIR": tempfile.mkdtemp(prefix="ocpi-bench-profile-"),
            "OCPI_HUB_BASE_URL": "http://127.0.0.1:8000",
        }
    )
    recreate_database(args.database_url)
    try:
        return _profile(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)


def _requests(args: argparse.Namespace, cpo: Any, emsp: Any) -> tuple[str, Any]:
    """(method, function(i) -> (path, body bytes or None, caller)) of the profiled request."""
    from bench.payloads import LocationTemplate, cdr, location, now_text

    version = "2.2.1"
    if args.what == "echo":
        body = json.dumps({"id": "bench", "last_updated": "2026-01-01T00:00:00Z", "value": 1}).encode()
        return "post", lambda i: ("/ocpi/bench/echo", body, cpo)
    if args.what == "location_put":
        template = LocationTemplate(cpo.country_code, cpo.party_id)

        def location_put(i: int) -> tuple[str, bytes, Any]:
            location_id = f"P-{i % 50:04d}"
            path = f"/ocpi/{version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/{location_id}"
            return path, template.body(location_id, i), cpo

        return "put", location_put
    if args.what == "evse_patch":
        return "patch", _evse_patches(cpo, version)
    if args.what == "cdr_post":
        from django.test import Client

        Client().put(
            f"/ocpi/{version}/receiver/locations/{cpo.country_code}/{cpo.party_id}/CDR-LOC-1",
            json.dumps(location(cpo.country_code, cpo.party_id, "CDR-LOC-1", last_updated=now_text())),
            content_type="application/json",
            **_auth(cpo),
        )
        doc = cdr(cpo=cpo.key, emsp=emsp.key, cdr_id="@ID@", location_id="CDR-LOC-1", token_uid="BENCHTOKEN00000001")
        doc.pop("session_id")
        text = json.dumps(doc, separators=(",", ":"))
        return "post", lambda i: (f"/ocpi/{version}/receiver/cdrs", text.replace("@ID@", f"P-{i:08d}").encode(), cpo)
    if args.what == "location_page":
        return "get", lambda i: (f"/ocpi/{version}/sender/locations?offset=0&limit=1000", None, emsp)
    return "get", lambda i: (f"/ocpi/{version}/sender/sessions?offset=0&limit=1000", None, emsp)


def _evse_patches(cpo: Any, version: str) -> Any:
    """EVSE status PATCHes over 50 Locations of 4 EVSEs, each a change (the statuses cycle), broadcast to four
    eMSPs whose Locations receiver is registered (their outbox rows are written; nothing is sent)."""
    from django.test import Client

    from bench.parties import orm_party
    from bench.payloads import LocationTemplate, ocpi_time

    for n in range(4):
        url = f"http://127.0.0.1:9/emsp{n}/ocpi/emsp/2.2.1/locations"
        orm_party(f"bench-emsp-{n}", role="EMSP", country_code="NL", party_id=f"PR{n}",
                  endpoints=[("locations", "RECEIVER", url)])  # fmt: skip
    template, client = LocationTemplate(cpo.country_code, cpo.party_id), Client()
    base = f"/ocpi/{version}/receiver/locations/{cpo.country_code}/{cpo.party_id}"
    start, sent = time.time() - 120, itertools.count()
    earlier = datetime.fromtimestamp(start - 3600, UTC)
    for n in range(50):
        body = template.body(f"P-{n:04d}", 0, earlier)
        client.put(f"{base}/P-{n:04d}", body, content_type="application/json", **_auth(cpo))

    def evse_patch(i: int) -> tuple[str, bytes, Any]:
        location_id, evse = f"P-{i % 50:04d}", (i // 50) % 4 + 1
        stamp = ocpi_time(datetime.fromtimestamp(start + next(sent) / 1000, UTC))  # 1 ms later each time
        status = ("OUTOFORDER", "INOPERATIVE")[(i // 200) % 2]  # each EVSE's next PATCH changes its status
        body = json.dumps({"status": status, "last_updated": stamp}).encode()
        return f"{base}/{location_id}/{location_id}-E{evse}", body, cpo

    return evse_patch


def _auth(party: Any) -> dict[str, str]:
    from ocpi_hub.api.authentication import encode_token

    return {
        "HTTP_AUTHORIZATION": f"Token {encode_token(party.token)}",
        "HTTP_OCPI_FROM_COUNTRY_CODE": party.country_code,
        "HTTP_OCPI_FROM_PARTY_ID": party.party_id,
    }


def _seed(args: argparse.Namespace, cpo: Any, emsp: Any) -> None:
    """Rows for the page profiles, seeded as the benchmarks do."""
    from bench.harness import Context

    if args.what not in ("location_page", "session_page"):
        return
    ctx = Context.__new__(Context)  # only .parties and .version are used by the seeders
    ctx.parties, ctx.version = {"cpo": cpo, "emsp": emsp}, "2.2.1"
    if args.what == "location_page":
        from bench.scenarios.location_paging import LocationPaging

        LocationPaging().seed(ctx, args.rows)
    else:
        from bench.scenarios.sessions_paging import SessionsPaging

        SessionsPaging().seed(ctx, args.rows)


def _answered_ok(what: str, response: Any) -> bool:
    ok = response.status_code in (200, 201) and b"1000" in response.content[-200:] + response.content[:200]
    if what == "evse_patch" and b"status_message" in response.content:
        return False  # acknowledged but not applied (stale, unchanged): not the path profiled
    return ok


def _profile(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench.parties import orm_party

    call_command("migrate", verbosity=0, interactive=False)
    special = {
        "drain": _profile_drain,
        "fanout_drain": _profile_fanout_drain,
        "auth": _profile_auth,
        "cdr_pricing": _profile_cdr_pricing,
    }.get(args.what)
    if special is not None:
        return special(args)
    cpo = orm_party("bench-cpo", role="CPO", country_code="DE", party_id="BCP")
    emsp = orm_party("bench-emsp", role="EMSP", country_code="NL", party_id="BEM")
    _seed(args, cpo, emsp)
    method, make = _requests(args, cpo, emsp)
    client = Client()

    def one(i: int) -> None:
        path, body, party = make(i)
        call = getattr(client, method)
        if body is None:
            response = call(path, **_auth(party))
        else:
            response = call(path, body, content_type="application/json", **_auth(party))
        if not _answered_ok(args.what, response):
            raise SystemExit(f"{method.upper()} {path}: {response.status_code} {response.content[:300]!r}")

    for i in range(min(50, args.requests)):  # warm-up: imports, caches, the first Locations
        one(i)
    meter = SqlMeter()
    if args.clock == "none":
        return _measure(args, one)
    profiler = cProfile.Profile(time.process_time) if args.clock == "cpu" else cProfile.Profile()
    started = time.perf_counter()
    cpu_started = time.process_time()
    with connection.execute_wrapper(meter):
        profiler.enable()
        for i in range(args.requests):
            one(10_000 + i)
        profiler.disable()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    n = args.requests
    print(
        f"{args.what}: {n} requests, {wall / n * 1000:.2f} ms wall and {cpu / n * 1000:.2f} ms CPU of this process "
        f"per request (under cProfile: inflated, compare shares); {meter.count / n:.1f} SQL queries per request "
        f"taking {meter.seconds / n * 1000:.2f} ms wall (client side, includes PostgreSQL's time)"
    )
    print("SQL per request:")
    for shape, count in meter.shapes.most_common(25):
        print(f"  {count / n:5.1f}  {shape}")
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats(args.sort).print_stats(args.top)
    print(stream.getvalue())
    if args.output:
        profiler.dump_stats(args.output)
        print(f"raw profile: {Path(args.output).resolve()}")
    return 0


def _profile_drain(args: argparse.Namespace) -> int:
    """One receiver's drains: ``--requests`` Location changes queued for it, drained under the profiler.
    The figure per delivery covers claim, render, HTTP call and record."""
    from django.db import connection
    from django.test import Client

    from bench.parties import orm_party
    from bench.payloads import LocationTemplate
    from bench.receivers import Receivers
    from parties.models import Delivery
    from parties.services.drain import receiver_drain

    receiver = Receivers(record=False)
    cpo = orm_party("bench-cpo", role="CPO", country_code="DE", party_id="BCP")
    emsp = orm_party(
        "bench-emsp",
        role="EMSP",
        country_code="NL",
        party_id="BEM",
        endpoints=[("locations", "RECEIVER", f"{receiver.url}/ocpi/emsp/2.2.1/locations")],
    )
    template, client = LocationTemplate(cpo.country_code, cpo.party_id), Client()

    def queue(count: int, start: int) -> None:
        for i in range(start, start + count):
            path = f"/ocpi/2.2.1/receiver/locations/{cpo.country_code}/{cpo.party_id}/P-{i:06d}"
            client.put(path, template.body(f"P-{i:06d}", i), content_type="application/json", **_auth(cpo))

    queue(200, 0)  # warm-up
    receiver_drain(emsp.platform.pk)
    queue(args.requests, 1000)
    meter = SqlMeter()
    profiler = cProfile.Profile(time.process_time)
    profiling = args.clock != "none"  # --clock none: the true figure, no profile
    cpu_started, started = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(meter):
        if profiling:
            profiler.enable()
        sent = 0
        while sent < args.requests:
            done = receiver_drain(emsp.platform.pk)
            if not done:
                break
            sent += done
        if profiling:
            profiler.disable()
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    left = Delivery.objects.filter(receiver=emsp.platform, status="pending").count()
    print(
        f"drain: {sent} deliveries ({left} left pending), {cpu / sent * 1000:.3f} ms CPU (this process, the "
        f"receiver thread included{', under cProfile' if profiling else ''}) and "
        f"{wall / sent * 1000:.3f} ms wall per delivery; "
        f"{meter.count / sent:.2f} SQL queries per delivery"
    )
    for shape, count in meter.shapes.most_common(15):
        print(f"  {count / sent:6.2f}  {shape}")
    if not profiling:
        return 0
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats(args.sort).print_stats(args.top)
    print(stream.getvalue())
    return 0


def _profile_fanout_drain(args: argparse.Namespace) -> int:
    """Broadcasts drained together: each Location change queued for 20 eMSPs, then one drain of all of them
    (``receivers_drain``, as a woken group's message runs it). ``--requests`` deliveries in all.

    Besides this process's CPU (the receivers' server threads included), it reports the drain thread's own
    CPU (``time.thread_time``) and its PostgreSQL backend's, and with ``--clock none`` splits the drain
    thread's CPU into its steps (claim, read, render, HTTP, record, leases) by timing the functions that do
    them (a few microseconds of timer per call)."""
    from django.db import connection
    from django.test import Client

    from bench.parties import orm_party
    from bench.payloads import LocationTemplate
    from bench.receivers import Receivers
    from parties.services.drain import receivers_drain

    receivers, count = Receivers(record=False), 20
    cpo = orm_party("bench-cpo", role="CPO", country_code="DE", party_id="BCP")
    ids = [
        orm_party(
            f"bench-emsp-{n}", role="EMSP", country_code="NL", party_id=f"E{n:02d}",
            endpoints=[("locations", "RECEIVER", f"{receivers.url_for(n)}/ocpi/emsp/2.2.1/locations")],
        ).platform.pk
        for n in range(count)
    ]  # fmt: skip
    template, client = LocationTemplate(cpo.country_code, cpo.party_id), Client()

    def broadcast(i: int) -> int:
        path = f"/ocpi/2.2.1/receiver/locations/{cpo.country_code}/{cpo.party_id}/P-{i % 50:06d}"
        client.put(path, template.body(f"P-{i % 50:06d}", i), content_type="application/json", **_auth(cpo))
        return receivers_drain(ids)

    for i in range(20):  # warm-up
        broadcast(i)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    meter = SqlMeter()
    profiler = cProfile.Profile(time.process_time)
    profiling = args.clock != "none"
    steps = None if profiling else _DrainSteps()
    sent, cpu_drain, cpu_thread, cpu_db = 0, 0.0, 0.0, 0.0
    for i in range(max(args.requests // count, 1)):
        path = f"/ocpi/2.2.1/receiver/locations/{cpo.country_code}/{cpo.party_id}/P-{i % 50:06d}"
        client.put(path, template.body(f"P-{i % 50:06d}", 1000 + i), content_type="application/json", **_auth(cpo))
        started, thread_started, db_started = time.process_time(), time.thread_time(), _process_cpu(backend)
        with connection.execute_wrapper(meter):
            if profiling:
                profiler.enable()
            sent += receivers_drain(ids)
            if profiling:
                profiler.disable()
        cpu_thread += time.thread_time() - thread_started
        cpu_drain += time.process_time() - started
        cpu_db += _process_cpu(backend) - db_started
    print(
        f"fan-out drain: {sent} deliveries to {count} receivers, {cpu_drain / sent * 1000:.3f} ms CPU per delivery "
        f"(this process, the receivers' server thread included{', under cProfile' if profiling else ''}); "
        f"the drain thread {cpu_thread / sent * 1000:.3f} ms, its PostgreSQL backend {cpu_db / sent * 1000:.3f} ms; "
        f"{meter.count / sent:.2f} SQL queries per delivery"
    )
    _print_drain_figures(args, meter, sent, steps, cpu_thread, profiler if profiling else None)
    return 0


def _print_drain_figures(
    args: argparse.Namespace, meter: SqlMeter, sent: int, steps: Any, cpu_thread: float, profiler: Any
) -> None:
    for shape, number in meter.shapes.most_common(15):
        print(f"  {number / sent:6.2f}  {shape}")
    if steps is not None:
        steps.restore()
        print("drain thread CPU per delivery by step (ms):")
        for name, seconds in steps.split(cpu_thread).items():
            print(f"  {seconds / sent * 1000:7.3f}  {name}")
    if profiler is not None:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats(args.sort).print_stats(args.top)
        print(stream.getvalue())


class _DrainSteps:
    """Times (thread CPU) the functions a shared drain's steps are made of, by wrapping them in place."""

    STEPS = (
        ("leases (start, end, wake)", "parties.rows", ("drain_start", "drain_end")),
        ("claim", "parties.rows", ("claim_due_many",)),
        ("read rows and receivers", "parties.services.drain", ("_batches_by_receiver",)),
        ("render", "parties.outbound", ("render",)),
        ("HTTP call", "parties.client", ("call",)),
        ("record", "parties.services.drain", ("_record", "_breakers_after")),
    )

    def __init__(self) -> None:
        import importlib

        self.spent: dict[str, float] = {}
        self.originals: list[tuple[Any, str, Any]] = []
        for step, module_name, names in self.STEPS:
            module = importlib.import_module(module_name)
            self.spent[step] = 0.0
            for name in names:
                if not hasattr(module, name):
                    continue
                original = getattr(module, name)
                self.originals.append((module, name, original))
                setattr(module, name, self._timed(step, original))

    def _timed(self, step: str, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[step] += time.thread_time() - started

        return timed

    def restore(self) -> None:
        for module, name, original in self.originals:
            setattr(module, name, original)

    def split(self, total: float) -> dict[str, float]:
        split = dict(self.spent)
        split["the rest (attempt rows, results, breaker checks, task glue)"] = total - sum(self.spent.values())
        return split


def _profile_auth(args: argparse.Namespace) -> int:
    """CPU of one Token authentication (``OcpiTokenAuthentication.authenticate``, as DRF calls it for every
    request), with the per-process token cache (``OCPI_HUB_TOKEN_CACHE``) on and off, alternating batches;
    this process and its PostgreSQL backend. 20 registered platforms, each batch cycling through them."""
    from django.conf import settings
    from django.db import connection
    from django.test import RequestFactory
    from rest_framework.request import Request

    from bench.parties import orm_party
    from ocpi_hub.api.authentication import OcpiTokenAuthentication

    parties = [orm_party(f"bench-{i}", role="CPO", country_code="DE", party_id=f"B{i:02d}") for i in range(20)]
    factory, auth = RequestFactory(), OcpiTokenAuthentication()
    requests = [Request(factory.get("/ocpi/versions", **_auth(party))) for party in parties]

    def batch(n: int) -> None:
        for i in range(n):
            caller = auth.authenticate(requests[i % len(requests)])
            assert caller is not None
            assert caller[1].platform.pk

    batch(200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    results: dict[bool, tuple[list[float], list[float]]] = {True: ([], []), False: ([], [])}
    for _ in range(5):
        for cached in (True, False):
            settings.OCPI_HUB_TOKEN_CACHE = cached
            batch(50)
            cpu_started, db_started = time.process_time(), _process_cpu(backend)
            batch(args.requests)
            results[cached][0].append((time.process_time() - cpu_started) / args.requests * 1000)
            results[cached][1].append((_process_cpu(backend) - db_started) / args.requests * 1000)
    for cached, (cpu, database) in results.items():
        print(
            f"auth, token cache {'on ' if cached else 'off'}: {args.requests} x 5, CPU per authentication "
            f"median {sorted(cpu)[2]:.3f} ms here (range {min(cpu):.3f}-{max(cpu):.3f}) + "
            f"{sorted(database)[2]:.3f} ms in PostgreSQL (range {min(database):.3f}-{max(database):.3f})"
        )
    return 0


def _profile_cdr_pricing(args: argparse.Namespace) -> int:
    """CDR POST (bench E1's CDR) with the tariff check and without it (``OCPI-Hub-Bench-Pricing: off``),
    alternating batches in one process: CPU of this process and its PostgreSQL backend per request."""
    from django.db import connection
    from django.test import Client

    from bench.parties import orm_party

    cpo = orm_party("bench-cpo", role="CPO", country_code="DE", party_id="BCP")
    emsp = orm_party("bench-emsp", role="EMSP", country_code="NL", party_id="BEM")
    _, make = _requests(argparse.Namespace(what="cdr_post"), cpo, emsp)
    client = Client()
    counter = iter(range(10**9))

    def batch(n: int, pricing: bool) -> None:
        extra = {} if pricing else {"HTTP_OCPI_HUB_BENCH_PRICING": "off"}
        for _ in range(n):
            path, body, party = make(next(counter))
            response = client.post(path, body, content_type="application/json", **_auth(party), **extra)
            if response.status_code != 201:
                raise SystemExit(f"POST {path}: {response.status_code} {response.content[:300]!r}")

    batch(100, True)
    batch(100, False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    results: dict[bool, list[float]] = {True: [], False: []}
    for number in range(6):
        for pricing in (True, False) if number % 2 == 0 else (False, True):
            cpu_started, db_started = time.process_time(), _process_cpu(backend)
            batch(args.requests, pricing)
            cpu = time.process_time() - cpu_started + _process_cpu(backend) - db_started
            results[pricing].append(cpu / args.requests * 1000)
    on, off = sorted(results[True]), sorted(results[False])
    pairs = sorted(a / b for a, b in zip(results[True], results[False], strict=True))
    print(
        f"cdr_pricing: {args.requests} x 6 per mode; CPU per CDR POST (this process + PostgreSQL): pricing on "
        f"median {on[3]:.3f} ms ({on[0]:.3f}-{on[-1]:.3f}), off median {off[3]:.3f} ms ({off[0]:.3f}-"
        f"{off[-1]:.3f}); on/off per pair of batches {', '.join(f'{x:.3f}' for x in pairs)} "
        f"(median {(pairs[2] + pairs[3]) / 2:.3f})"
    )
    return 0


def _measure(args: argparse.Namespace, one: Any) -> int:
    """No profiler: the median of five batches of CPU per request, of this process and of its PostgreSQL
    backend (read from /proc: the database runs on this machine), and of wall time."""
    from django.db import connection

    one(0)  # the connection is open
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    n, cpu, database, wall = args.requests, [], [], []
    for batch in range(5):
        started, cpu_started, db_started = time.perf_counter(), time.process_time(), _process_cpu(backend)
        for i in range(n):
            one(100_000 * (batch + 1) + i)
        cpu.append((time.process_time() - cpu_started) / n * 1000)
        database.append((_process_cpu(backend) - db_started) / n * 1000)
        wall.append((time.perf_counter() - started) / n * 1000)
    print(
        f"{args.what}: {n} requests x 5, median per request: {sorted(cpu)[2]:.3f} ms CPU here, "
        f"{sorted(database)[2]:.3f} ms CPU in PostgreSQL, {sorted(wall)[2]:.3f} ms wall"
    )
    return 0


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process of this machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    sys.exit(main())
