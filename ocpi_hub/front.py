"""The buffering front that ``manage.py runhub`` puts before gunicorn, so slow clients cannot hold its threads.

gunicorn's gthread workers read a request on the worker thread that will run it: a client that sends its
headers (or its body) a byte at a time holds that thread for as long as it likes, and a dozen such clients hold
all of them. The front is one asyncio process that owns the public socket instead. It reads each request
whole (the request line and headers within ``--header-timeout`` seconds, the body within ``--body-timeout``
seconds and at most ``--max-body`` bytes) while holding no thread at all, and only then hands it to gunicorn
over a unix socket, with a PROXY protocol line so the hub still sees the client's address as REMOTE_ADDR. The
answer is read whole from gunicorn as well before it is written out, so a client that reads slowly does not
hold a thread either. At most ``--max-connections`` client connections are open at once; one more is answered
503 and closed. What the front refuses itself gets a JSON body in the OCPI envelope (docs/api-guide.md).

It needs no Django: ``runhub`` passes it the settings (``OCPI_HUB_HEADER_TIMEOUT``,
``OCPI_HUB_BODY_READ_TIMEOUT``, ``OCPI_HUB_MAX_BODY_BYTES``, ``OCPI_HUB_MAX_CONNECTIONS``). Run by hand:
``python -m ocpi_hub.front --bind 127.0.0.1:8000 --upstream var/web.sock``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import resource
import signal
import socket
import sys
import time
from dataclasses import dataclass

HEADER_LIMIT = 64 * 1024  # request line and headers together
UPSTREAM_CONNECT_WAIT = 10.0  # seconds to wait for gunicorn (starting, or restarted by runhub)
UPSTREAM_TIMEOUT = 300.0  # gunicorn kills a stuck worker well before (its --timeout)
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"proxy-connection",
    b"transfer-encoding",
    b"te",
    b"upgrade",
    b"expect",
    b"content-length",
    b"trailer",
}
REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


@dataclass(frozen=True)
class Limits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_body: int = 8 * 1024 * 1024
    max_connections: int = 1000


class Refused(Exception):
    """A request the front answers itself (and then closes the connection)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: bytes
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""

    @property
    def wants_close(self) -> bool:
        tokens = {t.strip().lower() for name, value in self.headers if name == b"connection" for t in value.split(b",")}
        if self.version == b"HTTP/1.0":
            return b"keep-alive" not in tokens
        return b"close" in tokens


def error_response(status: int, message: str) -> bytes:
    """A complete HTTP/1.1 answer with the OCPI envelope (status 2000, a client error; 3000 for the server's)."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    body = json.dumps(
        {"status_code": 3000 if status >= 500 else 2000, "status_message": message, "timestamp": stamp}
    ).encode()
    head = (
        f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def parse_head(head: bytes) -> Request:
    """The request line and headers (``head`` ends with the empty line)."""
    lines = head[:-4].split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise Refused(400, "request line is not valid HTTP")
    method, target, version = parts
    if version not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise Refused(505, "only HTTP/1.0 and HTTP/1.1 are served")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise Refused(400, "header line is not valid HTTP")
        headers.append((name.lower(), value.strip()))
    return Request(method.upper(), target, version, headers)


def body_length(request: Request) -> int | None:
    """The Content-Length, 0 without one; None for a chunked body."""
    encodings = [value.lower() for name, value in request.headers if name == b"transfer-encoding"]
    lengths = {value for name, value in request.headers if name == b"content-length"}
    if encodings:
        if lengths:
            raise Refused(400, "Content-Length and Transfer-Encoding must not be sent together")
        if b",".join(encodings).replace(b" ", b"") != b"chunked":
            raise Refused(501, "only the chunked transfer coding is accepted")
        return None
    if len(lengths) > 1:
        raise Refused(400, "Content-Length: sent twice with different values")
    if not lengths:
        return 0
    value = lengths.pop()
    if not value.isdigit() or len(value) > 18:
        raise Refused(400, "Content-Length: not a number")
    return int(value)


class Front:
    def __init__(self, upstream: str, limits: Limits) -> None:
        self.upstream = upstream
        self.limits = limits
        self.open = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.open >= self.limits.max_connections:
            with contextlib.suppress(OSError):
                writer.write(error_response(503, "too many connections; try again later"))
            writer.close()
            return
        self.open += 1
        try:
            await self._connection(reader, writer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away, or would not read our answer in time
        finally:
            self.open -= 1
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        local = writer.get_extra_info("sockname")
        while True:
            try:
                request = await self._read_request(reader, writer)
            except Refused as refused:
                writer.write(error_response(refused.status, refused.message))
                await asyncio.wait_for(writer.drain(), self.limits.body_timeout)
                return
            if request is None:
                return  # closed, or idle past the header timeout between requests
            answer, keep = await self._forward(request, peer, local)
            writer.write(answer)
            await asyncio.wait_for(writer.drain(), self.limits.body_timeout)
            if not keep or request.wants_close:
                return

    async def _read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
        try:
            async with asyncio.timeout(self.limits.header_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            if reader._buffer:  # type: ignore[attr-defined]  # part of a request arrived, not all of it
                raise Refused(408, f"request headers not received within {self.limits.header_timeout:g} s") from None
            return None
        except asyncio.LimitOverrunError:
            raise Refused(431, f"request headers larger than {HEADER_LIMIT} bytes") from None
        except asyncio.IncompleteReadError:
            return None
        request = parse_head(head)
        length = body_length(request)
        if length is not None and length > self.limits.max_body:
            raise Refused(413, f"body: larger than {self.limits.max_body} bytes (OCPI_HUB_MAX_BODY_BYTES)")
        if any(name == b"expect" and value.lower() == b"100-continue" for name, value in request.headers):
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                request.body = await (self._chunked(reader) if length is None else reader.readexactly(length))
        except TimeoutError:
            timeout = self.limits.body_timeout
            raise Refused(408, f"body: not received within {timeout:g} s (OCPI_HUB_BODY_READ_TIMEOUT)") from None
        return request

    async def _chunked(self, reader: asyncio.StreamReader) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                chunk_size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise Refused(400, "chunked body is not valid") from None
            if chunk_size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers: dropped
                    pass
                return b"".join(chunks)
            size += chunk_size
            if size > self.limits.max_body:
                raise Refused(413, f"body: larger than {self.limits.max_body} bytes (OCPI_HUB_MAX_BODY_BYTES)")
            chunks.append(await reader.readexactly(chunk_size))
            if await reader.readexactly(2) != b"\r\n":
                raise Refused(400, "chunked body is not valid")

    async def _forward(self, request: Request, peer: object, local: object) -> tuple[bytes, bool]:
        """gunicorn's whole answer for ``request``, and whether the client connection may stay open."""
        try:
            upstream_reader, upstream_writer = await self._connect()
        except OSError:
            return error_response(503, "the web server is not available; try again later"), False
        try:
            upstream_writer.write(self._upstream_request(request, peer, local))
            async with asyncio.timeout(UPSTREAM_TIMEOUT):
                answer = await self._read_answer(upstream_reader, request)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            return error_response(502, "the web server did not answer"), False
        finally:
            upstream_writer.close()
        return self._client_answer(answer, request)

    @staticmethod
    async def _read_answer(reader: asyncio.StreamReader, request: Request) -> bytes:
        """gunicorn's answer, read as far as its framing says (it closes the connection a little later)."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ")[1:2]
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        if request.method == b"HEAD" or status in ([b"204"], [b"304"]) or status[:1] and status[0][:1] == b"1":
            return head
        if b"content-length" in fields:
            return head + await reader.readexactly(int(fields[b"content-length"]))
        return head + await reader.read()  # chunked or until the end: gunicorn closes after it

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        deadline = time.monotonic() + UPSTREAM_CONNECT_WAIT
        while True:
            try:
                return await asyncio.open_unix_connection(self.upstream)
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    @staticmethod
    def _upstream_request(request: Request, peer: object, local: object) -> bytes:
        lines = [_proxy_line(peer, local), request.method + b" " + request.target + b" " + request.version]
        lines += [name + b": " + value for name, value in request.headers if name not in HOP_BY_HOP]
        if request.body or request.method in (b"POST", b"PUT", b"PATCH"):
            lines.append(b"Content-Length: " + str(len(request.body)).encode())
        lines += [b"Connection: close", b"", b""]
        return b"\r\n".join(lines) + request.body

    @staticmethod
    def _client_answer(answer: bytes, request: Request) -> tuple[bytes, bool]:
        """gunicorn's answer with its Connection header replaced; the connection stays open when the answer's
        end is known without closing it (a Content-Length, chunked, or no body)."""
        end = answer.find(b"\r\n\r\n")
        if end < 0:
            return error_response(502, "the web server gave an incomplete answer"), False
        lines = answer[:end].split(b"\r\n")
        status = lines[0].split(b" ", 2)[1] if len(lines[0].split(b" ")) > 1 else b"502"
        names = {line.partition(b":")[0].strip().lower() for line in lines[1:]}
        delimited = (
            b"content-length" in names
            or b"transfer-encoding" in names
            or request.method == b"HEAD"
            or status in (b"204", b"304")
        )
        keep = delimited and not request.wants_close
        kept = [
            line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in (b"connection", b"keep-alive")
        ]
        if not keep:
            kept.append(b"Connection: close")
        elif request.version == b"HTTP/1.0":
            kept.append(b"Connection: keep-alive")
        return b"\r\n".join([lines[0], *kept]) + answer[end:], keep


def _proxy_line(peer: object, local: object) -> bytes:
    """PROXY protocol v1: gunicorn (``--proxy-protocol v1``) takes the client's address from it."""
    if isinstance(peer, tuple) and isinstance(local, tuple):
        family = b"TCP6" if ":" in str(peer[0]) else b"TCP4"
        return b"PROXY %s %s %s %d %d" % (family, peer[0].encode(), local[0].encode(), peer[1], local[1])
    return b"PROXY UNKNOWN"


def _raise_file_limit(connections: int) -> None:
    """Two descriptors per connection (client and gunicorn) and some to spare, as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * connections + 64
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _say(message: str) -> None:
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


async def run(host: str, port: int, upstream: str, limits: Limits) -> None:
    front = Front(upstream, limits)
    server = await asyncio.start_server(
        front.serve, host, port, limit=HEADER_LIMIT, reuse_address=True, backlog=min(limits.max_connections, 4096)
    )
    for sock in server.sockets:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    _say(f"front: listening on http://{host}:{port}, forwarding to unix:{upstream} ({limits})")
    async with server:
        await stop.wait()
    _say("front: stopped")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ocpi_hub.front", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
    parser.add_argument("--upstream", required=True, help="gunicorn's unix socket")
    parser.add_argument("--header-timeout", type=float, default=Limits.header_timeout)
    parser.add_argument("--body-timeout", type=float, default=Limits.body_timeout)
    parser.add_argument("--max-body", type=int, default=Limits.max_body)
    parser.add_argument("--max-connections", type=int, default=Limits.max_connections)
    args = parser.parse_args(argv)
    host, _, port = args.bind.rpartition(":")
    limits = Limits(args.header_timeout, args.body_timeout, args.max_body, args.max_connections)
    _raise_file_limit(limits.max_connections)
    asyncio.run(run(host.strip("[]") or "127.0.0.1", int(port), args.upstream, limits))


if __name__ == "__main__":
    main(sys.argv[1:])
