"""The smallest OCPI receivers, for the delivery benchmarks: one HTTP/1.1 keep-alive server in a thread of
this process that answers every PUT/PATCH/POST with a 1000 envelope, in one write, and records what it
received (path, receipt time, body) for the lag figures. Any number of receivers share it: each gets its own
path prefix (``url_for(n)``)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = b'{"status_code":1000,"timestamp":"2026-01-01T00:00:00Z"}'
HEAD = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(ANSWER)}\r\n\r\n".encode()


class Receivers:
    def __init__(self, *, record: bool = True) -> None:
        self.received: list[tuple[float, str, bytes]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if record:
                    with owner.lock:
                        owner.received.append((time.time(), self.path, body))
                self.wfile.write(HEAD + ANSWER)  # one write: no Nagle/delayed-ACK stall

            do_PUT = do_PATCH = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url_for(self, number: int) -> str:
        return f"{self.url}/r{number}"

    def take(self) -> list[tuple[float, str, bytes]]:
        with self.lock:
            taken, self.received = self.received, []
        return taken

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
