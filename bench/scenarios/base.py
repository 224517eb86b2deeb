"""What a scenario is, and the throughput measurement shared by the baseline and the ratio scenarios."""

from __future__ import annotations

from typing import Any

from bench.client import Answer, LoadResult, RequestFactory, run_load
from bench.harness import Context, Target
from bench.procs import Measure


class Scenario:
    """One benchmark. ``unavailable`` says why it cannot run yet (its module is not served by the hub), in
    which case its targets are reported as SKIP; ``run`` measures, records results and adds targets."""

    key = ""
    title = ""
    needs_worker = False

    def unavailable(self, ctx: Context) -> str | None:
        return None

    def target_titles(self) -> list[tuple[str, str]]:
        """(key, title) of the targets this scenario reports, for a SKIP line when it cannot run."""
        return []

    def run(self, ctx: Context) -> None:
        raise NotImplementedError


def per_request_cpu(cpu: dict[str, Any], requests: int) -> dict[str, float]:
    """CPU milliseconds per successful request, per group of processes."""
    if not requests:
        return {}
    return {name: round(seconds * 1000 / requests, 3) for name, seconds in cpu["cpu_s"].items()}


def throughput(ctx: Context, factory: RequestFactory, *, check: Any = None, label: str = "") -> dict[str, Any]:
    """Warm up, then a closed-loop measurement of ``ctx.sizes.duration`` seconds with ``ctx.sizes.threads``
    connections. Returns the summary with CPU use."""
    sizes = ctx.sizes
    kwargs = {"check": check} if check is not None else {}
    warm = run_load(ctx.host, ctx.port, factory, threads=sizes.threads, duration=sizes.warmup, **kwargs)
    if warm.requests == 0:
        raise RuntimeError(f"{label}: no successful request during warm-up: {warm.error_samples[:3]}")
    with Measure(ctx.meter) as measure:
        result = run_load(
            ctx.host,
            ctx.port,
            factory,
            threads=sizes.threads,
            duration=sizes.duration,
            start_index=10_000_000,
            **kwargs,
        )
    total = Totals()
    total.add(result, measure.cpu)
    summary = total.summary(sizes.threads)
    say_summary(ctx, label, summary)
    return summary


class Totals:
    """Load results and CPU accounting added up over several slices of a measurement."""

    def __init__(self) -> None:
        self.result = LoadResult()
        self.cpu: dict[str, Any] = {"cpu_s": {}, "other_cpu_s": 0.0, "elapsed_s": 0.0, "busy_s": 0.0}
        self.slices: list[float] = []

    def add(self, result: LoadResult, cpu: dict[str, Any]) -> None:
        self.result.requests += result.requests
        self.result.errors += result.errors
        self.result.elapsed += result.elapsed
        self.result.latencies.extend(result.latencies)
        self.result.error_samples.extend(result.error_samples[: 5 - len(self.result.error_samples)])
        for name, seconds in cpu["cpu_s"].items():
            self.cpu["cpu_s"][name] = round(self.cpu["cpu_s"].get(name, 0.0) + seconds, 3)
        self.cpu["other_cpu_s"] = round(self.cpu["other_cpu_s"] + cpu["other_cpu_s"], 3)
        self.cpu["elapsed_s"] = round(self.cpu["elapsed_s"] + cpu["elapsed_s"], 3)
        self.cpu["busy_s"] = round(self.cpu["busy_s"] + (cpu["machine_busy_pct"] or 0) / 100 * cpu["elapsed_s"], 3)
        self.cpu["cores"] = cpu["cores"]
        self.slices.append(round(result.rps, 1))

    def summary(self, threads: int) -> dict[str, Any]:
        summary = self.result.summary()
        summary["threads"] = threads
        summary["slices_rps"] = self.slices
        cpu = dict(self.cpu)
        capacity = cpu["elapsed_s"] * cpu.get("cores", 1)
        cpu["machine_busy_pct"] = round(100 * cpu.pop("busy_s") / capacity, 1) if capacity else None
        cpu["other_cores"] = round(cpu["other_cpu_s"] / cpu["elapsed_s"], 2) if cpu["elapsed_s"] else None
        summary["cpu"] = cpu
        summary["cpu_ms_per_request"] = per_request_cpu(cpu, self.result.requests)
        return summary


def server_cpu_ms(summary: dict[str, Any]) -> float | None:
    """Hub-side CPU per request: web workers + PostgreSQL backends + Redis (+ Celery when it runs)."""
    per = summary.get("cpu_ms_per_request") or {}
    parts = [per.get(name) for name in ("gunicorn", "postgres", "redis", "celery")]
    return round(sum(p for p in parts if p), 3) if any(parts) else None


def say_summary(ctx: Context, label: str, summary: dict[str, Any]) -> None:
    ctx.say(
        f"  {label}: {summary['rps']} req/s (slices {summary.get('slices_rps')}), p50 {summary['p50_ms']} ms, "
        f"p95 {summary['p95_ms']} ms, {summary['requests']} requests, {summary['errors']} errors; "
        f"CPU ms/request {summary['cpu_ms_per_request']}; other load {summary['cpu'].get('other_cores')} cores"
    )
    if summary["errors"] and summary["error_samples"]:
        ctx.say(f"    errors, e.g.: {summary['error_samples'][0][:300]}")


def paired_throughput(
    ctx: Context, factory: RequestFactory, *, key: str, check: Any = None, label: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario and the baseline measured in alternating slices (A B, B A, A B, ...), ``ctx.sizes.duration``
    seconds each in total, so that a change of the machine's load (other processes) hits both alike.
    Returns (scenario summary, paired baseline summary)."""
    sizes = ctx.sizes
    kwargs = {"check": check} if check is not None else {}
    baseline_factory = ctx.baseline_factory
    warm = run_load(ctx.host, ctx.port, factory, threads=sizes.threads, duration=sizes.warmup, **kwargs)
    if warm.requests == 0:
        raise RuntimeError(f"{label}: no successful request during warm-up: {warm.error_samples[:3]}")
    run_load(ctx.host, ctx.port, baseline_factory, threads=sizes.threads, duration=min(sizes.warmup, 1.0))
    scenario, baseline = Totals(), Totals()
    slice_seconds = sizes.duration / sizes.rounds
    for number in range(sizes.rounds):
        legs = [(baseline, baseline_factory, {}, f"{key}-baseline"), (scenario, factory, kwargs, key)]
        for totals, fac, extra, sample_label in legs if number % 2 == 0 else legs[::-1]:
            with ctx.sampler.sample(sample_label, [ctx.gunicorn.pid]), Measure(ctx.meter) as measure:
                result = run_load(
                    ctx.host,
                    ctx.port,
                    fac,
                    threads=sizes.threads,
                    duration=slice_seconds,
                    start_index=(number + 1) * 10_000_000,
                    **extra,
                )
            totals.add(result, measure.cpu)
    summary, paired = scenario.summary(sizes.threads), baseline.summary(sizes.threads)
    say_summary(ctx, label, summary)
    say_summary(ctx, "paired baseline", paired)
    summary["profile"] = ctx.profile(key)
    paired["profile"] = ctx.profile(f"{key}-baseline")
    return summary, paired


def ratio_target(
    key: str, title: str, summary: dict[str, Any], paired: dict[str, Any], ctx: Context, *, limit: float = 0.5
) -> Target:
    """A requests/s target as a ratio against the baseline slices measured alternately with it."""
    baseline = paired["rps"]
    figure = summary["rps"]
    target = Target(
        key=key,
        title=title,
        figure=figure,
        unit="req/s",
        baseline=baseline,
        ratio=round(figure / baseline, 3) if baseline else None,
        limit=limit,
        comparison=">=",
    )
    notes = []
    cost, base_cost = server_cpu_ms(summary), server_cpu_ms(paired)
    if cost and base_cost:
        notes.append(f"hub CPU {cost} ms/request vs baseline {base_cost} ms (CPU-cost ratio {base_cost / cost:.3f})")
    notes.append(f"other load on the machine {summary['cpu'].get('other_cores')} cores")
    if summary.get("errors"):
        notes.append(f"{summary['errors']} failed requests (not counted)")
    target.note = "; ".join(notes)
    target.judge()
    if summary.get("errors"):
        target.passed = False
    return ctx.add_target(target)


def applied(answer: Answer) -> str | None:
    """OCPI 1000 without a status_message: the push was applied (not stale, not unchanged)."""
    if not answer.ocpi_ok:
        return f"HTTP {answer.status}: {answer.body[:300]!r}"
    if b'"status_message"' in answer.body:
        return f"not applied: {answer.body[:300]!r}"
    return None


def alternating_throughput(
    ctx: Context, legs: dict[str, tuple[Any, ...]], *, label: str = ""
) -> dict[str, dict[str, Any]]:
    """Several request types (name -> (factory, check or None[, port: another server])) measured in
    alternating slices with the same client, the order rotated every round, so a change of the machine's load
    hits all alike. ``ctx.sizes.duration`` seconds of each in total. Returns each leg's summary."""
    sizes = ctx.sizes
    for name, (factory, check, *port) in legs.items():
        kwargs = {"check": check} if check is not None else {}
        warm = run_load(ctx.host, port[0] if port else ctx.port, factory, threads=sizes.threads,
                        duration=sizes.warmup, **kwargs)  # fmt: skip
        if warm.requests == 0:
            raise RuntimeError(f"{label} {name}: no successful request during warm-up: {warm.error_samples[:3]}")
    totals = {name: Totals() for name in legs}
    names = list(legs)
    slice_seconds = sizes.duration / sizes.rounds
    for number in range(sizes.rounds):
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order if number % 2 == 0 else order[::-1]:
            factory, check, *port = legs[name]
            kwargs = {"check": check} if check is not None else {}
            with ctx.sampler.sample(f"{label}-{name}", [ctx.gunicorn.pid]), Measure(ctx.meter) as measure:
                result = run_load(
                    ctx.host,
                    port[0] if port else ctx.port,
                    factory,
                    threads=sizes.threads,
                    duration=slice_seconds,
                    start_index=(number + 1) * 10_000_000,
                    **kwargs,
                )
            totals[name].add(result, measure.cpu)
    summaries = {name: total.summary(sizes.threads) for name, total in totals.items()}
    for name, summary in summaries.items():
        say_summary(ctx, f"{label} {name}", summary)
    return summaries


def cost_ratio(summary: dict[str, Any], reference: dict[str, Any]) -> float | None:
    """Hub CPU per request of ``summary`` over that of ``reference`` (how many times it costs)."""
    cost, base = server_cpu_ms(summary), server_cpu_ms(reference)
    return round(cost / base, 3) if cost and base else None
