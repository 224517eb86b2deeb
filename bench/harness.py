"""The run context shared by the scenarios: sizes, the served hub, its processes, parties, results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.client import Answer, Connection, build_request
from bench.procs import Child, CpuMeter, celery_worker, flush_redis_db, wait_log
from bench.sampling import Sampler, print_summary

API_VERSION = "2.2.1"


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is. ``FULL`` is the measurement, ``QUICK`` a smoke run (< 2 minutes)."""

    threads: int = 8
    duration: float = 16.0  # seconds of each throughput measurement (scenario and its paired baseline)
    rounds: int = 4  # alternating slices of the scenario and the baseline
    warmup: float = 3.0
    locations: int = 100_000
    page_samples: int = 9  # first/last page timings each, in pairs of random order
    emsps: int = 20
    isolated_pushes: int = 10  # latency scenario: PUTs one at a time (each after the previous reached all)
    pushes: int = 60  # latency scenario: PUTs at push_rate per second
    push_rate: float = 2.0  # PUTs per second in the latency scenario
    sessions: int = 200_000
    authorizations: int = 400
    fan_out_emsps: int = 200  # fan-out scenario: connected eMSPs (one more is down throughout)
    fan_out_rates: tuple[float, ...] = (1.0, 2.5, 5.0, 7.5)  # EVSE PATCHes per second, one phase each
    fan_out_seconds: float = 12.0  # length of each phase
    burst_emsps: int = 4  # burst scenario: connected eMSPs
    burst_patches: int = 2000  # EVSE PATCHes of the burst ...
    burst_seconds: float = 60.0  # ... spread evenly over this many seconds


FULL = Sizes()
QUICK = Sizes(
    duration=4.0,
    rounds=2,
    warmup=1.0,
    locations=10_000,
    page_samples=4,
    emsps=5,
    isolated_pushes=3,
    pushes=10,
    push_rate=4.0,
    sessions=20_000,
    authorizations=60,
    fan_out_emsps=20,
    fan_out_rates=(1.0, 5.0),
    fan_out_seconds=5.0,
    burst_patches=400,
    burst_seconds=12.0,
)


@dataclass
class Target:
    """One benchmark target: a figure compared with a limit (most as a ratio against the baseline)."""

    key: str
    title: str
    figure: float | None = None
    unit: str = ""
    baseline: float | None = None
    ratio: float | None = None
    limit: float = 0.0
    comparison: str = ">="  # figure/ratio ">=" limit, or "<" limit
    compared: str = "ratio"  # what is compared with the limit: "ratio" or "figure"
    passed: bool | None = None  # None: not measured (skipped)
    note: str = ""

    def judge(self) -> Target:
        value = self.ratio if self.compared == "ratio" else self.figure
        if value is None:
            self.passed = False
        elif self.comparison == ">=":
            self.passed = value >= self.limit
        else:
            self.passed = value < self.limit
        return self

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]


@dataclass
class Context:
    sizes: Sizes
    port: int
    env: dict[str, str]
    run_dir: Path
    meter: CpuMeter
    gunicorn: Child
    celery_concurrency: int
    celery_pool: str = ""
    say: Callable[[str], None] = print
    worker: Child | None = None
    wait_idle: float = 0.0
    baseline_factory: Callable[[int, int], bytes] | None = None
    sampler: Sampler = field(default_factory=lambda: Sampler(None, Path("/nonexistent")))
    parties: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    host: str = "127.0.0.1"
    version: str = API_VERSION

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def host_header(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    # ---- requests ------------------------------------------------------------------------------------

    def headers(self, party: Any, *, to: tuple[str, str] | None = None, extra: dict | None = None) -> dict:
        from ocpi_hub.api.authentication import encode_token

        headers = {
            "Authorization": f"Token {encode_token(party.token)}",
            "OCPI-from-country-code": party.country_code,
            "OCPI-from-party-id": party.party_id,
            "X-Request-ID": "bench",
            "X-Correlation-ID": "bench",
        }
        if to is not None:
            headers["OCPI-to-country-code"], headers["OCPI-to-party-id"] = to
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, party: Any, body: Any = None, **kwargs: Any) -> bytes:
        raw = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        return build_request(method, path, host=self.host_header, headers=self.headers(party, **kwargs), body=raw)

    def call(self, method: str, path: str, party: Any, body: Any = None, **kwargs: Any) -> Answer:
        connection = Connection(self.host, self.port)
        try:
            return connection.request(self.request(method, path, party, body, **kwargs))
        finally:
            connection.close()

    def resolves(self, path: str, method: str) -> str | None:
        """None if the hub routes ``method path`` to a view that implements it; else why not."""
        from django.urls import Resolver404, resolve

        try:
            match = resolve(path)
        except Resolver404:
            return f"no URL {path}"
        view_class = getattr(match.func, "view_class", None)
        if view_class is None:
            return f"{path} is not served by an OCPI view (yet)"
        if not hasattr(view_class, method.lower()):
            return f"{view_class.__name__} has no {method}"
        return None

    def wait_quiet(self, max_other_cores: float = 0.25) -> None:
        """Up to ``wait_idle`` seconds, until other processes use less than ``max_other_cores`` cores."""
        if self.wait_idle <= 0:
            return
        from bench.procs import Measure

        deadline = time.monotonic() + self.wait_idle
        while True:
            with Measure(self.meter) as measure:
                time.sleep(1.0)
            other = measure.cpu["other_cpu_s"] / measure.cpu["elapsed_s"]
            if other < max_other_cores or time.monotonic() >= deadline:
                self.say(f"  (other processes use {other:.2f} cores)")
                return
            time.sleep(2.0)

    # ---- the Celery worker ---------------------------------------------------------------------------

    def start_worker(self) -> Child:
        if self.worker is not None and self.worker.running:
            return self.worker
        flush_redis_db(self.env["CELERY_BROKER_URL"])
        self.worker = celery_worker(
            env=self.env, log_dir=self.run_dir, concurrency=self.celery_concurrency, pool=self.celery_pool
        ).start()
        wait_log(self.worker, "ready.", timeout=60)
        self.meter.set_group("celery", self.worker.pid)
        return self.worker

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.meter.set_group("celery", None)
            self.worker = None

    def wait_deliveries_drained(self, timeout: float = 120.0, *, ignore: tuple[int, ...] = ()) -> int:
        """Until no delivery is pending or in flight (returns how many were left at the timeout); rows of the
        receivers in ``ignore`` (one that is down throughout) are not waited for."""
        from parties.models import Delivery, DeliveryStatus

        deadline = time.monotonic() + timeout
        while True:
            rows = Delivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.IN_FLIGHT])
            left = rows.exclude(receiver_id__in=ignore).count()
            if left == 0 or time.monotonic() >= deadline:
                return left
            time.sleep(0.25)

    def profile(self, label: str) -> dict[str, Any] | None:
        """The py-spy summary of what was sampled under ``label`` (None without --py-spy); printed too."""
        summary = self.sampler.summary(label)
        print_summary(self.say, label, summary)
        return summary

    # ---- results -------------------------------------------------------------------------------------

    def record(self, key: str, data: dict[str, Any]) -> None:
        self.results[key] = data

    def add_target(self, target: Target) -> Target:
        self.targets.append(target)
        return target

    def targets_json(self) -> list[dict[str, Any]]:
        return [{**asdict(t), "verdict": t.verdict} for t in self.targets]
