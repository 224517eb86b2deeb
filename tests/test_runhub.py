"""`manage.py runhub` for real: gunicorn serves the app, Celery beat and worker run tasks through the
embedded broker, SIGINT stops every process, a dying process is restarted (and one that keeps dying takes
the others down with it); and
`manage.py demo` drives a simulated CPO and eMSP through such a hub.

Each test runs its own hub on its own SQLite file and broker folder (no test database, no server needed).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

pytest.importorskip("gunicorn", reason="gunicorn is not installed (it is a dependency: pip install -e .)")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds the hub's processes through /proc (Linux only)"
)

ROOT = Path(__file__).resolve().parents[1]
SERVER_ENV = ("DATABASE_URL", "CELERY_BROKER_URL", "OCPI_HUB_TEST_QUEUE", "OCPI_HUB_BASE_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stat(pid: int) -> tuple[str, int]:
    """(state, parent pid) of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    try:
        return _stat(pid)[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = _stat(int(entry.name))[1]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return parents


def _descendants(root: int) -> set[int]:
    parents = _parents()
    found: set[int] = set()
    frontier = {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _children(root: int) -> dict[int, str]:
    return {pid: _cmdline(pid) for pid, ppid in _parents().items() if ppid == root}


def _wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; hub output:\n{log.read_text(errors='replace')[-4000:]}")


class Hub:
    """One `manage.py runhub` process with its own var directory, port and log."""

    def __init__(self, var_dir: Path, *extra_args: str, env: dict[str, str] | None = None) -> None:
        self.var_dir = var_dir
        self.port = _free_port()
        self.log = var_dir / "runhub.log"
        self.env = {key: value for key, value in os.environ.items() if key not in SERVER_ENV}
        self.env.update(
            {
                "OCPI_HUB_VAR_DIR": str(var_dir),
                "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base",
                "OCPI_HUB_SWEEP_INTERVAL": "1",  # beat sends the sweeper every second
                "OCPI_HUB_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",  # the test parties are on loopback
                "PYTHONUNBUFFERED": "1",
                **(env or {}),
            }
        )
        command = [sys.executable, "manage.py", "runhub", "--port", str(self.port), "--stop-timeout", "8", *extra_args]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.seen: set[int] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_serving(self) -> requests.Response:
        replies: list[requests.Response] = []

        def answers() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"runhub exited with {self.process.returncode}:\n{self.output()[-4000:]}")
            try:
                replies.append(requests.get(f"{self.url}/ocpi/versions", timeout=10))
            except requests.RequestException:  # not listening yet, or a worker still booting
                return False
            return True

        _wait_for(answers, 45, "the web server", self.log)
        return replies[-1]

    def remember_processes(self) -> None:
        self.seen |= _descendants(self.process.pid)

    def leftovers(self) -> list[str]:
        return [f"{pid}: {_cmdline(pid)}" for pid in sorted(self.seen) if _alive(pid)]

    def wait_all_gone(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while self.leftovers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not self.leftovers(), f"still running {timeout:g} s after the hub stopped: {self.leftovers()}"

    def kill(self) -> None:
        """Last resort after a failed test: nothing of this hub may outlive it."""
        self.remember_processes()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        for pid in self.seen:
            if _alive(pid) and "ocpi_hub" in _cmdline(pid):  # still ours, not a reused pid
                os.kill(pid, signal.SIGKILL)


@pytest.fixture
def start_hub(tmp_path: Path) -> Iterator[Callable[..., Hub]]:
    hubs: list[Hub] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Hub:
        var_dir = tmp_path / f"hub{len(hubs)}"
        var_dir.mkdir()
        hub = Hub(var_dir, *args, env=env)
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        hub.kill()


def test_runhub_serves_runs_tasks_and_stops_on_sigint(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub()

    reply = hub.wait_serving()
    assert reply.status_code == 401  # no token: the OCPI app answered, through gunicorn
    assert "gunicorn" in reply.headers.get("Server", "")
    assert reply.json()["status_code"] == 2000
    _wait_for(lambda: "ready." in hub.output(), 30, "the celery worker", hub.log)

    children = _children(hub.process.pid)
    kinds = sorted(
        "web"
        if "gunicorn" in cmd
        else "front"
        if "ocpi_hub.front" in cmd
        else "worker"
        if " worker " in cmd
        else "beat"
        if " beat " in cmd
        else cmd
        for cmd in children.values()
    )
    assert kinds == ["beat", "front", "web", "worker"], children
    hub.remember_processes()
    assert len(hub.seen) >= 4 + 2  # plus gunicorn's 2 workers (Celery's pool is threads: no extra process)

    # A task published by another process goes through the embedded broker to the worker, which runs it
    # asynchronously against the hub's own SQLite database.
    sent = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from ocpi_hub.celery import app; print(app.send_task('parties.tasks.check_alive').id)",
        ],
        cwd=ROOT,
        env=hub.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    task_id = sent.stdout.strip().splitlines()[-1]
    _wait_for(
        lambda: f"parties.tasks.check_alive[{task_id}] succeeded" in hub.output(),
        20,
        "the worker to run the published task",
        hub.log,
    )
    # Only beat sends the sweeper (every second here); the worker runs it.
    swept = re.compile(r"parties\.tasks\.sweep_deliveries\[[0-9a-f-]+\] succeeded")
    _wait_for(
        lambda: swept.search(hub.output()) is not None,
        20,
        "beat to schedule the sweeper and the worker to run it",
        hub.log,
    )

    hub.remember_processes()
    os.kill(hub.process.pid, signal.SIGINT)
    assert hub.process.wait(20) == 0, hub.output()[-4000:]
    hub.wait_all_gone()
    output = hub.output()
    # The supervisor waited for its children: gunicorn had finished shutting down before runhub said so.
    assert output.index("Shutting down: Master") < output.index("runhub: stopped")


def test_runhub_restarts_a_killed_worker_while_the_web_keeps_serving(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub("--no-beat", "--web-workers", "1", "--concurrency", "1")
    hub.wait_serving()
    _wait_for(lambda: "ready." in hub.output(), 30, "the celery worker", hub.log)
    worker = next(pid for pid, cmd in _children(hub.process.pid).items() if " worker " in cmd)

    os.kill(worker, signal.SIGKILL)

    answers = []
    _wait_for(lambda: "runhub: worker exited with status -9; restarting it" in hub.output(), 20, "a restart", hub.log)
    while hub.output().count("ready.") < 2:  # the web answers while the new worker starts
        answers.append(requests.get(f"{hub.url}/ocpi/versions", timeout=5).status_code)
        assert hub.process.poll() is None, hub.output()[-4000:]
        time.sleep(0.2)
    assert answers
    assert set(answers) == {401}
    workers = [pid for pid, cmd in _children(hub.process.pid).items() if " worker " in cmd]
    assert len(workers) == 1
    assert workers[0] != worker
    os.kill(hub.process.pid, signal.SIGINT)
    assert hub.process.wait(20) == 0, hub.output()[-4000:]


def test_runhub_stops_everything_when_a_process_keeps_dying(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub("--no-beat", "--web-workers", "1", "--concurrency", "1", "--max-restarts", "0")
    hub.wait_serving()
    _wait_for(lambda: "ready." in hub.output(), 30, "the celery worker", hub.log)
    children = _children(hub.process.pid)
    assert not any(" beat " in cmd for cmd in children.values()), children
    worker = next(pid for pid, cmd in children.items() if " worker " in cmd)
    hub.remember_processes()

    os.kill(worker, signal.SIGKILL)

    assert hub.process.wait(20) == 1, hub.output()[-4000:]
    hub.wait_all_gone()
    assert "worker exited with status -9 1 times; stopped the others" in hub.output()


def test_demo_drives_a_cpo_and_an_emsp_through_the_running_hub(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub("--no-beat")
    hub.wait_serving()
    _wait_for(lambda: "ready." in hub.output(), 30, "the celery worker", hub.log)
    env = {**hub.env, "PORT": str(hub.port)}

    runs = [
        subprocess.run(
            [sys.executable, "manage.py", "demo", "--wait", "20"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        for _ in range(2)  # the second run reuses the platforms of the first
    ]

    for run in runs:
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        # Pushed by the hub's worker to the 2.3.0 eMSP, from a 2.2.1 CPO's PUTs
        assert "eMSP received PUT /2.3.0/tariffs/NL/DCP/DEMO-T1" in run.stdout
        assert "eMSP received PUT /2.3.0/locations/NL/DCP/DEMO-LOC1/DEMO-E1" in run.stdout
        assert "X-Total-Count 1: DEMO-LOC1" in run.stdout
        assert "Demo eMSP: SUSPENDED" in run.stdout


def _slow_header_connections(hub: Hub, count: int) -> list[socket.socket]:
    """Connections that sent a request line and half a header, and then nothing more (slowloris)."""
    connections = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", hub.port), 5)
        sock.sendall(b"GET /ocpi/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        connections.append(sock)
    return connections


def test_runhub_answers_while_slow_clients_hold_connections_and_closes_them_after_the_header_timeout(
    start_hub: Callable[..., Hub],
) -> None:
    # 50 slow connections against 2 workers x 4 threads: gunicorn alone (--no-front) answers nobody else.
    hub = start_hub("--no-beat", "--no-worker", env={"OCPI_HUB_HEADER_TIMEOUT": "3"})
    hub.wait_serving()
    slow = _slow_header_connections(hub, 50)
    try:
        time.sleep(0.5)  # the server has accepted them all
        for _ in range(5):
            started = time.monotonic()
            reply = requests.get(f"{hub.url}/ocpi/versions", timeout=5)
            assert reply.status_code == 401, reply.text  # the hub's own answer: no token
            assert reply.json()["status_code"] == 2000
            assert time.monotonic() - started < 3
        # A slow client is answered 408 (an OCPI envelope) and disconnected once its headers are 3 s late.
        sock = slow[0]
        sock.settimeout(10)
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
        waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        body = answer.split(b"\r\n\r\n", 1)[1]
        assert b'"status_code": 2000' in body, body
        assert b"within 3 s" in body, body
        assert waited < 4.5, waited  # 3 s after it connected (some of which passed above)
        for other in slow[1:]:  # every other one too
            other.settimeout(5)
            assert other.recv(4096).startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in slow:
            sock.close()
    os.kill(hub.process.pid, signal.SIGINT)
    assert hub.process.wait(20) == 0, hub.output()[-4000:]


def test_runhub_refuses_connections_over_the_limit_and_keeps_the_client_address(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub("--no-beat", "--no-worker", env={"OCPI_HUB_MAX_CONNECTIONS": "5"})
    hub.wait_serving()
    slow = _slow_header_connections(hub, 5)
    try:
        time.sleep(0.5)
        extra = socket.create_connection(("127.0.0.1", hub.port), 5)
        extra.settimeout(5)
        answer = extra.recv(4096)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 503 "), answer  # answered at once, not queued behind the others
        assert b'"status_code": 3000' in answer, answer
        assert b"too many connections" in answer, answer
    finally:
        for sock in slow:
            sock.close()
    time.sleep(0.5)
    assert requests.get(f"{hub.url}/ocpi/versions", timeout=5).status_code == 401
    # gunicorn behind the front logs the client's address (PROXY protocol), not an empty unix peer.
    assert "127.0.0.1 - - [" in hub.output()


def test_runhub_without_the_front_lets_gunicorn_own_the_port(start_hub: Callable[..., Hub]) -> None:
    hub = start_hub("--no-beat", "--no-worker", "--no-front")
    assert hub.wait_serving().status_code == 401
    children = _children(hub.process.pid)
    assert len(children) == 1, children
    assert "gunicorn" in next(iter(children.values())), children
    assert f"Listening at: http://127.0.0.1:{hub.port}" in hub.output()
