"""A lean HTTP/1.1 keep-alive client and a closed-loop load generator.

The load generator shares the machine's 2 cores with the hub, so it is kept as cheap as possible: one
blocking socket per thread, requests built as bytes up front (or by a cheap template), responses parsed
just enough (status line, Content-Length / chunked, the OCPI status_code found by a byte search). Its own
CPU use is measured and reported with every phase (see ``bench.procs``).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK_MARK = b'"status_code":1000'  # the hub renders compact JSON
OK_MARKS = (OK_MARK, b'"status_code": 1000')  # json.dumps defaults (OcpiParty)
RequestFactory = Callable[[int, int], bytes]  # (thread index, request index) -> raw request bytes


class HttpError(Exception):
    """The connection broke before a complete answer was read."""


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower().encode())
        return None if value is None else value.decode("latin-1")

    @property
    def ocpi_ok(self) -> bool:
        return self.status == 200 and any(mark in self.body for mark in OK_MARKS)

    def json(self) -> Any:
        return json.loads(self.body)


def build_request(
    method: str, path: str, *, host: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body is not None else head


class Connection:
    """One keep-alive connection. ``request`` sends raw bytes and reads one full answer."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.address = (host, port)
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None
                self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.address, timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer = sock, b""
        return sock

    def request(self, raw: bytes) -> Answer:
        reused = self.sock is not None
        sock = self.sock or self._connect()
        try:
            sock.sendall(raw)
            return self._read(sock)
        except (OSError, HttpError):
            self.close()
            if not reused:
                raise
        # the server closed an idle keep-alive connection: once more on a fresh one
        sock = self._connect()
        try:
            sock.sendall(raw)
            return self._read(sock)
        except (OSError, HttpError):
            self.close()
            raise

    def _recv(self, sock: socket.socket) -> bytes:
        chunk = sock.recv(262144)
        if not chunk:
            raise HttpError("connection closed by the server")
        return chunk

    def _read(self, sock: socket.socket) -> Answer:
        buffer = self.buffer
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end >= 0:
                break
            buffer += self._recv(sock)
        head, rest = buffer[:end], buffer[end + 4 :]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get(b"content-length")
        if length is not None:
            body, self.buffer = self._read_length(sock, rest, int(length))
        elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            body, self.buffer = self._read_chunked(sock, rest)
        else:  # read to close
            parts = [rest]
            while True:
                chunk = sock.recv(262144)
                if not chunk:
                    break
                parts.append(chunk)
            body, self.buffer = b"".join(parts), b""
            self.close()
        if headers.get(b"connection", b"").lower() == b"close":
            self.close()
        return Answer(status, headers, body)

    def _read_length(self, sock: socket.socket, rest: bytes, length: int) -> tuple[bytes, bytes]:
        if len(rest) >= length:
            return rest[:length], rest[length:]
        parts, have = [rest], len(rest)
        while have < length:
            chunk = self._recv(sock)
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        return data[:length], data[length:]

    def _read_chunked(self, sock: socket.socket, rest: bytes) -> tuple[bytes, bytes]:
        data, body = rest, []
        while True:
            while b"\r\n" not in data:
                data += self._recv(sock)
            size_line, data = data.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            while len(data) < size + 2:
                data += self._recv(sock)
            if size == 0:
                # trailers (none expected) end with an empty line
                while not data.startswith(b"\r\n") and b"\r\n\r\n" not in data:
                    data += self._recv(sock)
                cut = 2 if data.startswith(b"\r\n") else data.index(b"\r\n\r\n") + 4
                return b"".join(body), data[cut:]
            body.append(data[:size])
            data = data[size + 2 :]


# ----------------------------------------------------------------------------------------------------------
# statistics
# ----------------------------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


def latency_summary(values: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max/mean of durations given in seconds, in milliseconds."""

    def ms(value: float | None) -> float | None:
        return None if value is None else round(value * 1000, 3)

    return {
        "p50_ms": ms(percentile(values, 50)),
        "p95_ms": ms(percentile(values, 95)),
        "p99_ms": ms(percentile(values, 99)),
        "max_ms": ms(max(values) if values else None),
        "mean_ms": ms(sum(values) / len(values) if values else None),
    }


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list, repr=False)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 3),
            "rps": round(self.rps, 1),
            **latency_summary(self.latencies),
            "error_samples": self.error_samples[:5],
        }


def _answer_problem(answer: Answer) -> str | None:
    if answer.ocpi_ok:
        return None
    return f"HTTP {answer.status}: {answer.body[:300]!r}"


def run_load(
    host: str,
    port: int,
    factory: RequestFactory,
    *,
    threads: int,
    duration: float,
    min_requests: int = 0,
    max_duration: float | None = None,
    check: Callable[[Answer], str | None] = _answer_problem,
    start_index: int = 0,
) -> LoadResult:
    """Closed loop: ``threads`` connections, each sending its next request as soon as the previous answer
    arrived, until ``duration`` seconds have passed AND at least ``min_requests`` were made (bounded by
    ``max_duration``). Only successful answers count as requests; failures are counted as errors."""
    max_duration = max_duration or max(duration * 4, duration + 30)
    barrier = threading.Barrier(threads + 1)
    lock = threading.Lock()
    result = LoadResult()
    done = [0]
    state: dict[str, float] = {}

    def worker(index: int) -> None:
        connection = Connection(host, port)
        latencies: list[float] = []
        errors: list[str] = []
        sequence = start_index
        clock = time.perf_counter
        barrier.wait()
        started = state["start"]
        try:
            while True:
                now = clock()
                elapsed = now - started
                if elapsed >= duration and (done[0] >= min_requests or elapsed >= max_duration):
                    break
                raw = factory(index, sequence)
                sequence += 1
                before = clock()
                try:
                    answer = connection.request(raw)
                except (OSError, HttpError) as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    time.sleep(0.01)
                    continue
                latency = clock() - before
                problem = check(answer)
                if problem is None:
                    latencies.append(latency)
                    done[0] += 1  # a benign race: only used as a stopping hint
                else:
                    errors.append(problem)
        finally:
            connection.close()
            finished = clock()
            with lock:
                result.latencies.extend(latencies)
                result.requests += len(latencies)
                result.errors += len(errors)
                result.error_samples.extend(errors[: 5 - len(result.error_samples)] if errors else [])
                state["end"] = max(state.get("end", 0.0), finished)

    pool = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(threads)]
    for thread in pool:
        thread.start()
    state["start"] = time.perf_counter()
    barrier.wait()
    for thread in pool:
        thread.join()
    result.elapsed = state["end"] - state["start"]
    return result
