"""Loopback HTTP/1.1 transport for the fake Google server (stdlib only).

A threaded keep-alive server on 127.0.0.1 that hands each request to a callable and
writes back its Reply, or misbehaves on purpose: Reply.drop "reset" aborts the
connection with a TCP RST, "timeout" holds the request for Reply.hold seconds first.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

try:
    from .serving import Serving
except ImportError:  # run as a script: python tests/fakes/google_server.py
    from serving import Serving  # type: ignore[import-not-found,no-redef]


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: str | None = None  # "reset" / "timeout": close the socket instead of answering
    hold: float = 0.0  # seconds a "timeout" drop waits first


# (method, path with query, headers with lower-cased names, body) -> Reply
Serve = Callable[[str, str, dict[str, str], bytes], Reply]


class LoopbackServer:
    """Serves `serve` on 127.0.0.1:port (0 = any free port) from a daemon thread."""

    def __init__(self, serve: Serve, *, port: int = 0) -> None:
        self.serve = serve
        self.errors: list[str] = []  # tracebacks of exceptions raised by `serve`
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.owner = self
        self._serving = Serving(self._server, name="fake-google-http")

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self.stopping.set()  # ends held "timeout" requests early
        self._serving.stop()
        with self.lock:
            connections = list(self.connections)
        for conn in connections:  # wake handler threads parked on idle keep-alive reads
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def server_bind(self) -> None:  # skips HTTPServer's getfqdn(): no DNS lookups
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # client hang-ups are no bug
            self.owner.errors.append(traceback.format_exc())
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httplib2 expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    timeout = 60  # drop idle keep-alive connections eventually

    @property
    def owner(self) -> LoopbackServer:
        return cast("_Server", self.server).owner

    def setup(self) -> None:
        super().setup()
        with self.owner.lock:
            self.owner.connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.owner.lock:
                self.owner.connections.discard(self.connection)

    def log_message(self, *args: Any) -> None:  # quiet: the fake keeps its own log
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.owner.serve(self.command, self.path, headers, body)
        except Exception:  # a bug in the fake: record it, answer 500
            self.owner.errors.append(traceback.format_exc())
            reply = Reply(500, b'{"error": {"code": 500, "message": "fake server bug"}}')
        if reply.drop is not None:
            if reply.drop == "timeout":
                self.owner.stopping.wait(reply.hold)
            self._reset_connection()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        has_body = reply.status not in (204, 304)
        if has_body:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if has_body:
            self.wfile.write(reply.body)

    # Names fixed by BaseHTTPRequestHandler.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815

    def _reset_connection(self) -> None:
        """Abort with a TCP RST: after a clean FIN httplib2 would silently resend once."""
        self.close_connection = True
        linger = struct.pack("ii", 1, 0)
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.rfile.close()  # drops makefile()'s reference, so close() really closes
        self.connection.close()
