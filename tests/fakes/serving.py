"""The accept loop of the fake servers: a daemon thread that sleeps until a client connects
or stop() wakes it.

socketserver's serve_forever(poll_interval) wakes every interval to look for a shutdown
request, and every wake takes the GIL from the test it serves; a short interval (for a quick
stop) made the fakes' idle polling a measurable share of the suite's CPU. Here the loop waits
on the listening socket and on a wake-up socket pair, so an idle fake costs nothing and stop()
returns at once.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading


class Serving:
    """Serves `server` (a threading socketserver) from a daemon thread until stop()."""

    def __init__(self, server: socketserver.TCPServer, *, name: str) -> None:
        self._server = server
        self._wake, self._waker = socket.socketpair()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._server, selectors.EVENT_READ)
            selector.register(self._wake, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake:
                        return
                    self._server.handle_request()  # accepts; the handler runs in its own thread

    def stop(self) -> None:
        """End the accept loop (idempotent); connections already accepted are not touched."""
        if self._thread.is_alive():
            self._waker.send(b"\0")
            self._thread.join(5)
        self._wake.close()
        self._waker.close()
