"""Paging through a large collection as an eMSP does: first page, Link after Link, to the last page.

Timing of a page = from sending the GET to having its whole body (JSON decoding is the client's business
and not timed). The target compares the median of ``page_samples`` timings of the last page with the median
of as many timings of the first page, taken in pairs (so a drift of the machine hits both alike) whose order
is random (so a periodic cost of the server does not always hit the same page), after one complete walk
through every page (which also checks that each object comes exactly once).
"""

from __future__ import annotations

import json
import random
import re
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection

from bench.client import Connection
from bench.harness import Context, Target
from bench.procs import Measure

LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _get(ctx: Context, conn: Connection, path: str, party: Any) -> tuple[float, Any]:
    raw = ctx.request("GET", path, party)
    started = time.perf_counter()
    answer = conn.request(raw)
    elapsed = time.perf_counter() - started
    if not answer.ocpi_ok:
        raise RuntimeError(f"GET {path}: HTTP {answer.status} {answer.body[:300]!r}")
    return elapsed, answer


def walk(ctx: Context, first_path: str, party: Any, *, id_of: Any, label: str) -> dict[str, Any]:
    """Follow the Link headers from ``first_path`` to the end; time every page; check completeness."""
    conn = Connection(ctx.host, ctx.port)
    seen: set[Any] = set()
    times: list[float] = []
    sizes: list[int] = []
    total_header = None
    path: str | None = first_path
    duplicates = 0
    try:
        with ctx.sampler.sample(label, [ctx.gunicorn.pid]), Measure(ctx.meter) as measure:
            while path is not None:
                elapsed, answer = _get(ctx, conn, path, party)
                data = json.loads(answer.body)["data"]
                for item in data:
                    key = id_of(item)
                    duplicates += key in seen
                    seen.add(key)
                times.append(elapsed)
                sizes.append(len(answer.body))
                total_header = answer.header("X-Total-Count")
                link = answer.header("Link")
                match = LINK_NEXT.search(link or "")
                path = _path_of(match.group(1)) if match else None
    finally:
        conn.close()
    return {
        "pages": len(times),
        "objects": len(seen),
        "duplicates": duplicates,
        "x_total_count": int(total_header) if total_header else None,
        "page_ms": [round(t * 1000, 1) for t in times],
        "page_bytes_first": sizes[0] if sizes else 0,
        "walk_s": round(sum(times), 3),
        "cpu": measure.cpu,
        "last_path": None,
    }


def first_and_last(ctx: Context, first_path: str, last_path: str, party: Any, samples: int) -> dict[str, Any]:
    """``samples`` timings of each page, in pairs whose order is drawn at random (seeded): a strict
    alternation lets a periodic cost of the server (a full garbage collection every other request, say)
    fall on the same page every time, which showed as a 1.6-2x difference that was not the offset's."""
    chooser = random.Random(20261121)
    conn = Connection(ctx.host, ctx.port)
    times: dict[str, list[float]] = {"first": [], "last": []}
    paths = {"first": first_path, "last": last_path}
    try:
        for _ in range(samples):
            order = ["first", "last"]
            chooser.shuffle(order)
            for name in order:
                times[name].append(_get(ctx, conn, paths[name], party)[0])
    finally:
        conn.close()
    firsts, lasts = times["first"], times["last"]
    return {
        "first_ms": [round(t * 1000, 1) for t in firsts],
        "last_ms": [round(t * 1000, 1) for t in lasts],
        "first_median_ms": round(statistics.median(firsts) * 1000, 1),
        "last_median_ms": round(statistics.median(lasts) * 1000, 1),
    }


def explain(sql: str, params: list[Any]) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of a query, for the report when a paging target fails."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def paging_scenario(
    ctx: Context,
    *,
    key: str,
    target_key: str,
    title: str,
    list_path: str,
    party: Any,
    expected: int,
    id_of: Any,
    queryset: Any = None,
) -> None:
    """Walk, then time first and last page alternately; the target is last/first < 1.5."""
    limit = settings.OCPI_HUB_PAGE_LIMIT
    first_path = f"{list_path}?offset=0&limit={limit}"
    ctx.say(f"  walking {expected} objects in pages of {limit} ...")
    walked = walk(ctx, first_path, party, id_of=id_of, label=key)
    walked["profile"] = ctx.profile(key)
    pages = walked["page_ms"]
    ctx.say(
        f"  walk: {walked['pages']} pages, {walked['objects']} objects ({walked['duplicates']} duplicates) "
        f"in {walked['walk_s']} s; page ms first {pages[0] if pages else '-'} last {pages[-1] if pages else '-'}"
    )
    last_offset = max(((walked["objects"] - 1) // limit) * limit, 0)
    last_path = f"{list_path}?offset={last_offset}&limit={limit}"
    timed = first_and_last(ctx, first_path, last_path, party, ctx.sizes.page_samples)
    ctx.say(f"  first page median {timed['first_median_ms']} ms, last page median {timed['last_median_ms']} ms")
    result = {**walked, **timed, "limit": limit, "expected": expected, "last_path": last_path}
    if queryset is not None:  # the page's queries (ordered as OcpiPagination orders them), explained
        ordered = queryset()
        keys = ordered.values_list("pk", flat=True)
        for name, offset in (("first", 0), ("last", last_offset)):
            # the offset step: the page's keys (OcpiPagination's deferred join), and the plain OFFSET form
            sql, params = keys[offset : offset + limit].query.sql_with_params()
            result[f"explain_{name}"] = explain(sql, list(params))
            sql, params = ordered[offset : offset + limit].query.sql_with_params()
            result[f"explain_{name}_plain_offset"] = explain(sql, list(params))
        sql, params = ordered.order_by().query.sql_with_params()
        result["explain_count"] = explain(f"SELECT COUNT(*) FROM ({sql}) AS counted", list(params))
    ctx.record(key, result)
    ratio = timed["last_median_ms"] / timed["first_median_ms"] if timed["first_median_ms"] else None
    target = Target(
        key=target_key,
        title=title,
        figure=timed["last_median_ms"],
        unit="ms (last page)",
        baseline=timed["first_median_ms"],
        ratio=round(ratio, 3) if ratio else None,
        limit=1.5,
        comparison="<",
    )
    problems = []
    if walked["objects"] != expected:
        problems.append(f"walk returned {walked['objects']} of {expected} objects")
    if walked["duplicates"]:
        problems.append(f"{walked['duplicates']} duplicates")
    target.note = "; ".join([*problems, f"full walk {walked['walk_s']} s"])
    target.judge()
    if problems:
        target.passed = False
    ctx.add_target(target)
