"""The reverse-proxy setup of docs/operations.md, for real: nginx with the shipped deploy/nginx/ocpi-hub.conf in
front of the hub's gunicorn (``runhub --no-front``, 2 workers x 4 threads, as production runs it behind a
proxy). Slow clients (headers or body a byte at a time) hold nginx connections only: legitimate requests keep
getting their answers, slow headers are dropped after ``client_header_timeout``, and what nginx refuses is
an OCPI envelope.

nginx comes from the system (``apt-get install nginx``; .ci/run installs it). Without it this test is skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.test_runhub import ROOT, Hub, _free_port, start_hub  # noqa: F401 - start_hub is a fixture

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")
SHIPPED = ROOT / "deploy" / "nginx" / "ocpi-hub.conf"


def _shipped_config(hub_port: int, port: int) -> str:
    """deploy/nginx/ocpi-hub.conf with only the two addresses marked TEST changed, a shorter header timeout
    (so the test does not wait 10 s) and a lower connection limit per client."""
    text = SHIPPED.read_text()
    replaced = text.replace("server 127.0.0.1:8000;  # TEST", f"server 127.0.0.1:{hub_port};  # TEST")
    replaced = replaced.replace("listen 80;  # TEST", f"listen 127.0.0.1:{port};  # TEST")
    replaced = re.sub(r"client_header_timeout \d+s;", "client_header_timeout 3s;", replaced)
    replaced = re.sub(r"limit_conn ocpi_hub_per_client \d+;", "limit_conn ocpi_hub_per_client 120;", replaced)
    assert replaced.count("# TEST") == text.count("# TEST") == 2
    assert replaced != text
    return replaced


@pytest.fixture
def nginx(tmp_path: Path, start_hub: Callable[..., Hub]) -> Iterator[tuple[Hub, str]]:  # noqa: F811
    hub = start_hub("--no-beat", "--no-worker", "--no-front")
    hub.wait_serving()
    port = _free_port()
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    (prefix / "ocpi-hub.conf").write_text(_shipped_config(hub.port, port))
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/ocpi-hub.conf;
}}
"""
    )
    log = (prefix / "stdout.log").open("wb")
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"{url}/ocpi/versions", timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start: {(prefix / 'error.log').read_text(errors='replace')}")
                time.sleep(0.2)
        yield hub, url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        log.close()


def _slow(port: int, count: int, *, body: bool) -> list[socket.socket]:
    connections = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), 5)
        if body:  # complete headers, then a body that never comes
            sock.sendall(
                b"PUT /ocpi/2.2.1/receiver/locations/NL/ABC/X HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
        else:
            sock.sendall(b"GET /ocpi/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1")
        connections.append(sock)
    return connections


def test_nginx_with_the_shipped_config_keeps_answering_while_slow_clients_hold_connections(
    nginx: tuple[Hub, str],
) -> None:
    hub, url = nginx
    port = int(url.rsplit(":", 1)[1])
    slow = _slow(port, 50, body=False) + _slow(port, 30, body=True)
    try:
        time.sleep(0.5)
        for _ in range(5):  # 80 slow clients against 8 gunicorn threads: each request still answered
            started = time.monotonic()
            reply = requests.get(f"{url}/ocpi/versions", timeout=5)
            assert reply.status_code == 401, reply.text  # the hub's own answer (no token), through nginx
            assert reply.json()["status_code"] == 2000
            assert time.monotonic() - started < 3
        # nginx drops a client whose headers are late (client_header_timeout 3 s here, 10 s as shipped).
        sock = slow[0]
        sock.settimeout(10)
        started = time.monotonic()
        while sock.recv(4096):
            pass
        assert time.monotonic() - started < 4.5
    finally:
        for sock in slow:
            sock.close()
    # Answers nginx gives itself are OCPI envelopes too: a body over client_max_body_size (8m).
    reply = requests.put(f"{url}/ocpi/2.2.1/receiver/locations/NL/ABC/X", data=b"x" * (9 * 1024 * 1024), timeout=20)
    assert reply.status_code == 413
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json()["status_code"] == 2001
    # gunicorn behind nginx never saw a slow request: nothing reached it but the whole ones.
    assert "X-Slow" not in hub.output()
