"""Traffic side of the fake Google server: injected faults and request classification.

No HTTP here: FakeGoogle asks Faults which fault (if any) a request meets, and
classify() names what a logged (method, target) was, for FakeGoogle.count().
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

FAULT_KINDS = ("status", "reset", "timeout", "lost_response", "token")
REQUEST_KINDS = (
    "token",  # POST /token (any grant)
    "impersonate",  # IAM generateAccessToken
    "batch",  # the batch HTTP request itself (its parts are logged and counted too)
    "list",
    "insert",
    "get",
    "patch",
    "update",
    "delete",
    "calendarList.get",
    "calendars.get",
    "other",
)
_EVENT_METHODS = {"GET": "get", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}


@dataclass
class Fault:
    method: str | None
    path_contains: str | None
    times: int
    status: int
    reason: str
    message: str | None
    retry_after: int | None
    kind: str

    def matches(self, method: str, target: str) -> bool:
        return (self.method is None or self.method.upper() == method) and (
            self.path_contains is None or self.path_contains in target
        )


class Faults:
    """Queued faults; the first that matches a request fires (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {fault.kind!r}")
        if fault.times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._queue.append(fault)

    def take(self, method: str, target: str) -> Fault | None:
        with self._lock:
            for fault in self._queue:
                if fault.matches(method, target):
                    fault.times -= 1
                    if fault.times == 0:
                        self._queue.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._queue)


def classify(method: str, target: str, *, token_path: str, batch_path: str) -> str:
    """One of REQUEST_KINDS for a logged request."""
    path = urlsplit(target).path
    if path == token_path:
        return "token"
    if path == batch_path:
        return "batch"
    if path.endswith(":generateAccessToken"):
        return "impersonate"
    segments = [unquote(s) for s in path.split("/")]
    if segments[1:3] != ["calendar", "v3"]:
        return "other"
    rest = segments[3:]
    if rest[:3] == ["users", "me", "calendarList"] and len(rest) == 4 and method == "GET":
        return "calendarList.get"
    if rest[:1] != ["calendars"]:
        return "other"
    if len(rest) == 2 and method == "GET":
        return "calendars.get"
    if len(rest) == 3 and rest[2] == "events":
        return {"GET": "list", "POST": "insert"}.get(method, "other")
    if len(rest) == 4 and rest[2] == "events":
        return _EVENT_METHODS.get(method, "other")
    return "other"
