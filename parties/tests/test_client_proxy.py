"""The outbound client through an HTTP forward proxy (parties/proxy.py), against a real proxy and real
parties on loopback: ``CONNECT`` tunnels for https parties (TLS end to end, verified against
``OCPI_HUB_CA_BUNDLE``), the absolute form for http parties, ``Proxy-Authorization``, the hosts of
``OCPI_HUB_OUTBOUND_NO_PROXY`` called directly, and a proxy that refuses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import override_settings

from parties import client
from parties.proxy import Proxy, parse_proxy, proxy_for

CREDENTIALS = "Basic " + "aHViOnMzY3JldA=="  # hub:s3cret


class Party(BaseHTTPRequestHandler):
    """Answers an envelope naming the path and the Authorization header it got."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        data = {"path": self.path, "authorization": self.headers.get("Authorization")}
        body = json.dumps({"status_code": 1000, "data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class ForwardProxy:
    """A forward proxy of the kind deployments put in front of the hub: ``CONNECT`` tunnels and
    absolute-form requests, optionally asking for credentials. Records each request head it got and the
    bytes it relayed towards the parties."""

    def __init__(self, credentials: str = "") -> None:
        self.credentials = credentials
        self.heads: list[str] = []
        self.relayed = bytearray()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://hub:s3cret@127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                conn.close()
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        text = head.decode("latin-1")
        self.heads.append(text)
        method, target, _ = text.split("\r\n")[0].split(" ")
        if self.credentials and f"proxy-authorization: {self.credentials}".lower() not in text.lower():
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        if method == "CONNECT":
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            upstream = socket.create_connection((parts.hostname or "", parts.port or 80))
            lines = [f"{method} {parts.path} HTTP/1.1"] + [
                line for line in text.split("\r\n")[1:] if not line.lower().startswith("proxy-authorization")
            ]
            rest = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + rest
        self.relayed += rest
        upstream.sendall(rest)
        threading.Thread(target=self._pipe, args=(upstream, conn, False), daemon=True).start()
        self._pipe(conn, upstream, True)

    def _pipe(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    self.relayed += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            source.close()
            sink.close()

    def close(self) -> None:
        self.listener.close()


def _serve(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        client._pool.clear()


@pytest.fixture
def http_party() -> Iterator[str]:
    yield from _serve(ThreadingHTTPServer(("127.0.0.1", 0), Party))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl is part of the base system)."""
    assert shutil.which("openssl"), "the TLS tests need the openssl command"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def https_party(certificate: tuple[Path, Path]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Party)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    forward = ForwardProxy(credentials=CREDENTIALS)
    yield forward
    forward.close()


def _put(url: str) -> client.Reply:
    return client.call("PUT", url, token="TOKEN-C", body={"status": "AVAILABLE"})


def test_an_https_party_is_reached_through_a_tunnel_the_proxy_cannot_read(https_party, proxy, certificate):
    with override_settings(OCPI_HUB_OUTBOUND_PROXY=proxy.url, OCPI_HUB_CA_BUNDLE=str(certificate[0])):
        reply = _put(f"https://{https_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1")
    assert reply.http_status == 200
    assert reply.data["path"] == "/ocpi/emsp/2.2.1/locations/NL/CPO/L1"
    assert reply.data["authorization"].startswith("Token ")
    [head] = proxy.heads
    assert head.startswith(f"CONNECT {https_party} HTTP/1.1\r\n")
    assert f"Proxy-Authorization: {CREDENTIALS}" in head
    assert b"Token" not in proxy.relayed  # TLS end to end
    assert b"/ocpi/" not in proxy.relayed


def test_an_http_party_gets_the_absolute_form_through_the_proxy(http_party, proxy):
    with override_settings(OCPI_HUB_OUTBOUND_PROXY=proxy.url):
        reply = _put(f"http://{http_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1")
        again = _put(f"http://{http_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L2")
    assert (reply.http_status, again.http_status) == (200, 200)
    assert reply.data["path"] == "/ocpi/emsp/2.2.1/locations/NL/CPO/L1"
    assert proxy.heads[0].startswith(f"PUT http://{http_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1 HTTP/1.1")
    assert f"Proxy-Authorization: {CREDENTIALS}" in proxy.heads[0]
    assert b"Proxy-Authorization" not in proxy.relayed.split(b"\r\n\r\n")[0]  # the proxy's, not the party's


def test_the_hosts_of_no_proxy_are_called_directly(http_party, proxy):
    with override_settings(OCPI_HUB_OUTBOUND_PROXY=proxy.url, OCPI_HUB_OUTBOUND_NO_PROXY="example.org, 127.0.0.0/8"):
        reply = _put(f"http://{http_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1")
        assert proxy.heads == []
        by_name = _put(f"http://{http_party.replace('127.0.0.1', 'localhost')}/ocpi/emsp/2.2.1/locations/NL/CPO/L2")
    assert (reply.http_status, by_name.http_status) == (200, 200)
    assert [head.split(" ")[1] for head in proxy.heads] == [
        f"http://{http_party.replace('127.0.0.1', 'localhost')}/ocpi/emsp/2.2.1/locations/NL/CPO/L2"
    ]


def test_a_proxy_that_refuses_the_tunnel_is_a_failed_call(https_party, proxy, certificate):
    wrong = proxy.url.replace("s3cret", "wrong")
    settings = override_settings(OCPI_HUB_OUTBOUND_PROXY=wrong, OCPI_HUB_CA_BUNDLE=str(certificate[0]))
    with settings, pytest.raises(client.TransportError, match="answered 407 to CONNECT"):
        _put(f"https://{https_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1")


def test_a_party_certificate_outside_the_trusted_authorities_is_refused(https_party, proxy):
    settings = override_settings(OCPI_HUB_OUTBOUND_PROXY=proxy.url)  # the system store: no test certificate
    with settings, pytest.raises(client.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
        _put(f"https://{https_party}/ocpi/emsp/2.2.1/locations/NL/CPO/L1")


def test_proxy_setting_and_no_proxy_rules():
    assert parse_proxy("http://u%40x:p%3Aw@proxy.local:3128") == Proxy("proxy.local", 3128, "Basic dUB4OnA6dw==")
    assert parse_proxy("proxy.local") == Proxy("proxy.local", 80, "")
    rules = "ocpi.example.com, .corp.test, 10.0.0.0/8, [::1]:8080, other.test:443"
    with override_settings(OCPI_HUB_OUTBOUND_PROXY="http://proxy.local:3128", OCPI_HUB_OUTBOUND_NO_PROXY=rules):
        direct = ["ocpi.example.com", "a.ocpi.example.com", "x.corp.test", "corp.test", "10.1.2.3", "::1", "other.test"]
        proxied = ["example.com", "notocpi.example.com", "11.0.0.1", "::2", "othertest"]
        assert [host for host in direct if proxy_for(host) is not None] == []
        assert [host for host in proxied if proxy_for(host) is None] == []
    with override_settings(OCPI_HUB_OUTBOUND_PROXY="http://proxy.local:3128", OCPI_HUB_OUTBOUND_NO_PROXY="*"):
        assert proxy_for("ocpi.example.com") is None
    with override_settings(OCPI_HUB_OUTBOUND_PROXY=""):
        assert proxy_for("ocpi.example.com") is None


def test_a_proxy_that_is_not_http_stops_the_process_naming_the_setting_without_its_password():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ocpi_hub.settings.base"}
    env["OCPI_HUB_OUTBOUND_PROXY"] = "socks5://hub:s3cret@proxy.local:1080"
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 3
    assert "Invalid setting OCPI_HUB_OUTBOUND_PROXY='socks5://***@proxy.local:1080'" in started.stderr
    assert "s3cret" not in started.stderr
