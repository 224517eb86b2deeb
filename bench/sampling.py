"""Optional sampling profiles of the hub's processes while a scenario is measured (``--py-spy PATH``).

py-spy is not a dependency of the project: install it in a throwaway venv (``python -m venv /tmp/pyspy &&
/tmp/pyspy/bin/pip install py-spy``) and pass its path. While a measured phase runs, py-spy samples the web
workers (or the Celery workers) without stopping them; the stacks are summarised into the share of samples
per function (self and inclusive) and per area of the code (the hub's apps, Django's ORM, DRF, pydantic,
psycopg, gunicorn, ...). Idle threads (waiting for a request or a socket) are left out by py-spy.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")
AREAS = (  # first match wins: (area, substring of the file path)
    ("hub: locations", "/locations/"),
    ("hub: tariffs", "/tariffs/"),
    ("hub: sessions", "/sessions/"),
    ("hub: cdrs", "/cdrs/"),
    ("hub: tokens", "/tokens/"),
    ("hub: parties", "/parties/"),
    ("hub: ocpi_hub", "/ocpi_hub/"),
    ("django.db (ORM, SQL compiler)", "/django/db/"),
    ("rest_framework", "/rest_framework/"),
    ("django (other)", "/django/"),
    ("pydantic", "/pydantic"),
    ("psycopg", "/psycopg"),
    ("requests/urllib3", "/requests/"),
    ("requests/urllib3", "/urllib3/"),
    ("celery/kombu/redis", "/celery/"),
    ("celery/kombu/redis", "/kombu/"),
    ("celery/kombu/redis", "/redis/"),
    ("gunicorn", "/gunicorn/"),
    ("whitenoise", "/whitenoise/"),
    ("json", "/json/"),
    ("bench harness", "/bench/"),
)


def _area(path: str) -> str:
    """py-spy names files relative to their sys.path entry (``django/db/models/query.py``)."""
    path = "/" + path.lstrip("/")
    for area, marker in AREAS:
        if marker in path:
            return area
    return "stdlib and other"


class Sampler:
    """Starts py-spy on process trees and collects their raw stacks."""

    def __init__(self, py_spy: str | None, out_dir: Path, rate: int = 97):
        self.py_spy = py_spy
        self.out_dir = out_dir
        self.rate = rate

    @contextlib.contextmanager
    def sample(self, label: str, pids: list[int]) -> Iterator[None]:
        if not self.py_spy or not pids:
            yield
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        procs = []
        for pid in pids:
            out = self.out_dir / f"{label}-{pid}-{len(list(self.out_dir.glob(f'{label}-{pid}-[0-9]*.txt')))}.txt"
            command = [
                self.py_spy,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--nonblocking",
                "--gil",
                "--format",
                "raw",
                "--rate",
                str(self.rate),
                "--output",
                str(out),
            ]
            procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            yield
        finally:
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGINT)  # py-spy writes its output on SIGINT
            for proc in procs:
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def summary(self, label: str, top: int = 25) -> dict[str, Any] | None:
        # files are "<label>-<pid>-<n>.txt": the digit keeps "x" from matching "x-baseline-..."
        files = sorted(self.out_dir.glob(f"{label}-[0-9]*-[0-9]*.txt")) if self.py_spy else []
        if not files:
            return None
        return summarise(line for path in files for line in path.read_text(errors="replace").splitlines())


def summarise(lines: Any, top: int = 25) -> dict[str, Any]:
    """Shares of samples: per function (self, inclusive), per area of the code (self), for the hub's own
    functions (inclusive)."""
    total = 0
    self_fn: Counter[str] = Counter()
    inclusive_fn: Counter[str] = Counter()
    self_area: Counter[str] = Counter()
    hub_inclusive: Counter[str] = Counter()
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        names = []
        for frame in frames:
            match = FRAME.match(frame)
            function, path = (match.group("function"), match.group("file")) if match else (frame, "")
            names.append((f"{function} ({_short(path)})", path))
        leaf_name, leaf_path = names[-1]
        self_fn[leaf_name] += count
        self_area[_area(leaf_path)] += count
        for name in {name for name, _ in names}:
            inclusive_fn[name] += count
        for name in {name for name, path in names if _area(path).startswith("hub:")}:
            hub_inclusive[name] += count

    def shares(counter: Counter[str], n: int) -> list[tuple[str, float]]:
        return [(name, round(100 * value / total, 1)) for name, value in counter.most_common(n)] if total else []

    return {
        "samples": total,
        "self_by_area_pct": shares(self_area, 30),
        "self_by_function_pct": shares(self_fn, top),
        "inclusive_hub_functions_pct": shares(hub_inclusive, top),
        "inclusive_by_function_pct": shares(inclusive_fn, top),
    }


def _short(path: str) -> str:
    for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def print_summary(say: Any, label: str, summary: dict[str, Any] | None, top: int = 12) -> None:
    if not summary:
        return
    say(f"  py-spy {label}: {summary['samples']} samples")
    say("    self time by area: " + ", ".join(f"{name} {pct}%" for name, pct in summary["self_by_area_pct"][:10]))
    say("    hub functions (inclusive):")
    for name, pct in summary["inclusive_hub_functions_pct"][:top]:
        say(f"      {pct:5.1f}%  {name}")
