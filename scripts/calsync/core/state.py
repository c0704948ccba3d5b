"""The meeting state a live calendar event records, within Google's extended-property limits.

Kept in `extendedProperties.private` (string keys and values) of the live event only: Google
keeps nothing but the id and status of a deleted event, so nothing is ever read from one.
- `cg_at`: Calendly's time of the newest delivery applied (older ones never overwrite it);
- `cg_meeting`: active | canceled (terminal); `cg_active`: active invitees ("" = unknown);
- `cg_ns0`, `cg_ns1`, ...: the no-show marks, compact (`<invitee hash>:<0|1>:<time in hex
  microseconds>` joined by spaces, at most 1,000 characters a value), last writer wins per
  invitee.
Limits (Google's extended-properties guide): key <= 44 characters, value <= 1,024, at most
300 properties and 32 kB per event. MAX_MARKS bounds the marks so that holds for any meeting.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAX_VALUE = 1000  # characters per property value (Google's limit is 1,024)
MAX_MARK_VALUES = 24  # cg_ns0..cg_ns23: 24 kB at most, well inside 32 kB and 300 properties
_MARK = 8 + 1 + 1 + 1 + 14  # hash, ':', flag, ':', time
MAX_MARKS = MAX_MARK_VALUES * ((MAX_VALUE + 1) // (_MARK + 1))
_STATE_KEYS = ("cg_at", "cg_meeting", "cg_active")
_MARK_KEY = "cg_ns"

Mark = tuple[str, bool, str]  # (invitee hash, marked, at)


def stamp(moment: datetime | None) -> str:
    """A timestamp that sorts as text: fixed-width UTC with microseconds."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact(at: str) -> str:
    """A stamp() as 14 hex digits of microseconds since 1970 (sorts as text the same way)."""
    moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    seconds = int(moment.timestamp())
    return format(seconds * 1_000_000 + moment.microsecond, "014x")


def invitee_key(invitee_uri: str) -> str:
    """A short, fixed-size key for an invitee (8 base32hex characters of its URI's SHA-256)."""
    digest = hashlib.sha256(invitee_uri.rstrip("/").encode()).digest()
    return base64.b32hexencode(digest).decode()[:8].lower()


@dataclass(frozen=True)
class State:
    at: str = ""  # stamp() of the newest delivery applied ("" = none yet)
    meeting: str = "active"  # active | canceled (terminal)
    active: int | None = None  # active invitees, None = unknown
    marks: tuple[Mark, ...] = ()  # no-show marks, sorted by invitee key

    @property
    def visible(self) -> bool:
        return self.meeting == "active" and (self.active is None or self.active > 0)

    @property
    def no_shows(self) -> int:
        return sum(1 for _, flag, _ in self.marks if flag)

    def props(self) -> dict[str, str]:
        out = {
            "cg_at": self.at,
            "cg_meeting": self.meeting,
            "cg_active": "" if self.active is None else str(self.active),
        }
        values = _pack(self.marks)
        out.update({f"{_MARK_KEY}{i}": v for i, v in enumerate(values)})
        return out

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> State | None:
        """The recorded state of a live event; None when it records none (not ours, or legacy)."""
        if not all(isinstance(props.get(k), str) for k in _STATE_KEYS):
            return None
        active = props["cg_active"]
        marks: dict[str, tuple[bool, str]] = {}
        for i in range(MAX_MARK_VALUES):
            value = props.get(f"{_MARK_KEY}{i}")
            if not isinstance(value, str):
                break
            for item in value.split():
                key, _, rest = item.partition(":")
                flag, _, at = rest.partition(":")
                if key and flag in ("0", "1") and at:
                    marks[key] = (flag == "1", at)
        return cls(
            at=props["cg_at"],
            meeting="canceled" if props["cg_meeting"] == "canceled" else "active",
            active=int(active) if active.isdigit() else None,
            marks=tuple(sorted((k, f, t) for k, (f, t) in marks.items())),
        )

    def with_mark(self, invitee_uri: str, marked: bool, at: str) -> State:
        """Record a no-show mark (or its removal) unless a newer one is recorded.

        `at` is a stamp(); at most MAX_MARKS marks are kept (the newest).
        """
        marks = {k: (f, t) for k, f, t in self.marks}
        key, at = invitee_key(invitee_uri), compact(at) if at else "0" * 14
        if key in marks and at < marks[key][1]:
            return self
        marks[key] = (marked, at)
        kept = sorted(marks.items(), key=lambda kv: kv[1][1], reverse=True)[:MAX_MARKS]
        return State(
            at=self.at,
            meeting=self.meeting,
            active=self.active,
            marks=tuple(sorted((k, f, t) for k, (f, t) in kept)),
        )


def _pack(marks: tuple[Mark, ...]) -> list[str]:
    """The marks as property values of at most MAX_VALUE characters each."""
    values: list[str] = []
    current: list[str] = []
    size = 0
    for key, flag, at in marks:
        item = f"{key}:{int(flag)}:{at}"
        if current and size + 1 + len(item) > MAX_VALUE:
            values.append(" ".join(current))
            current, size = [], 0
        size += len(item) + (1 if current else 0)
        current.append(item)
    if current:
        values.append(" ".join(current))
    return values
