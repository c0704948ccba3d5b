"""The calendar seam: the Google Calendar events verbs the sync needs, as a Protocol.

Both backends (Google, .ics file) speak Google's event resource shape, give every event an
`etag` that changes on each write, and signal the answers the sync reacts to with the
exceptions below. Every other failure is a CalSyncError raised by the backend itself.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


class Conflict(Exception):
    """Insert with an id that is taken (also by a deleted event): HTTP 409."""


class Missing(Exception):
    """The event is not there (404) or already deleted (410)."""


class Stale(Exception):
    """The event changed since it was read (If-Match failed): HTTP 412 conditionNotMet."""


@dataclass(frozen=True)
class Call:
    verb: str  # get | insert | patch | delete
    calendar_id: str
    event_id: str = ""  # not for insert: the id is in the body
    body: dict[str, Any] = field(default_factory=dict)
    etag: str = ""  # patch/delete: only if the event still has this etag (If-Match)


class Calendar(Protocol):
    def get(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """The event, including a deleted one (status "cancelled"); None if unknown."""

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create the event (`body["id"]` chosen by us); Conflict if the id is taken."""

    def patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], *, etag: str = ""
    ) -> dict[str, Any]:
        """Merge `body` into the event; Missing if unknown, Stale if `etag` no longer holds."""

    def delete(self, calendar_id: str, event_id: str, *, etag: str = "") -> None:
        """Delete the event; Missing if unknown or already deleted, Stale as for patch."""

    def session(self) -> AbstractContextManager[None]:
        """Held across one read-plan-write (the .ics file lock); Google needs none."""


@runtime_checkable
class WriteCheck(Protocol):
    """A backend that can tell, without writing, whether a write to a calendar would fail."""

    def check_writable(self, calendar_id: str) -> None:
        """Raise the error a write to this calendar would raise (missing, not shared, read-only)."""
