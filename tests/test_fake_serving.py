"""The fakes' accept loop (tests/fakes/serving.py): it serves, and stop() ends it at once."""

from __future__ import annotations

import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fakes.serving import Serving


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def _alive(name: str) -> bool:
    return any(thread.name == name for thread in threading.enumerate())


def test_serves_until_stopped_and_the_thread_ends():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.daemon_threads = True
    serving = Serving(server, name="serving-under-test")
    try:
        for _ in range(3):  # one connection each: the loop goes back to waiting every time
            url = f"http://127.0.0.1:{server.server_address[1]}/"
            with urllib.request.urlopen(url, timeout=5) as answer:
                assert answer.read() == b"hello"
        assert _alive("serving-under-test")
    finally:
        serving.stop()
        server.server_close()
    assert not _alive("serving-under-test")  # woken, not left polling (or waiting) behind
    serving.stop()  # a second stop is harmless
