"""The processes of a benchmark run: its PostgreSQL database, gunicorn, a Celery worker; and CPU accounting.

Every process is started here in its own process group and stopped by that group's id, never by name.
CPU use is read from /proc: per group of processes (hub web workers, Celery, the PostgreSQL backends of the
bench database, Redis, this harness including its load-generator threads and OcpiParty servers), and for
the whole machine, so that load from anything else on the machine shows up as "other".
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ----------------------------------------------------------------------------------------------------------
# PostgreSQL database of the run
# ----------------------------------------------------------------------------------------------------------


def _admin_connection(url: str) -> Any:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"
    return psycopg.connect(make_conninfo(**params), autocommit=True)


def database_name(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url)["dbname"])


def recreate_database(url: str) -> None:
    name = database_name(url)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = database_name(url)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis_db(url: str) -> None:
    """Empty the broker's Redis database (only the one the run uses, e.g. /9)."""
    import redis

    redis.Redis.from_url(url).flushdb()


# ----------------------------------------------------------------------------------------------------------
# child processes
# ----------------------------------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> Child:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to the child's own process group, SIGKILL to that group if it does not stop in time."""
        if not self.running:
            return
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def gunicorn(
    *,
    env: dict[str, str],
    port: int,
    workers: int,
    threads: int,
    log_dir: Path,
    access_log: bool,
    max_requests: int,
) -> Child:
    """The hub's web server as ``manage.py runhub`` runs it in production (gthread workers)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ocpi_hub.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "60",
        "--graceful-timeout",
        "10",
        "--keep-alive",
        "30",
        "--error-logfile",
        "-",
    ]
    if max_requests:
        command += ["--max-requests", str(max_requests), "--max-requests-jitter", str(max_requests // 10)]
    if access_log:
        command += ["--access-logfile", str(log_dir / "access.log")]
    from gunicorn.config import KNOWN_SETTINGS

    if any("--no-control-socket" in (setting.cli or []) for setting in KNOWN_SETTINGS):
        command.append("--no-control-socket")
    return Child("gunicorn", command, env, log_dir / "gunicorn.log")


def celery_worker(*, env: dict[str, str], log_dir: Path, concurrency: int = 0, pool: str = "") -> Child:
    """A Celery worker with embedded beat, on the default queue. Pool and concurrency are the project's
    settings (CELERY_WORKER_POOL / CELERY_WORKER_CONCURRENCY) unless given, as ``manage.py runhub`` does."""
    command = [
        sys.executable, "-m", "celery", "-A", "ocpi_hub", "worker", "--beat",
        "--loglevel", env.get("OCPI_HUB_LOG_LEVEL", "INFO"),
        "--hostname", f"bench-worker-{os.getpid()}@%h",
        "--schedule", str(log_dir / "celerybeat-schedule"),
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    if pool:
        command += ["--pool", pool]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    return Child("celery", command, env, log_dir / "celery.log")


def wait_http(port: int, child: Child, timeout: float = 60.0) -> None:
    """Until the server answers anything on /ocpi/versions (401 without a token)."""
    from bench.client import Connection, build_request

    deadline = time.monotonic() + timeout
    raw = build_request("GET", "/ocpi/versions", host=f"127.0.0.1:{port}")
    while time.monotonic() < deadline:
        if not child.running:
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        connection = Connection("127.0.0.1", port, timeout=5)
        try:
            connection.request(raw)
            return
        except OSError:
            time.sleep(0.2)
        except Exception:  # noqa: BLE001 - anything but a refused connection means it is up
            return
        finally:
            connection.close()
    raise RuntimeError(f"{child.name} did not answer within {timeout}s:\n{child.tail()}")


def wait_log(child: Child, marker: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running:
            raise RuntimeError(f"{child.name} exited:\n{child.tail()}")
        if marker in child.tail(200000):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{child.name} not ready within {timeout}s:\n{child.tail()}")


# ----------------------------------------------------------------------------------------------------------
# CPU accounting
# ----------------------------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


def _machine_busy() -> tuple[float, float]:
    """(busy seconds, total seconds) of all cores since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class CpuMeter:
    """CPU seconds per group of processes between two snapshots."""

    def __init__(self, *, groups: dict[str, int] | None = None, database: str = ""):
        self.groups = dict(groups or {})  # name -> process group id (our children)
        self.database = database

    def set_group(self, name: str, pgid: int | None) -> None:
        if pgid is None:
            self.groups.pop(name, None)
        else:
            self.groups[name] = pgid

    def snapshot(self) -> dict[str, float]:
        totals: dict[str, float] = dict.fromkeys(self.groups, 0.0)
        totals.update({"postgres": 0.0, "redis": 0.0})
        by_pgid = {pgid: name for name, pgid in self.groups.items()}
        own = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            fields = _stat_fields(pid)
            if fields is None:
                continue
            cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            group = by_pgid.get(int(fields[2]))
            if pid == own:
                totals["harness"] = cpu
            elif group is not None:
                if pid == self.groups[group]:  # the group leader also carries its reaped children
                    cpu += (int(fields[13]) + int(fields[14])) / CLOCK_TICKS
                totals[group] += cpu
            else:
                comm = _comm(pid)
                if comm == "postgres" and self.database and f" {self.database} " in _cmdline(pid):
                    totals[f"_pg{pid}"] = cpu  # per backend: see diff
                elif comm == "redis-server":
                    totals["redis"] += cpu
        busy, total = _machine_busy()
        totals["_machine_busy"] = busy
        totals["_machine_total"] = total
        return totals

    @staticmethod
    def diff(before: dict[str, float], after: dict[str, float], elapsed: float) -> dict[str, Any]:
        """CPU seconds per group over the interval, the machine's busy share, and the unexplained rest."""
        used = {
            name: round(max(after.get(name, 0.0) - before.get(name, 0.0), 0.0), 3)
            for name in after
            if not name.startswith("_")
        }
        # Per backend, so that a backend ending during the interval does not take its whole past with it
        # (summed first, the total would drop and read 0); one started during it counts from 0.
        used["postgres"] = round(
            sum(max(cpu - before.get(name, 0.0), 0.0) for name, cpu in after.items() if name.startswith("_pg")), 3
        )
        busy = after["_machine_busy"] - before["_machine_busy"]
        total = after["_machine_total"] - before["_machine_total"]
        cores = os.cpu_count() or 1
        return {
            "cpu_s": used,
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
            "other_cpu_s": round(max(busy - sum(used.values()), 0.0), 3),
            "cores": cores,
            "elapsed_s": round(elapsed, 3),
        }


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""


class Measure:
    """``with Measure(meter) as m: ...`` then ``m.cpu`` holds the CPU accounting of the block."""

    def __init__(self, meter: CpuMeter):
        self.meter = meter
        self.cpu: dict[str, Any] = {}

    def __enter__(self) -> Measure:
        self._before = self.meter.snapshot()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self._started
        self.cpu = CpuMeter.diff(self._before, self.meter.snapshot(), elapsed)
