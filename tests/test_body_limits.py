"""Request bodies under limits, over real HTTP to the hub served by gunicorn (the production server): a body
over ``OCPI_HUB_MAX_BODY_BYTES`` is refused before it is read, and a client that announces more than it sends
gets an answer after ``OCPI_HUB_BODY_READ_TIMEOUT`` instead of holding a worker thread."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from parties.tokens import hash_token
from tests.factories import party_platform

pytest.importorskip("gunicorn", reason="gunicorn is not installed (it is a dependency: pip install -e .)")
pytestmark = pytest.mark.django_db(transaction=True)  # gunicorn's process reads the committed platform

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "body-limits-token"
LIMIT = 100_000
PATH = "/ocpi/2.2.1/receiver/locations/NL/CPO/L1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@pytest.fixture
def served(tmp_path) -> Iterator[int]:
    """The hub under gunicorn (1 worker, 2 threads) on the test database; yields its port."""
    party_platform(
        "cpo",
        "CPO",
        "NL",
        "CPO",
        version="2.2.1",
        token_in_hash=hash_token(TOKEN),
        registered_at=timezone.now(),
        token_out="peer-token",
        versions_url="http://127.0.0.1:9/versions",
    )
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.test",
        "DATABASE_URL": _database_url(),
        "OCPI_HUB_VAR_DIR": str(tmp_path),
        "OCPI_HUB_MAX_BODY_BYTES": str(LIMIT),
        "OCPI_HUB_BODY_READ_TIMEOUT": "1",
    }
    command = [sys.executable, "-m", "gunicorn", "ocpi_hub.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", "2", "--timeout", "60"]
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_listening(port, process, tmp_path / "gunicorn.log")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text(errors='replace')[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start listening")


def _request(port: int, headers: dict[str, str], body: bytes) -> socket.socket:
    """Send the request line, ``headers`` and ``body`` (which may be shorter than announced); the socket stays
    open for the answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)  # far above any limit: a hang fails
    lines = [
        f"PUT {PATH} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Token {base64.b64encode(TOKEN.encode()).decode()}",
    ]
    lines += ["Content-Type: application/json", *(f"{name}: {value}" for name, value in headers.items())]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict]:
    """The status and JSON envelope of the response (read until the server closes or the body is complete)."""
    data = b""
    while b"\r\n\r\n" not in data or not _complete(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(served):
    sock = _request(served, {"Content-Length": str(50 * 1024 * 1024)}, b'{"id": "L1"')  # 50 MB announced
    status, envelope = _answer(sock)
    assert status == 413
    assert envelope["status_code"] == 2001
    assert f"larger than {LIMIT} bytes" in envelope["status_message"]


def test_a_body_shorter_than_its_content_length_times_out_with_an_envelope(served):
    sock = _request(served, {"Content-Length": "1000"}, b'{"id": "L1", ')  # and then nothing more
    status, envelope = _answer(sock)
    assert status == 408
    assert envelope["status_code"] == 2000
    assert "not received within 1 s" in envelope["status_message"]
