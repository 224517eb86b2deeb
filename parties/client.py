"""The hub's one outbound OCPI client: a small HTTP/1.1 client on sockets that keeps connections alive per
receiver host. It was ``requests``, then urllib3; the delivery profiles showed each library's per-call
machinery as the largest share of a delivery's CPU (``bench.profile --what fanout_drain``: urllib3 and
``http.client`` at 0.43 ms of the drain thread's 1.27 ms per delivery: a request line and 13 ``putheader``
calls, the response headers parsed by the ``email`` package). Here a request is one ``sendall`` of bytes
built in one go, and the answer is parsed from the bytes read. Nothing else in the code base makes OCPI
calls.

Explicit connect/read timeouts (the read timeout per socket operation), no redirects, no retries (the
delivery engine decides what is retried; the one exception: a kept-alive connection the receiver closed
just before it was reused, with no byte of an answer read, is retried once on a fresh connection), TLS with
the system's certificate store, a fresh ``X-Request-ID`` per call, the correlation id carried, routing
headers set per the hub rules, and the Base64 (or raw) token. Through an HTTP forward proxy where one is
set (``OCPI_HUB_OUTBOUND_PROXY``, ``parties.proxy``); TLS verified against ``OCPI_HUB_CA_BUNDLE`` when set.
"""

from __future__ import annotations

import json
import logging
import select
import socket
import ssl
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from ocpi_hub.api.authentication import encode_token
from ocpi_hub.api.routing import PartyRef
from parties.proxy import Proxy, proxy_for

logger = logging.getLogger(__name__)
USER_AGENT = "ocpi-hub/1.0"
KEEP_PER_HOST = 32  # idle kept-alive connections per (scheme, host, port)
MAX_HEAD = 65536  # bytes of status line and headers an answer may have


class TransportError(Exception):
    """The call did not produce an HTTP answer (connection refused, timeout, TLS, ...)."""

    def __init__(self, message: str, *, timeout: bool = False, request_id: str = "", duration_ms: int = 0):
        super().__init__(message)
        self.timeout = timeout
        self.request_id = request_id
        self.duration_ms = duration_ms


@dataclass
class Reply:
    http_status: int
    status_code: int | None
    status_message: str
    data: Any
    headers: dict[str, str]
    request_id: str
    duration_ms: int
    excerpt: str = ""
    body: Any = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.http_status < 300 and self.status_code is not None and 1000 <= self.status_code < 2000


@dataclass(frozen=True)
class Routing:
    sender: PartyRef
    receiver: PartyRef


def _headers(token: str, raw: bool, correlation_id: str, routing: Routing | None) -> dict[str, str]:
    headers = {
        "Authorization": f"Token {encode_token(token, raw=raw)}",
        "X-Request-ID": str(uuid.uuid4()),
        "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        "Accept": "application/json",
    }
    if routing is not None:
        headers["OCPI-from-country-code"] = routing.sender.country_code
        headers["OCPI-from-party-id"] = routing.sender.party_id
        headers["OCPI-to-country-code"] = routing.receiver.country_code
        headers["OCPI-to-party-id"] = routing.receiver.party_id
    return headers


def encode_json(body: Any) -> bytes:
    """A request body as sent (``call`` also takes one already encoded, as bytes)."""
    return json.dumps(body, separators=(",", ":")).encode()


def call(
    method: str,
    url: str,
    *,
    token: str,
    raw_token: bool = False,
    body: Any = None,
    params: dict[str, str] | None = None,
    correlation_id: str = "",
    routing: Routing | None = None,
    read_timeout: float | None = None,
) -> Reply:
    """One OCPI call. Raises TransportError when no HTTP answer arrives."""
    headers = _headers(token, raw_token, correlation_id, routing)
    payload = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        payload = body if isinstance(body, bytes) else encode_json(body)
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    request_id = headers["X-Request-ID"]
    started = time.monotonic()
    try:
        target = _Target.of(url)
        request = _request_bytes(method, target, headers, payload)
        status, answer_headers, raw = _exchange(target, method, request, read_timeout or settings.OCPI_HUB_READ_TIMEOUT)
    except _ConnectTimeout as exc:
        raise TransportError(
            f"timeout: {exc}", timeout=True, request_id=request_id, duration_ms=_elapsed(started)
        ) from exc
    except TimeoutError as exc:
        raise TransportError(
            f"timeout: read timed out ({exc})", timeout=True, request_id=request_id, duration_ms=_elapsed(started)
        ) from exc
    except (ValueError, OSError, ssl.SSLError) as exc:  # refused, reset, bad URL, TLS, malformed answer, ...
        raise TransportError(
            f"{type(exc).__name__}: {exc}", request_id=request_id, duration_ms=_elapsed(started)
        ) from exc
    return _reply(status, answer_headers, raw, request_id, _elapsed(started))


def _elapsed(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _reply(status: int, headers: dict[str, str], raw: bytes, request_id: str, duration_ms: int) -> Reply:
    text = raw[:2000].decode("utf-8", "replace")[:500]
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    envelope = body if isinstance(body, dict) else {}
    status_code = envelope.get("status_code")
    return Reply(
        http_status=status,
        status_code=status_code if isinstance(status_code, int) else None,
        status_message=str(envelope.get("status_message") or ""),
        data=envelope.get("data"),
        headers=headers,
        request_id=request_id,
        duration_ms=duration_ms,
        excerpt=text,
        body=body,
    )


# --- HTTP/1.1 on sockets ----------------------------------------------------------------------------------


class _ConnectTimeout(OSError):
    """No connection within the connect timeout."""


class RemoteClosed(OSError):
    """The receiver closed the connection before a complete answer."""


class AnswerTooLarge(ValueError):
    """An answer (or its decoded body) larger than ``OCPI_HUB_MAX_ANSWER_BYTES``."""


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    host_header: str
    path: str  # path and query, as sent in the request line
    proxy: Proxy | None = None

    @property
    def key(self) -> tuple[str, str, int, str]:
        """The pool's key: connections through a proxy are not the direct ones."""
        return (self.scheme, self.host, self.port, self.proxy.key if self.proxy else "")

    @property
    def authority(self) -> str:
        """host:port, as a CONNECT names it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @staticmethod
    def of(url: str) -> _Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url[:200]}")
        port = parts.port or (443 if parts.scheme == "https" else 80)  # ValueError on a bad port
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        default = port == (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not path.isascii() or not path.isprintable() or " " in path:  # control characters, DEL, spaces
            raise ValueError(f"URL can't contain control characters, spaces or non-ASCII: {path[:200]!r}")
        return _Target(parts.scheme, host, port, shown if default else f"{shown}:{port}", path, proxy_for(host))


def _request_bytes(method: str, target: _Target, headers: dict[str, str], payload: bytes | None) -> bytes:
    proxied = target.proxy is not None and target.scheme == "http"  # absolute form, to the proxy
    where = f"http://{target.host_header}{target.path}" if proxied else target.path
    lines = [f"{method} {where} HTTP/1.1", f"Host: {target.host_header}", f"User-Agent: {USER_AGENT}"]
    lines.append("Accept-Encoding: identity")
    if proxied and target.proxy and target.proxy.authorization:
        lines.append(f"Proxy-Authorization: {target.proxy.authorization}")
    for name, value in headers.items():
        if "\r" in value or "\n" in value:
            raise ValueError(f"Invalid header value for {name}")
        lines.append(f"{name}: {value}")
    if payload is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(payload or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")  # UnicodeEncodeError is a ValueError
    return head + payload if payload else head  # one write: no Nagle/delayed-ACK stall


class _Pool:
    """Idle kept-alive connections per (scheme, host, port), shared by the threads of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: dict[tuple[str, str, int, str], list[socket.socket]] = {}
        self.tls: dict[str, ssl.SSLContext] = {}  # per OCPI_HUB_CA_BUNDLE

    def take(self, key: tuple[str, str, int, str]) -> socket.socket | None:
        while True:
            with self.lock:
                kept = self.idle.get(key)
                sock = kept.pop() if kept else None
            if sock is None or not _dropped(sock):
                return sock
            sock.close()

    def give(self, key: tuple[str, str, int, str], sock: socket.socket) -> None:
        with self.lock:
            kept = self.idle.setdefault(key, [])
            if len(kept) < KEEP_PER_HOST:
                kept.append(sock)
                return
        sock.close()

    def connect(self, target: _Target) -> socket.socket:
        """A new connection to the target (through its proxy, if any), TLS set up for https."""
        via = target.proxy
        host, port = (via.host, via.port) if via else (target.host, target.port)
        try:
            sock = socket.create_connection((host, port), timeout=settings.OCPI_HUB_CONNECT_TIMEOUT)
        except TimeoutError as exc:
            raise _ConnectTimeout(f"connect to {host}:{port}{' (proxy)' if via else ''} timed out") from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            if via is not None and target.scheme == "https":
                _tunnel(sock, target, via)
            if target.scheme == "https":
                sock = self._tls().wrap_socket(sock, server_hostname=target.host)
        except BaseException:
            sock.close()
            raise
        return sock

    def _tls(self) -> ssl.SSLContext:
        bundle = settings.OCPI_HUB_CA_BUNDLE
        context = self.tls.get(bundle)
        if context is None:
            context = self.tls[bundle] = ssl.create_default_context(cafile=bundle or None)
        return context

    def clear(self) -> None:
        """Close every idle connection (tests that restart a receiver on the same port)."""
        with self.lock:
            kept, self.idle = self.idle, {}
        for sockets in kept.values():
            for sock in sockets:
                sock.close()


def _tunnel(sock: socket.socket, target: _Target, via: Proxy) -> None:
    """Ask the proxy for a tunnel to the target (``CONNECT``); OSError when it does not open one."""
    lines = [f"CONNECT {target.authority} HTTP/1.1", f"Host: {target.authority}", f"User-Agent: {USER_AGENT}"]
    if via.authorization:
        lines.append(f"Proxy-Authorization: {via.authorization}")
    answer = _Answer(sock, settings.OCPI_HUB_CONNECT_TIMEOUT)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status, _, _ = answer.head()
    except TimeoutError as exc:
        raise _ConnectTimeout(f"proxy {via.key}: no answer to CONNECT {target.authority} in time") from exc
    if status != 200 or answer.buffer:
        raise OSError(f"proxy {via.key} answered {status} to CONNECT {target.authority}")


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle connection was closed by the other side (or has unexpected bytes waiting)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    # poll, not select: a worker with many connections open has descriptors past select's FD_SETSIZE (1024),
    # where select raises and every idle connection would count as dropped (never reused)
    poller = select.poll()
    try:
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


_pool = _Pool()


def _exchange(target: _Target, method: str, request: bytes, read_timeout: float) -> tuple[int, dict[str, str], bytes]:
    key = target.key
    sock = _pool.take(key)
    reused = sock is not None
    if sock is None:
        sock = _pool.connect(target)
    try:
        try:
            answer = _Answer(sock, read_timeout)
            sock.sendall(request)
            status, headers, keep = answer.head()
        except (RemoteClosed, ConnectionResetError, BrokenPipeError):
            if not reused or answer.buffer:
                raise
            sock.close()  # closed by the receiver while it was idle: once more, on a fresh connection
            sock = _pool.connect(target)
            answer = _Answer(sock, read_timeout)
            sock.sendall(request)
            status, headers, keep = answer.head()
        raw = answer.body(method, status)
    except BaseException:
        sock.close()
        raise
    if keep and answer.complete:
        _pool.give(key, sock)
    else:
        sock.close()
    return status, headers, _decoded(raw, headers)


class _Answer:
    """Reads one HTTP/1.1 answer from a socket: whole within ``read_timeout`` seconds (not per read: a
    receiver that trickles its answer cannot hold the drain thread longer) and of at most
    ``OCPI_HUB_MAX_ANSWER_BYTES`` of body."""

    def __init__(self, sock: socket.socket, read_timeout: float) -> None:
        sock.settimeout(read_timeout)
        self.sock = sock
        self.buffer = b""
        self.complete = True
        self.lowered: dict[str, str] = {}
        self.timeout = read_timeout
        self.deadline = time.monotonic() + read_timeout
        self.limit = settings.OCPI_HUB_MAX_ANSWER_BYTES

    def _recv(self) -> bytes:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"answer not complete within {self.timeout:g} s")
        self.sock.settimeout(left)
        return self.sock.recv(65536)

    def _more(self) -> bytes:
        chunk = self._recv()
        if not chunk:
            raise RemoteClosed("no answer" if not self.buffer else "connection closed mid-answer")
        return chunk

    def _check_size(self, size: int) -> None:
        if size > self.limit:
            raise AnswerTooLarge(f"answer body larger than {self.limit} bytes (OCPI_HUB_MAX_ANSWER_BYTES)")

    def _head_block(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                block, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                return block
            if len(self.buffer) > MAX_HEAD:
                raise ValueError("answer headers too long")
            self.buffer += self._more()

    def head(self) -> tuple[int, dict[str, str], bool]:
        """The status, the headers (repeated ones joined by ", ") and whether the connection may be kept."""
        while True:
            lines = self._head_block().decode("latin-1").split("\r\n")
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise ValueError(f"not an HTTP/1.x answer: {lines[0][:100]!r}")
            status = int(code)
            if 100 <= status < 200 and status != 101:
                continue  # 100 Continue and other interim answers: the real one follows
            break
        headers: dict[str, str] = {}
        last = ""
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and last:  # obsolete line folding
                headers[last] += " " + line.strip()
                continue
            name, colon, value = line.partition(":")
            if not colon:
                raise ValueError(f"malformed answer header: {line[:100]!r}")
            last = name.strip()
            value = value.strip()
            headers[last] = f"{headers[last]}, {value}" if last in headers else value
        self.lowered = {name.lower(): value for name, value in headers.items()}
        connection = self.lowered.get("connection", "").lower()
        keep = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        return status, headers, keep

    def body(self, method: str, status: int) -> bytes:
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return b""
        if "chunked" in self.lowered.get("transfer-encoding", "").lower():
            return self._chunked()
        length = self.lowered.get("content-length")
        if length is not None:
            size = int(length.split(",")[0].strip())  # ValueError on a bad length
            if size < 0:
                raise ValueError("negative Content-Length")
            self._check_size(size)
            return self._exactly(size)
        self.complete = False  # delimited by the close: the connection cannot be kept
        data, have = [self.buffer], len(self.buffer)
        while chunk := self._recv():
            have += len(chunk)
            self._check_size(have)
            data.append(chunk)
        return b"".join(data)

    def _exactly(self, size: int) -> bytes:
        parts, have = [self.buffer], len(self.buffer)
        while have < size:
            chunk = self._more()
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self.buffer = data[size:]
        return data[:size]

    def _line(self) -> bytes:
        while (end := self.buffer.find(b"\r\n")) < 0:
            if len(self.buffer) > MAX_HEAD:
                raise ValueError("chunk line too long")
            self.buffer += self._more()
        line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
        return line

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        have = 0
        while True:
            size = int(self._line().split(b";")[0].strip(), 16)  # ValueError on a bad size
            have += size
            self._check_size(have)
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return b"".join(parts)
            parts.append(self._exactly(size))
            if self._exactly(2) != b"\r\n":
                raise ValueError("malformed chunk")


def _decoded(raw: bytes, headers: dict[str, str]) -> bytes:
    """The body without its Content-Encoding (gzip, deflate), as urllib3 gave it; decoded to at most
    ``OCPI_HUB_MAX_ANSWER_BYTES`` (a small compressed answer can expand a thousandfold)."""
    encoding = next((value for name, value in headers.items() if name.lower() == "content-encoding"), "").lower()
    if encoding in ("gzip", "x-gzip"):
        return _inflate(raw, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return _inflate(raw, zlib.MAX_WBITS)
        except zlib.error:
            return _inflate(raw, -zlib.MAX_WBITS)
    return raw


def _inflate(raw: bytes, wbits: int) -> bytes:
    limit = settings.OCPI_HUB_MAX_ANSWER_BYTES
    inflater = zlib.decompressobj(wbits)
    data = inflater.decompress(raw, limit + 1)
    if len(data) > limit:
        raise AnswerTooLarge(f"decoded answer body larger than {limit} bytes (OCPI_HUB_MAX_ANSWER_BYTES)")
    return data
