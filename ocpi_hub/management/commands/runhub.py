"""Run the whole hub in the foreground: the front and gunicorn (web), a Celery worker and Celery beat.

The public port belongs to the front (``ocpi_hub/front.py``), an asyncio process that reads each request whole,
under the header and body timeouts and the connection limit of the settings, before it hands it to gunicorn
over a unix socket: slow clients hold no gunicorn thread. ``--no-front`` binds gunicorn to the port itself.

A small supervisor. It prepares the database and static files and starts each process in its own process
group. A process that exits by itself is started again after a pause that doubles with each quick crash
(the others keep running: the web keeps serving while the worker restarts); only ``--max-restarts`` exits
of one process within ``--restart-window`` seconds stop the hub (exit status 1). SIGINT/SIGTERM/SIGHUP
stop them all (exit status 0). A process that does not stop within ``--stop-timeout`` seconds is killed
with its whole process group. On Linux the children also get SIGTERM if the supervisor itself is killed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    exits: list[float] = field(default_factory=list)  # monotonic times of its recent exits
    restart_at: float | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _die_with_parent(parent_pid: int) -> Any:
    """A pre-exec hook: the child gets SIGTERM when the supervisor dies, even by SIGKILL (Linux only)."""

    def hook() -> None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            return
        if os.getppid() != parent_pid:  # the supervisor died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return hook if sys.platform.startswith("linux") else None


def _signal_group(child: Child, signum: int) -> None:
    if child.process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.process.pid, signum)


class Supervisor:
    """Starts the children, waits for a stop signal or a child's exit, then stops every child."""

    def __init__(
        self,
        children: list[Child],
        *,
        env: dict[str, str],
        cwd: Path,
        stop_timeout: float,
        write: Any,
        max_restarts: int = 5,
        restart_window: float = 60.0,
    ) -> None:
        self.children = children
        self.env = env
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.write = write
        self.max_restarts = max_restarts
        self.restart_window = restart_window
        self.stop_signal: int | None = None

    def run(self) -> Child | None:
        """Returns the child that exited on its own, or None if a signal asked us to stop."""
        previous = {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
        try:
            self._start_all()
            return self._watch()
        finally:
            self._stop_all()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum

    def _start_all(self) -> None:
        for child in self.children:
            if self.stop_signal is not None:
                return
            self._start(child)

    def _start(self, child: Child) -> None:
        child.restart_at = None
        child.process = subprocess.Popen(
            child.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        self.write(f"runhub: started {child.name} (pid {child.process.pid})")

    def _watch(self) -> Child | None:
        while self.stop_signal is None:
            for child in self.children:
                if self._exited(child) and not self._schedule_restart(child):
                    return child
                if child.restart_at is not None and time.monotonic() >= child.restart_at:
                    self._start(child)
            time.sleep(0.2)
        self.write(f"runhub: {signal.Signals(self.stop_signal).name} received, stopping")
        return None

    @staticmethod
    def _exited(child: Child) -> bool:
        return child.restart_at is None and child.process is not None and child.process.poll() is not None

    def _schedule_restart(self, child: Child) -> bool:
        """Plan the restart of a child that exited; False when it crashed too often to go on."""
        now = time.monotonic()
        child.exits = [t for t in child.exits if now - t < self.restart_window] + [now]
        status = child.process.returncode if child.process else "?"
        _signal_group(child, signal.SIGKILL)  # what it left behind (pool processes) goes with it
        if len(child.exits) > self.max_restarts:
            self.write(f"runhub: {child.name} exited {len(child.exits)} times in {self.restart_window:g} s; stopping")
            return False
        pause = min(0.5 * 2 ** (len(child.exits) - 1), 30.0)
        child.restart_at = now + pause
        self.write(f"runhub: {child.name} exited with status {status}; restarting it in {pause:g} s")
        return True

    def _stop_all(self) -> None:
        for child in self.children:
            if child.running and child.process is not None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                self.write(f"runhub: {child.name} did not stop in {self.stop_timeout:g} s, killing it")
            # Whatever is left in the child's process group (pool processes, a stuck master) goes now.
            _signal_group(child, signal.SIGKILL)
            child.process.wait()


class Command(BaseCommand):
    help = (
        "Run the hub in the foreground: migrate, collect static files, then the front and gunicorn behind it, "
        "a Celery worker and Celery beat. Ctrl-C stops everything; if one process dies, the others are stopped too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT") or 8000),
            help="Port of the web server (default: $PORT or 8000).",
        )
        parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default: 127.0.0.1).")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default 2).")
        parser.add_argument("--web-threads", type=int, default=4, help="Threads per gunicorn worker (default 4).")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=0,
            help="Celery worker concurrency (default: OCPI_HUB_WORKER_CONCURRENCY; pool: OCPI_HUB_WORKER_POOL).",
        )
        parser.add_argument(
            "--no-front",
            action="store_true",
            help="Let gunicorn own the port (no buffering front: slow clients can hold its threads).",
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start the Celery worker.")
        parser.add_argument("--no-beat", action="store_true", help="Do not start Celery beat.")
        parser.add_argument(
            "--no-migrate", action="store_true", help="Skip migrate and collectstatic (when a deploy step runs them)."
        )
        parser.add_argument(
            "--max-restarts",
            type=int,
            default=5,
            help="Restarts of one process within --restart-window before the hub stops (default 5; 0: never restart).",
        )
        parser.add_argument(
            "--restart-window", type=float, default=60.0, help="Seconds over which restarts are counted (default 60)."
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="Seconds the processes get to stop before they are killed (default 10).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
            call_command("collectstatic", interactive=False, verbosity=0)
        children = self._children(options)
        supervisor = Supervisor(
            children,
            env=self._child_env(options),
            cwd=Path(settings.BASE_DIR),
            stop_timeout=options["stop_timeout"],
            write=self._say,
            max_restarts=options["max_restarts"],
            restart_window=options["restart_window"],
        )
        self._say(
            f"runhub: starting the hub on http://{options['host']}:{options['port']}/ocpi/versions "
            f"(settings {settings.SETTINGS_MODULE}); Ctrl-C stops"
        )
        died = supervisor.run()
        if died is not None:
            raise CommandError(
                f"{died.name} exited with status {died.process.returncode if died.process else '?'} "
                f"{len(died.exits)} times; stopped the others",
                returncode=1,
            )
        self._say("runhub: stopped")

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()

    def _child_env(self, options: dict[str, Any]) -> dict[str, str]:
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = settings.SETTINGS_MODULE
        env["PORT"] = str(options["port"])  # the default OCPI_HUB_BASE_URL follows the port
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _children(self, options: dict[str, Any]) -> list[Child]:
        children = [Child("web", self._web_command(options))]
        if not options["no_front"]:
            children.append(Child("front", self._front_command(options)))
        celery = [sys.executable, "-m", "celery", "-A", "ocpi_hub"]
        loglevel = ["--loglevel", os.environ.get("OCPI_HUB_LOG_LEVEL", "INFO")]
        if not options["no_worker"]:
            # gossip, mingle and heartbeats talk to other workers over broadcast: not needed here.
            pool = ["--concurrency", str(options["concurrency"])] if options["concurrency"] else []
            quiet = ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            worker = [*celery, "worker", *loglevel, *pool, "--hostname", "hub-worker@%h", *quiet]
            children.append(Child("worker", worker))
        if not options["no_beat"]:
            children.append(Child("beat", [*celery, "beat", *loglevel]))
        return children

    def _front_command(self, options: dict[str, Any]) -> list[str]:
        limits = [
            *("--header-timeout", str(settings.OCPI_HUB_HEADER_TIMEOUT)),
            *("--body-timeout", str(settings.OCPI_HUB_BODY_READ_TIMEOUT)),
            *("--max-body", str(settings.OCPI_HUB_MAX_BODY_BYTES)),
            *("--max-connections", str(settings.OCPI_HUB_MAX_CONNECTIONS)),
        ]
        bind = ["--bind", f"{options['host']}:{options['port']}", "--upstream", web_socket_path()]
        return [sys.executable, "-m", "ocpi_hub.front", *bind, *limits]

    def _web_command(self, options: dict[str, Any]) -> list[str]:
        """gunicorn with threaded workers: 2 x 4 by default, right for 2 cores and SQLite's single writer.
        Behind the front it listens on a unix socket and takes each client's address from a PROXY line."""
        workers = ["--worker-class", "gthread", "--workers", str(options["web_workers"])]
        threads = ["--threads", str(options["web_threads"])]
        timeouts = ["--timeout", "60", "--graceful-timeout", str(max(int(options["stop_timeout"]) - 2, 1))]
        recycle = ["--max-requests", "5000", "--max-requests-jitter", "500"]
        logs = ["--access-logfile", "-", "--error-logfile", "-"]
        if options["no_front"]:
            bind = ["--bind", f"{options['host']}:{options['port']}"]
        else:
            bind = ["--bind", f"unix:{web_socket_path()}", *_proxy_protocol_options()]
        command = [sys.executable, "-m", "gunicorn", "ocpi_hub.wsgi:application", *bind, *workers, *threads]
        command += [*timeouts, *recycle, *logs]
        if _gunicorn_has_option("--no-control-socket"):
            command.append("--no-control-socket")  # newer gunicorn: no shared socket under ~/.gunicorn
        return command


def web_socket_path() -> str:
    """Where gunicorn listens behind the front: in OCPI_HUB_VAR_DIR, or the temporary directory when that
    path would be too long for a unix socket."""
    path = Path(settings.VAR_DIR).resolve() / "web.sock"
    if len(str(path)) < 100:
        return str(path)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"ocpi-hub-{digest}.sock")


def _proxy_protocol_options() -> list[str]:
    """gunicorn reads the front's PROXY v1 line (``--proxy-protocol v1`` since gunicorn 24, a flag before)."""
    from gunicorn.config import KNOWN_SETTINGS

    setting = next(s for s in KNOWN_SETTINGS if s.name == "proxy_protocol")
    mode = [] if isinstance(setting.default, bool) else ["v1"]
    return ["--proxy-protocol", *mode, "--proxy-allow-from", "*"]


def _gunicorn_has_option(flag: str) -> bool:
    try:
        from gunicorn.config import KNOWN_SETTINGS
    except ImportError as exc:
        raise CommandError("gunicorn is not installed: run `make run` or `pip install -e .`") from exc
    return any(flag in (setting.cli or []) for setting in KNOWN_SETTINGS)
