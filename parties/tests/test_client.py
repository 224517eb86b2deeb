"""The outbound HTTP/1.1 client (parties/client.py) against real servers on loopback: the answer framings
it must read (Content-Length, chunked, close-delimited, gzip), keep-alive reuse, a kept-alive connection the
server closed while idle, timeouts, and requests it refuses to write."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from parties import client

ENVELOPE = {"status_code": 1000, "data": {"ok": True}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set[int] = set()

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        received = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        Handler.connections.add(id(self.connection))
        body = json.dumps({**ENVELOPE, "data": {"path": self.path, "received": received.decode()}}).encode()
        special = {"/chunked": self._chunked, "/bigchunked": self._big_chunked, "/trickle": self._trickle,
                   "/close": self._close}  # fmt: skip
        answer = special.get(self.path.split("?")[0])
        if answer is not None:
            answer(body)
            return
        if self.path.startswith("/big"):
            body = b" " * 5000  # over the test's answer limit
        elif self.path.startswith("/bomb"):
            body = gzip.compress(b"0" * 5_000_000)  # ~5 kB on the wire, 5 MB decoded
        elif self.path.startswith("/gzip"):
            body = gzip.compress(body)
        elif self.path.startswith("/slow"):
            time.sleep(1.0)
        self.send_response(200)
        if self.path.startswith(("/bomb", "/gzip")):
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunks(self, parts: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for part in parts:
            self.wfile.write(b"%x\r\n" % len(part) + part + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def _chunked(self, body: bytes) -> None:
        self._chunks([body[start : start + 7] for start in range(0, len(body), 7)])

    def _big_chunked(self, body: bytes) -> None:
        self._chunks([b"x" * 800] * 10)

    def _trickle(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "20")
        self.end_headers()
        for _ in range(20):  # a byte every 0.1 s: each read is quick, the whole answer is not
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(0.1)

    def _close(self, body: bytes) -> None:
        self.send_response(503)
        self.send_header("Retry-After", "3")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b"busy")  # delimited by the close
        self.close_connection = True

    do_GET = do_PUT = do_POST = _answer


@pytest.fixture
def server() -> Iterator[str]:
    client._pool.clear()
    Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]  # the client hung up on purpose
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    client._pool.clear()


def test_answers_of_every_framing_are_read_and_the_connection_kept(server):
    put = client.call("PUT", f"{server}/plain", token="t", body={"a": 1}, params={"q": "x y"})
    assert (put.http_status, put.status_code) == (200, 1000)
    assert put.data == {"path": "/plain?q=x+y", "received": '{"a":1}'}
    assert client.call("GET", f"{server}/chunked", token="t").data["path"] == "/chunked"
    assert client.call("GET", f"{server}/gzip", token="t").status_code == 1000
    assert len(Handler.connections) == 1  # one kept-alive connection for all three

    closed = client.call("GET", f"{server}/close", token="t")
    assert (closed.http_status, closed.excerpt, closed.headers["Retry-After"]) == (503, "busy", "3")
    assert client.call("GET", f"{server}/plain", token="t").ok  # on a new connection
    assert len(Handler.connections) == 2


def test_a_connection_is_kept_when_its_descriptor_is_past_select_s_limit(server):
    """A worker with many connections open (receivers, the database): a descriptor above FD_SETSIZE (1024)
    is still checked and reused."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.fail(f"the test needs 1,200 descriptors; the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    fillers = [socket.socket() for _ in range(1100)]
    try:
        assert client.call("GET", f"{server}/plain", token="t").ok
        assert client.call("GET", f"{server}/plain", token="t").ok
        kept = [sock for sockets in client._pool.idle.values() for sock in sockets]
        assert kept
        assert kept[0].fileno() > 1024
        assert len(Handler.connections) == 1  # the second call reused the first connection
    finally:
        for sock in fillers:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _closing_server() -> tuple[socket.socket, list[int]]:
    """A server that answers one request per connection as if it kept it alive, then closes it (a
    receiver's keep-alive timeout running out while the hub's side is idle)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    answer = json.dumps(ENVELOPE).encode()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
                time.sleep(0.05)

    threading.Thread(target=serve, daemon=True).start()
    return listener, accepted


def test_a_kept_alive_connection_the_server_closed_while_idle_is_not_an_error():
    client._pool.clear()
    listener, accepted = _closing_server()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/x"
    try:
        assert client.call("GET", url, token="t").ok
        time.sleep(0.2)  # the server has closed the connection the client keeps
        assert client.call("GET", url, token="t").ok
        assert len(accepted) == 2
    finally:
        listener.close()
        client._pool.clear()


def test_a_read_timeout_is_a_timeout_and_a_refused_connection_is_not(server):
    with pytest.raises(client.TransportError) as slow:
        client.call("GET", f"{server}/slow", token="t", read_timeout=0.2)
    assert slow.value.timeout
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(client.TransportError) as refused:
        client.call("GET", f"http://127.0.0.1:{port}/x", token="t")
    assert not refused.value.timeout


@pytest.mark.parametrize(
    ("url", "correlation_id"),
    [("ftp://127.0.0.1/x", ""), ("http://127.0.0.1:1/a b", ""), ("http://127.0.0.1:1/x", "id\r\nX-Evil: 1")],
)
def test_requests_that_cannot_be_written_safely_are_refused_without_a_call(url, correlation_id):
    with pytest.raises(client.TransportError):
        client.call("GET", url, token="t", correlation_id=correlation_id)


@pytest.mark.parametrize("path", ["/big", "/bigchunked", "/bomb"])
def test_an_answer_larger_than_the_limit_is_a_failed_call(server, settings, path):
    settings.OCPI_HUB_MAX_ANSWER_BYTES = 4000
    with pytest.raises(client.TransportError, match="larger than 4000 bytes"):
        client.call("GET", f"{server}{path}", token="t")
    assert client.call("GET", f"{server}/plain", token="t").ok  # the hub goes on with the next call


def test_the_read_timeout_bounds_the_whole_answer_not_each_read(server):
    """Each byte of /trickle comes within 0.1 s, the whole answer in 2 s: a timeout per read would let it
    through (and a receiver trickling forever would hold the drain thread forever)."""
    with pytest.raises(client.TransportError) as trickled:
        client.call("GET", f"{server}/trickle", token="t", read_timeout=0.5)
    assert trickled.value.timeout
