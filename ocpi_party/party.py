"""A small but real OCPI party (eMSP / CPO / ...) for end-to-end tests of the hub.

The party serves its own OCPI endpoints with ``http.server`` in a daemon thread and calls the hub
with ``requests``. It has no Django dependency, so any test can use it::

    with OcpiParty(roles=[{"role": "CPO", "country_code": "DE", "party_id": "CPO"}]) as cpo:
        cpo.register_with(hub_versions_url, token_a)
        cpo.call("PUT", cpo.hub_url("locations", "RECEIVER") + "/DE/CPO/LOC1", location)
        cpo.wait_for(lambda reqs: any(r.module == "sessions" for r in reqs))

Token naming (seen from this party): ``token_a`` lets the hub register with us, ``token_b`` is what the
hub uses to call us, ``token_c`` is what we use to call the hub.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json as _json
import re
import secrets
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

__all__ = [
    "OcpiParty",
    "OcpiPartyError",
    "Recorded",
    "auth_header",
    "encode_token",
    "envelope",
    "new_token",
    "ocpi_timestamp",
]

HOST = "127.0.0.1"
CONFIG_KINDS = frozenset({"versions", "details", "credentials"})  # where token A is accepted
UNROUTED_MODULES = frozenset({"versions", "credentials", "hubclientinfo"})
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,64}")

DEFAULT_ROLE: dict[str, Any] = {
    "role": "EMSP",
    "country_code": "NL",
    "party_id": "EMS",
    "business_details": {"name": "Test EMSP"},
}
_DEFAULT_MODULES: dict[str, list[tuple[str, str]]] = {
    "EMSP": [
        ("locations", "RECEIVER"),
        ("tariffs", "RECEIVER"),
        ("sessions", "RECEIVER"),
        ("cdrs", "RECEIVER"),
        ("hubclientinfo", "RECEIVER"),
        ("tokens", "SENDER"),
        ("commands", "SENDER"),
    ],
    "CPO": [
        ("locations", "SENDER"),
        ("tariffs", "SENDER"),
        ("sessions", "SENDER"),
        ("cdrs", "SENDER"),
        ("tokens", "RECEIVER"),
        ("commands", "RECEIVER"),
        ("hubclientinfo", "RECEIVER"),
    ],
}
_OTHER_MODULES = [("locations", "RECEIVER"), ("tariffs", "RECEIVER"), ("hubclientinfo", "RECEIVER")]

Handler = Callable[["Recorded"], tuple[Any, ...]]


# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------


def ocpi_timestamp() -> str:
    """UTC timestamp as OCPI likes it: ``YYYY-MM-DDTHH:MM:SS.fffZ``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def envelope(status_code: int = 1000, data: Any = None, status_message: str | None = None) -> dict[str, Any]:
    """An OCPI response envelope; ``data`` and ``status_message`` are omitted when None."""
    body: dict[str, Any] = {"status_code": status_code, "timestamp": ocpi_timestamp()}
    if data is not None:
        body["data"] = data
    if status_message is not None:
        body["status_message"] = status_message
    return body


def new_token() -> str:
    """A fresh credentials token (printable ASCII, 32 chars)."""
    return secrets.token_urlsafe(24)


def encode_token(token: str, raw: bool = False) -> str:
    return token if raw else base64.b64encode(token.encode("utf-8")).decode("ascii")


def auth_header(token: str, raw: bool = False) -> str:
    """Value of the ``Authorization`` header for ``token``."""
    return f"Token {encode_token(token, raw)}"


def decode_auth_header(value: str | None, raw: bool = False) -> str | None:
    """The token carried by an ``Authorization`` header, or None when absent/malformed."""
    if not value:
        return None
    scheme, _, encoded = value.strip().partition(" ")
    encoded = encoded.strip()
    if scheme.lower() != "token" or not encoded:
        return None
    if raw:
        return encoded
    try:
        return base64.b64decode(encoded, validate=True).decode("ascii").rstrip()
    except (binascii.Error, UnicodeDecodeError):
        return None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def _complete_role(role: dict[str, Any]) -> dict[str, Any]:
    role = dict(role)
    name = f"Test {role.get('role', 'party')} {role.get('country_code', '')}{role.get('party_id', '')}"
    role.setdefault("business_details", {"name": name})
    return role


def _default_modules(role: str) -> list[tuple[str, str]]:
    return list(_DEFAULT_MODULES.get(role.upper(), _OTHER_MODULES))


# --------------------------------------------------------------------------------------------------
# data objects
# --------------------------------------------------------------------------------------------------


class OcpiPartyError(RuntimeError):
    """An OCPI exchange did not end with HTTP 2xx and status_code 1000."""

    def __init__(self, message: str, *, ocpi_status: int = 3001, response: requests.Response | None = None):
        super().__init__(message)
        self.ocpi_status = ocpi_status
        self.response = response


@dataclass
class Recorded:
    """One request received by the party."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, None when empty or invalid
    raw_body: bytes
    received_at: float
    authorized: bool = False
    token: str | None = None  # decoded token presented in Authorization
    version: str | None = None  # OCPI version from the URL
    module: str | None = None  # "versions", "credentials", "locations", ...
    interface: str | None = None  # "RECEIVER" / "SENDER" for module endpoints
    json_error: bool = False  # body present but not valid JSON
    response_status: int | None = None  # HTTP status we answered
    response_body: Any = None  # JSON (or bytes) we answered

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    @property
    def status_code(self) -> int | None:
        """OCPI status_code of our answer (None while unanswered or not an envelope)."""
        if isinstance(self.response_body, dict):
            return self.response_body.get("status_code")
        return None

    def summary(self) -> str:
        auth = "" if self.authorized else " UNAUTHORIZED"
        return f"{self.method} {self.path} -> {self.response_status}/{self.status_code}{auth}"


@dataclass
class _Answer:
    http_status: int
    body: Any  # dict/list (JSON) or bytes (sent as is)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Route:
    kind: str  # "versions" | "details" | "credentials" | "module" | "unknown"
    version: str | None = None
    module: str | None = None
    interface: str | None = None


@dataclass
class _Script:
    http_status: int
    status_code: int
    data: Any
    delay: float
    times: int | None
    status_message: str | None
    headers: dict[str, str]
    raw_body: bytes | None
    method: str | None
    path_regex: re.Pattern[str] | None

    def matches(self, rec: Recorded, route: _Route) -> bool:
        if self.method is not None and self.method != rec.method:
            return False
        if self.path_regex is None:
            return route.kind == "module"
        return self.path_regex.search(rec.path) is not None

    def answer(self) -> _Answer:
        body: Any = self.raw_body
        if body is None:
            body = envelope(self.status_code, self.data, self.status_message)
        return _Answer(self.http_status, body, dict(self.headers))


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], party: OcpiParty):
        self.party = party
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def server_bind(self) -> None:  # skip HTTPServer's reverse DNS lookup (getfqdn)
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Abort every open (keep-alive or in-flight) connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay silent: broken connections are expected (go_down, client timeouts)."""


class _RequestHandler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """No logging to stderr."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        raw = self._read_body()
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.server.party._handle(self.command, self.path, headers, raw)
        self._send(answer)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send(self, answer: _Answer) -> None:
        payload = answer.body if isinstance(answer.body, bytes) else _json.dumps(answer.body).encode()
        extra = {name.lower() for name in answer.headers}
        self.send_response(answer.http_status)
        if "content-type" not in extra:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


# --------------------------------------------------------------------------------------------------
# the party
# --------------------------------------------------------------------------------------------------


class OcpiParty:
    """An OCPI platform with one or more roles, serving on ``127.0.0.1:<random port>``."""

    def __init__(
        self,
        *,
        version: str = "2.2.1",
        roles: list[dict[str, Any]] | None = None,
        modules: list[tuple[str, str]] | None = None,
        versions: list[str] | None = None,
        raw_tokens: bool = False,
        timeout: float = 10.0,
        trailing_slash: bool = False,
        unknown_token_status: int = 401,
    ):
        self.version = version
        self.trailing_slash = trailing_slash  # module endpoints listed as ``.../cdrs/`` (FastAPI/Django style)
        self.unknown_token_status = unknown_token_status  # several real peers answer 403 to an unknown token
        self.roles = [_complete_role(role) for role in (roles or [DEFAULT_ROLE])]
        self.modules = list(modules) if modules is not None else _default_modules(self.roles[0]["role"])
        self.versions = list(versions) if versions else [version]
        self.raw_tokens = raw_tokens
        self.timeout = timeout
        # credentials state
        self.token_a: str | None = None
        self.token_b: str = new_token()
        self.token_c: str | None = None
        self.hub_credentials: dict[str, Any] | None = None
        self.hub_endpoints: dict[tuple[str, str], str] = {}
        self.hub_version: str | None = None
        self.hub_versions_url: str | None = None
        self.registered = False
        self._pending_token_b: str | None = None  # accepted too while a PUT rotation is in flight
        # recording / behaviour
        self.received: list[Recorded] = []
        self.errors: list[BaseException] = []  # exceptions raised by `on` handlers
        self._scripts: list[_Script] = []
        self._handlers: list[tuple[str, re.Pattern[str], Handler]] = []
        self._lock = threading.RLock()
        # server
        self._port: int | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        role = self.roles[0]
        return f"<OcpiParty {role['role']} {role['country_code']}/{role['party_id']} port={self._port}>"

    # ---- lifecycle --------------------------------------------------------------------------------

    def start(self) -> OcpiParty:
        if self._server is None:
            self._bind(self._port or 0)
        return self

    def stop(self) -> None:
        self._unbind()

    def go_down(self) -> None:
        """Close the listening socket and all open connections: new connections are refused."""
        self._unbind()

    def come_up(self, timeout: float = 5.0) -> None:
        """Listen again on the same port."""
        if self._server is not None:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._bind(self._require_port())
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def __enter__(self) -> OcpiParty:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _bind(self, port: int) -> None:
        server = _Server((HOST, port), self)
        self._port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ocpi-party-{self._port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread

    def _unbind(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=1.0)

    # ---- addresses --------------------------------------------------------------------------------

    def _require_port(self) -> int:
        if self._port is None:
            raise RuntimeError("OcpiParty is not started; call start() first")
        return self._port

    @property
    def port(self) -> int:
        return self._require_port()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self._require_port()}"

    @property
    def versions_url(self) -> str:
        return f"{self.url}/versions"

    def details_url(self, version: str | None = None) -> str:
        return f"{self.url}/{version or self.version}/details"

    def endpoint_url(self, identifier: str, role: str = "RECEIVER", version: str | None = None) -> str:
        """URL of one of this party's own endpoints, as listed in its version details."""
        base = f"{self.url}/{version or self.version}/{identifier}"
        if identifier != "credentials" and role.upper() != "RECEIVER":
            base = f"{base}/sender"
        return f"{base}/" if self.trailing_slash and identifier != "credentials" else base

    @property
    def credentials_url(self) -> str:
        return self.endpoint_url("credentials")

    def own_credentials(self, token: str | None = None) -> dict[str, Any]:
        """This party's credentials object (token defaults to token_b)."""
        return {"token": token or self.token_b, "url": self.versions_url, "roles": self.roles}

    @property
    def hub_token(self) -> str | None:
        """The token the hub gave us (alias of token_c)."""
        return self.token_c

    def issue_token_a(self) -> str:
        """Generate a token A with which the hub may register with this party."""
        self.token_a = new_token()
        return self.token_a

    # ---- recording ----------------------------------------------------------------------------------

    def snapshot(self) -> list[Recorded]:
        with self._lock:
            return list(self.received)

    def clear_received(self) -> None:
        with self._lock:
            self.received.clear()

    def requests_to(self, module: str, method: str | None = None) -> list[Recorded]:
        method = method.upper() if method else None
        return [rec for rec in self.snapshot() if rec.module == module and (method is None or rec.method == method)]

    def wait_for(self, predicate: Callable[[list[Recorded]], bool], timeout: float = 10.0) -> list[Recorded]:
        """Poll until ``predicate(received)`` is true; AssertionError with a summary on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            snapshot = self.snapshot()
            if predicate(snapshot):
                return snapshot
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_summary(timeout, snapshot))
            time.sleep(0.02)

    def wait_for_requests(
        self, module: str, method: str | None = None, count: int = 1, timeout: float = 10.0
    ) -> list[Recorded]:
        """Wait until at least ``count`` requests hit ``module``; return those requests."""
        method = method.upper() if method else None
        self.wait_for(
            lambda reqs: sum(r.module == module and method in (None, r.method) for r in reqs) >= count,
            timeout,
        )
        return self.requests_to(module, method)

    def _timeout_summary(self, timeout: float, snapshot: list[Recorded]) -> str:
        lines = [f"{self!r}: condition not met within {timeout}s; {len(snapshot)} request(s) received"]
        lines += [f"  {rec.summary()}" for rec in snapshot[-30:]]
        return "\n".join(lines)

    # ---- behaviour control ------------------------------------------------------------------------

    def respond_with(
        self,
        *,
        http_status: int = 200,
        status_code: int = 1000,
        data: Any = None,
        delay: float = 0.0,
        times: int | None = None,
        status_message: str | None = None,
        headers: dict[str, str] | None = None,
        raw_body: bytes | None = None,
        method: str | None = None,
        path_regex: str | None = None,
    ) -> None:
        """Queue a scripted answer for module endpoints (FIFO; ``times=None`` means forever).

        Without ``path_regex`` the answer applies to module endpoints only; with it, to any path
        matching it (so versions/details/credentials can be scripted too).
        """
        script = _Script(
            http_status=http_status,
            status_code=status_code,
            data=data,
            delay=delay,
            times=times,
            status_message=status_message,
            headers=dict(headers or {}),
            raw_body=raw_body,
            method=method.upper() if method else None,
            path_regex=re.compile(path_regex) if path_regex else None,
        )
        with self._lock:
            self._scripts.append(script)

    def clear_responses(self) -> None:
        with self._lock:
            self._scripts.clear()

    def on(self, method: str, path_regex: str, handler: Handler) -> None:
        """Custom handler for ``method`` ("*" = any) and paths matching ``path_regex`` (re.search).

        The handler gets the Recorded request and returns ``(http_status, json_body)`` or
        ``(http_status, json_body, extra_headers)``. Later registrations win; handlers take
        precedence over ``respond_with`` scripts and apply to every authorized path.
        """
        with self._lock:
            self._handlers.insert(0, (method.upper(), re.compile(path_regex), handler))

    def clear_handlers(self) -> None:
        with self._lock:
            self._handlers.clear()

    # ---- server side: request handling ------------------------------------------------------------

    def _handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Answer:
        rec, route = self._record(method, target, headers, raw)
        answer = self._answer(rec, route)
        self._finish(rec, route, answer)
        return answer

    def _record(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[Recorded, _Route]:
        split = urlsplit(target)
        route = self._route(split.path)
        body, json_error = _parse_json(raw)
        token = decode_auth_header(headers.get("authorization"), self.raw_tokens)
        rec = Recorded(
            method=method.upper(),
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            body=body,
            raw_body=raw,
            received_at=time.time(),
            authorized=self._is_authorized(route, token),
            token=token,
            version=route.version,
            module=route.module,
            interface=route.interface,
            json_error=json_error,
        )
        with self._lock:
            self.received.append(rec)
        return rec, route

    def _route(self, path: str) -> _Route:
        parts = [part for part in path.split("/") if part]
        if parts == ["versions"]:
            return _Route("versions", module="versions")
        if not parts or parts[0] not in self.versions:
            return _Route("unknown")
        version, rest = parts[0], parts[1:]
        if rest in ([], ["details"]):
            return _Route("details", version, "versions")
        if rest == ["credentials"]:
            return _Route("credentials", version, "credentials")
        interface = "SENDER" if rest[1:2] == ["sender"] else "RECEIVER"
        return _Route("module", version, rest[0], interface)

    def _is_authorized(self, route: _Route, token: str | None) -> bool:
        if token is None:
            return False
        with self._lock:
            if token in (self.token_b, self._pending_token_b):
                return True
            return token == self.token_a and route.kind in CONFIG_KINDS

    def _answer(self, rec: Recorded, route: _Route) -> _Answer:
        if not rec.authorized:
            return _Answer(
                self.unknown_token_status, envelope(2000, status_message="Unauthorized: missing or unknown token")
            )
        custom = self._custom_answer(rec, route)
        if custom is not None:
            return custom
        if route.kind == "versions":
            return _Answer(200, envelope(1000, self._versions_data()))
        if route.kind == "details":
            return _Answer(200, envelope(1000, self._details_data(route.version or self.version)))
        if route.kind == "credentials":
            return self._credentials_answer(rec)
        if route.kind == "module":
            return self._default_module_answer(rec)
        return _Answer(404, envelope(2000, status_message=f"Unknown path {rec.path}"))

    def _custom_answer(self, rec: Recorded, route: _Route) -> _Answer | None:
        handler = self._find_handler(rec)
        if handler is not None:
            return self._run_handler(handler, rec)
        script = self._next_script(rec, route)
        if script is None:
            return None
        if script.delay > 0:
            time.sleep(script.delay)
        return script.answer()

    def _find_handler(self, rec: Recorded) -> Handler | None:
        with self._lock:
            for method, pattern, handler in self._handlers:
                if method in ("*", rec.method) and pattern.search(rec.path):
                    return handler
        return None

    def _run_handler(self, handler: Handler, rec: Recorded) -> _Answer:
        try:
            result = handler(rec)
            status, body = result[0], result[1]
            headers = dict(result[2]) if len(result) > 2 else {}
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            return _Answer(500, envelope(3000, status_message=f"party handler failed: {exc!r}"))
        if isinstance(body, dict) and "status_code" in body:
            body.setdefault("timestamp", ocpi_timestamp())
        return _Answer(int(status), body, headers)

    def _next_script(self, rec: Recorded, route: _Route) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if not script.matches(rec, route):
                    continue
                if script.times is not None:
                    script.times -= 1
                    if script.times <= 0:
                        self._scripts.remove(script)
                return script
        return None

    def _default_module_answer(self, rec: Recorded) -> _Answer:
        if rec.json_error:
            return _Answer(400, envelope(2001, status_message="Request body is not valid JSON"))
        return _Answer(200, envelope(1000))

    def _finish(self, rec: Recorded, route: _Route, answer: _Answer) -> None:
        defaults = {
            "X-Request-ID": rec.header("x-request-id") or str(uuid.uuid4()),
            "X-Correlation-ID": rec.header("x-correlation-id") or str(uuid.uuid4()),
        }
        if route.kind == "module" and route.module not in UNROUTED_MODULES:
            defaults.update(self._response_routing_headers(rec))
        present = {name.lower() for name in answer.headers}
        for name, value in defaults.items():
            if name.lower() not in present:
                answer.headers[name] = value
        rec.response_body = answer.body
        rec.response_status = answer.http_status

    def _response_routing_headers(self, rec: Recorded) -> dict[str, str]:
        """Response headers: from = the addressed role of ours (or our first), to = the requester."""
        role = self._role_for(rec.header("ocpi-to-country-code"), rec.header("ocpi-to-party-id"))
        headers = {"OCPI-from-country-code": role["country_code"], "OCPI-from-party-id": role["party_id"]}
        if rec.header("ocpi-from-country-code") and rec.header("ocpi-from-party-id"):
            headers["OCPI-to-country-code"] = rec.headers["ocpi-from-country-code"]
            headers["OCPI-to-party-id"] = rec.headers["ocpi-from-party-id"]
        return headers

    def _role_for(self, country_code: str | None, party_id: str | None) -> dict[str, Any]:
        for role in self.roles:
            if (role["country_code"], role["party_id"]) == (country_code, party_id):
                return role
        return self.roles[0]

    def _versions_data(self) -> list[dict[str, str]]:
        return [{"version": v, "url": self.details_url(v)} for v in self.versions]

    def _details_data(self, version: str) -> dict[str, Any]:
        endpoints = [
            {
                "identifier": "credentials",
                "role": "SENDER",
                "url": self.endpoint_url("credentials", "SENDER", version),
            }
        ]
        endpoints += [
            {"identifier": ident, "role": role, "url": self.endpoint_url(ident, role, version)}
            for ident, role in self.modules
            if ident != "credentials"
        ]
        return {"version": version, "endpoints": endpoints}

    # ---- server side: credentials module ----------------------------------------------------------

    def _credentials_answer(self, rec: Recorded) -> _Answer:
        if rec.method == "GET":
            return _Answer(200, envelope(1000, self.own_credentials()))
        if rec.method not in ("POST", "PUT", "DELETE"):
            return _Answer(405, envelope(2000, status_message=f"{rec.method} not allowed on credentials"))
        if (rec.method == "POST") == self.registered:
            state = "already registered" if self.registered else "not registered"
            return _Answer(405, envelope(2000, status_message=f"{rec.method} credentials: {state}"))
        if rec.method == "DELETE":
            self._forget_hub()
            return _Answer(200, envelope(1000))
        return self._accept_credentials(rec)

    def _accept_credentials(self, rec: Recorded) -> _Answer:
        """POST/PUT by the hub: call the hub back with its token, then hand out a fresh token_b."""
        if rec.json_error:
            return _Answer(400, envelope(2001, status_message="Request body is not valid JSON"))
        problem = _credentials_problem(rec.body)
        if problem:
            return _Answer(200, envelope(2001, status_message=problem))
        body: dict[str, Any] = rec.body
        try:
            version, endpoints = self._discover(body["url"], body["token"], preferred=rec.version)
        except OcpiPartyError as exc:
            return _Answer(200, envelope(exc.ocpi_status, status_message=str(exc)))
        with self._lock:
            self.token_b = new_token()
            self._store_hub(body, body["token"], body["url"], version, endpoints)
            self.token_a = None
            credentials = self.own_credentials()
        return _Answer(200, envelope(1000, credentials))

    def _store_hub(
        self,
        credentials: dict[str, Any],
        token_c: str,
        versions_url: str,
        version: str,
        endpoints: dict[tuple[str, str], str],
    ) -> None:
        with self._lock:
            self.token_c = token_c
            self.hub_credentials = credentials
            self.hub_versions_url = versions_url
            self.hub_version = version
            self.hub_endpoints = endpoints
            self.registered = True

    def _forget_hub(self) -> None:
        """Unregistered: drop the hub's data and invalidate the token the hub used (token_b)."""
        with self._lock:
            self.token_c = None
            self.hub_credentials = None
            self.hub_endpoints = {}
            self.hub_version = None
            self.registered = False
            self.token_b = new_token()

    # ---- client side ------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        url: str,
        json: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str | None] | None = None,
        raw_token: bool | None = None,
        data: bytes | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        """Call the hub (token_c by default) with X-Request-ID, X-Correlation-ID and OCPI-from-*.

        ``headers`` override the defaults (case-insensitive); a None value removes a header.
        ``data`` sends raw bytes instead of ``json``.
        """
        token = token if token is not None else self.token_c
        if token is None:
            raise OcpiPartyError(f"{self!r} has no token_c: register first or pass token=")
        default = self._from_headers()
        default.update(headers or {})
        return self._send(
            method, url, token, json=json, headers=default, raw_token=raw_token, data=data, timeout=timeout
        )

    def _from_headers(self) -> dict[str, str | None]:
        role = self.roles[0]
        return {"OCPI-from-country-code": role["country_code"], "OCPI-from-party-id": role["party_id"]}

    def _send(
        self,
        method: str,
        url: str,
        token: str,
        *,
        json: Any = None,
        headers: dict[str, str | None] | None = None,
        raw_token: bool | None = None,
        data: bytes | None = None,
        timeout: float | None = None,
    ) -> requests.Response:
        raw = self.raw_tokens if raw_token is None else raw_token
        merged: CaseInsensitiveDict[str | None] = CaseInsensitiveDict(
            {
                "Authorization": auth_header(token, raw),
                "X-Request-ID": str(uuid.uuid4()),
                "X-Correlation-ID": str(uuid.uuid4()),
            }
        )
        if json is not None or data is not None:
            merged["Content-Type"] = "application/json"
        merged.update(headers or {})
        final = {name: value for name, value in merged.items() if value is not None}
        return requests.request(
            method.upper(), url, json=json, data=data, headers=final, timeout=timeout or self.timeout
        )

    def _get_data(self, url: str, token: str, step: str) -> Any:
        try:
            response = self._send("GET", url, token)
        except requests.RequestException as exc:
            raise OcpiPartyError(f"{step}: GET {url} failed: {exc!r}") from exc
        return _expect_ok(response, step)

    def _discover(self, versions_url: str, token: str, preferred: str | None) -> tuple[str, dict[tuple[str, str], str]]:
        """GET the peer's versions + details; return (version, {(identifier, role): url})."""
        offered = _parse_versions(self._get_data(versions_url, token, "GET versions"), versions_url)
        version = self._pick_version(offered, preferred)
        details = self._get_data(offered[version], token, f"GET {version} details")
        return version, _parse_endpoints(details, offered[version])

    def _pick_version(self, offered: dict[str, str], preferred: str | None) -> str:
        if preferred is not None:
            if preferred in offered:
                return preferred
            raise OcpiPartyError(
                f"peer does not offer version {preferred} (offers {sorted(offered)})", ocpi_status=3002
            )
        mutual = set(offered) & set(self.versions)
        if not mutual:
            raise OcpiPartyError(f"no mutual version: peer {sorted(offered)}, us {self.versions}", ocpi_status=3002)
        return max(mutual, key=_version_key)

    def register_with(self, hub_versions_url: str, token_a: str) -> dict[str, Any]:
        """Party-initiated handshake with token A; returns the hub's credentials object."""
        self._require_port()
        version, endpoints = self._discover(hub_versions_url, token_a, preferred=None)
        url = _credentials_url(endpoints)
        try:
            response = self._send("POST", url, token_a, json=self.own_credentials())
        except requests.RequestException as exc:
            raise OcpiPartyError(f"POST credentials {url} failed: {exc!r}") from exc
        credentials = _expect_ok(response, "POST credentials")
        _check_credentials(credentials, "POST credentials")
        self._store_hub(credentials, credentials["token"], hub_versions_url, version, endpoints)
        return credentials

    def rediscover_hub(self) -> dict[tuple[str, str], str]:
        """Read the hub's version details again with token_c (what it advertises may depend on who asks)."""
        version, endpoints = self._discover(self._require_hub_versions_url(), self._require_token_c(), self.hub_version)
        with self._lock:
            self.hub_version, self.hub_endpoints = version, endpoints
        return endpoints

    def _require_hub_versions_url(self) -> str:
        if self.hub_versions_url is None:
            raise OcpiPartyError(f"{self!r} is not registered with the hub (no versions url)")
        return self.hub_versions_url

    def hub_url(self, identifier: str, role: str) -> str:
        try:
            return self.hub_endpoints[(identifier, role.upper())]
        except KeyError:
            known = ", ".join(f"{i}/{r}" for i, r in sorted(self.hub_endpoints))
            raise KeyError(f"hub has no endpoint {identifier}/{role} (known: {known or 'none'})") from None

    def update_credentials(self) -> dict[str, Any]:
        """PUT our credentials with a NEW token_b; store the new token_c. Returns the hub's credentials."""
        url = _credentials_url(self.hub_endpoints)
        token = self._require_token_c()
        fresh = new_token()
        with self._lock:
            self._pending_token_b = fresh  # the hub may call back with the old or the new token
        try:
            response = self._send("PUT", url, token, json=self.own_credentials(fresh))
            credentials = _expect_ok(response, "PUT credentials")
            _check_credentials(credentials, "PUT credentials")
        except Exception:
            with self._lock:
                self._pending_token_b = None
            raise
        with self._lock:
            self.token_b, self._pending_token_b = fresh, None
            self.token_c = credentials["token"]
            self.hub_credentials = credentials
        return credentials

    def unregister(self) -> requests.Response:
        """DELETE our registration at the hub; on success forget the hub and invalidate token_b."""
        response = self._send("DELETE", _credentials_url(self.hub_endpoints), self._require_token_c())
        if response.ok and _status_code(response) == 1000:
            self._forget_hub()
        return response

    def _require_token_c(self) -> str:
        if self.token_c is None:
            raise OcpiPartyError(f"{self!r} is not registered with the hub (no token_c)")
        return self.token_c


# --------------------------------------------------------------------------------------------------
# parsing helpers
# --------------------------------------------------------------------------------------------------


def _parse_json(raw: bytes) -> tuple[Any, bool]:
    """(parsed body, json_error)."""
    if not raw.strip():
        return None, False
    try:
        return _json.loads(raw), False
    except (ValueError, UnicodeDecodeError):
        return None, True


def _status_code(response: requests.Response) -> int | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("status_code") if isinstance(body, dict) else None


def _expect_ok(response: requests.Response, step: str) -> Any:
    """The envelope's data, or OcpiPartyError unless HTTP 2xx + status_code 1000."""
    status = _status_code(response)
    if response.ok and status == 1000:
        return response.json().get("data")
    text = response.text[:500]
    raise OcpiPartyError(
        f"{step}: {response.request.method} {response.url} answered HTTP {response.status_code}, "
        f"status_code {status}: {text}",
        response=response,
    )


def _parse_versions(data: Any, url: str) -> dict[str, str]:
    if not isinstance(data, list):
        raise OcpiPartyError(f"versions at {url}: data is not a list: {data!r}")
    offered = {
        str(item["version"]): str(item["url"])
        for item in data
        if isinstance(item, dict) and "version" in item and "url" in item
    }
    if not offered:
        raise OcpiPartyError(f"versions at {url}: no usable version in {data!r}")
    return offered


def _parse_endpoints(details: Any, url: str) -> dict[tuple[str, str], str]:
    endpoints = details.get("endpoints") if isinstance(details, dict) else None
    if not isinstance(endpoints, list):
        raise OcpiPartyError(f"version details at {url}: no endpoints list: {details!r}")
    return {
        (str(ep["identifier"]), str(ep.get("role", "SENDER")).upper()): str(ep["url"])
        for ep in endpoints
        if isinstance(ep, dict) and "identifier" in ep and "url" in ep
    }


def _credentials_url(endpoints: dict[tuple[str, str], str]) -> str:
    for (identifier, _role), url in sorted(endpoints.items()):
        if identifier == "credentials":
            return url
    raise OcpiPartyError(f"no credentials endpoint among {sorted(endpoints)}", ocpi_status=3003)


def _credentials_problem(body: Any) -> str | None:
    """Why ``body`` is not a usable Credentials object (None when it is)."""
    if not isinstance(body, dict):
        return "credentials body must be a JSON object"
    token = body.get("token")
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return "credentials.token must be 1-64 printable non-whitespace ASCII characters"
    if not isinstance(body.get("url"), str) or not body["url"]:
        return "credentials.url is required"
    roles = body.get("roles")
    if not isinstance(roles, list) or not roles:
        return "credentials.roles must be a non-empty list"
    return None


def _check_credentials(credentials: Any, step: str) -> None:
    problem = _credentials_problem(credentials)
    if problem:
        raise OcpiPartyError(f"{step}: hub answered invalid credentials ({problem}): {credentials!r}")
