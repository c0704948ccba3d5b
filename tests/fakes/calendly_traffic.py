"""Traffic control of the fake Calendly API: token grants, rate limits, faults, request log."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from fakes.calendly_state import ALL_SCOPES


class Request(NamedTuple):
    """One request as the fake saw it: the query as {name: first value}."""

    method: str
    path: str
    query: dict[str, str]


@dataclass
class Fault:
    path_contains: str | None
    method: str | None
    remaining: int
    status: int
    retry_after: int | None
    delay: float
    body: str | None

    def matches(self, method: str, target: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_contains is None or self.path_contains in target


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class RateLimit:
    """A budget of ``limit`` requests per ``window`` seconds for each token.

    Calendly counts per user; one token per user here. ``clock`` is injectable so tests can move
    time instead of sleeping.
    """

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    rejected: int = 0  # 429s served
    _windows: dict[str, _Window] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, token: str) -> tuple[bool, dict[str, str]]:
        """Spend one request of ``token``: (allowed, the X-RateLimit-* headers to send)."""
        with self._lock:
            now = self.clock()
            win = self._windows.get(token)
            if win is None or now - win.started >= self.window:
                win = self._windows[token] = _Window(now)
            allowed = win.used < self.limit
            if allowed:
                win.used += 1
            else:
                self.rejected += 1
            reset = max(win.started + self.window - now, 0.0)
            headers = {
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(self.limit - win.used),
                # whole seconds, as Calendly sends them; never 0 while the window is open
                "X-RateLimit-Reset": str(math.ceil(reset)),
            }
            return allowed, headers


class TrafficMixin:
    """Test-side knobs; the attributes are set up by FakeCalendly.__init__."""

    token: str
    scopes: set[str] | None  # scopes of `token`; None = all of them
    tokens: dict[str, frozenset[str]]  # further tokens -> granted scopes
    limits: RateLimit | None
    requests: list[tuple[str, str]]  # (method, path with query), in order
    request_log: list[Request]
    lock: threading.RLock
    _faults: list[Fault]

    # -- test configuration ---------------------------------------------------------------------
    def grant(self, token: str, scopes: set[str] | frozenset[str] | None = None) -> None:
        """Accept ``token`` with ``scopes`` (None = all); for the main token this sets ``scopes``."""
        with self.lock:
            if token == self.token:
                self.scopes = None if scopes is None else set(scopes)
            else:
                self.tokens[token] = ALL_SCOPES if scopes is None else frozenset(scopes)

    def rate_limit(
        self, limit: int, *, per: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> RateLimit:
        """Allow ``limit`` requests per ``per`` seconds for each token; returns the counter."""
        self.limits = RateLimit(limit, per, clock)
        return self.limits

    @property
    def rejected(self) -> int:
        """How many 429s the rate limit has served."""
        return self.limits.rejected if self.limits else 0

    def reset_requests(self) -> None:
        with self.lock:
            self.requests.clear()
            self.request_log.clear()

    def calls(self, path_prefix: str = "/", method: str | None = None) -> list[Request]:
        """Logged requests whose path starts with ``path_prefix`` (and of ``method``)."""
        with self.lock:
            return [
                r
                for r in self.request_log
                if r.path.startswith(path_prefix) and (method is None or r.method == method)
            ]

    def fail(
        self,
        *,
        path_contains: str | None = None,
        method: str | None = None,
        times: int = 1,
        status: int = 500,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (after ``delay`` seconds).

        ``status=0`` only delays and then answers normally (for timeout tests); ``body`` replaces
        the JSON error body with raw text sent as text/html (for non-JSON answers, e.g. a proxy).
        """
        with self.lock:
            self._faults.append(
                Fault(path_contains, method, times, status, retry_after, delay, body)
            )
