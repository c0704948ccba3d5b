"""The embedded backend: team calendars kept in one local .ics file (RFC 5545, via icalendar).

Same verbs and answers as the Google backend, so the demo and people without a Google
account get the same create/update/delete semantics: UID = the Google event id, a deleted
event stays as STATUS:CANCELLED (its id stays taken: insert answers Conflict, delete Missing,
get only its id and status, as Google promises no more). Every event has an etag (its SEQUENCE)
and patch/delete honour If-Match; `session()` holds the file lock across a read-plan-write.
Fields we do not map to iCalendar properties (our state) ride along as JSON in X-CALSYNC-DATA.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar

from calsync.adapters.calendar import Conflict, Missing, Stale
from calsync.core.errors import ConfigError

PRODID = "-//calendly-gcal//team calendars//EN"
_TEXT = {"summary": "SUMMARY", "description": "DESCRIPTION", "location": "LOCATION"}


class IcsCalendar:
    """A Calendar backed by a .ics file; writes are atomic and serialized with a lock file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._held = False

    def get(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        event = self._load().get((calendar_id, event_id))
        if event is not None and event.get("status") == "cancelled":
            # like Google: a deleted event is only its id and status
            return {k: event[k] for k in ("id", "status", "etag") if k in event}
        return event

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._edit() as events:
            key = (calendar_id, str(body["id"]))
            if key in events:
                raise Conflict("The requested identifier already exists.")
            stored = {"status": "confirmed", **copy.deepcopy(body)}
            events[key] = _stamp(stored)
            return stored

    def patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], *, etag: str = ""
    ) -> dict[str, Any]:
        with self._edit() as events:
            if (calendar_id, event_id) not in events:
                raise Missing("Not Found")
            _check(events[(calendar_id, event_id)], etag)
            stored = _merge(events[(calendar_id, event_id)], body)
            events[(calendar_id, event_id)] = _stamp(stored)
            return stored

    def delete(self, calendar_id: str, event_id: str, *, etag: str = "") -> None:
        with self._edit() as events:
            event = events.get((calendar_id, event_id))
            if event is None or event.get("status") == "cancelled":
                raise Missing("Resource has been deleted" if event else "Not Found")
            _check(event, etag)
            event["status"] = "cancelled"
            _stamp(event)

    def events(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """Every stored event (deleted ones too), optionally of one calendar."""
        return [e for (cid, _), e in self._load().items() if calendar_id in (None, cid)]

    # -- file handling ---------------------------------------------------------------------

    def _load(self) -> dict[tuple[str, str], dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise ConfigError(
                f"{self.path}: cannot read the .ics file ({type(err).__name__})"
            ) from None
        try:
            cal = icalendar.Calendar.from_ical(raw)
        except ValueError:
            raise ConfigError(f"{self.path}: not an iCalendar file") from None
        events = {}
        for vevent in cal.walk("VEVENT"):
            if "UID" not in vevent or "X-CALSYNC-CALENDAR" not in vevent:
                raise ConfigError(
                    f"{self.path}: holds events this tool did not write; give the "
                    "ics backend a file of its own"
                )
            try:
                event = _from_vevent(vevent)
            except (ValueError, TypeError):
                raise ConfigError(
                    f"{self.path}: event {str(vevent['UID'])[:60]!r} is damaged (edited by hand?)"
                ) from None
            events[(event.pop("_calendar"), event["id"])] = event
        return events

    @contextmanager
    def session(self) -> Iterator[None]:
        """Hold the file lock across a whole read-plan-write (re-entrant within one object)."""
        if self._held:
            yield
            return
        with self._lock():
            self._held = True
            try:
                yield
            finally:
                self._held = False

    @contextmanager
    def _lock(self) -> Iterator[None]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock = open(f"{self.path}.lock", "a")  # noqa: SIM115 - closed below
        except OSError as err:
            raise ConfigError(
                f"{self.path}: cannot write the .ics file ({type(err).__name__})"
            ) from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    @contextmanager
    def _edit(self) -> Iterator[dict[tuple[str, str], dict[str, Any]]]:
        with self.session():
            events = self._load()
            yield events
            self._save(events)

    def _save(self, events: dict[tuple[str, str], dict[str, Any]]) -> None:
        cal = icalendar.Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        for (cid, _), event in sorted(events.items(), key=lambda kv: _sort_key(kv[1])):
            cal.add_component(_to_vevent(cid, event))
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".calsync-", suffix=".ics")
            with os.fdopen(fd, "wb") as fh:
                fh.write(cal.to_ical())
            os.replace(tmp, self.path)
        except OSError as err:
            raise ConfigError(
                f"{self.path}: cannot write the .ics file ({type(err).__name__})"
            ) from None


def _sort_key(event: dict[str, Any]) -> tuple[str, str]:
    return str((event.get("start") or {}).get("dateTime", "")), str(event["id"])


def _stamp(event: dict[str, Any]) -> dict[str, Any]:
    event["updated"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    event["sequence"] = int(event.get("sequence", -1)) + 1
    event["etag"] = _etag(event["sequence"])
    return event


def _etag(sequence: int) -> str:
    return f'"{sequence}"'


def _check(event: dict[str, Any], etag: str) -> None:
    """If-Match: the write applies only to the version that was read."""
    if etag and event.get("etag") != etag:
        raise Stale("Precondition Failed")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google's patch semantics: nested objects merge, everything else is replaced."""
    out = copy.deepcopy(target)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _to_vevent(calendar_id: str, event: dict[str, Any]) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event["id"])
    vevent.add("dtstamp", _parse(event.get("updated")) or datetime.now(UTC))
    for key in ("start", "end"):
        moment = _parse((event.get(key) or {}).get("dateTime"))
        if moment is not None:
            vevent.add("dtstart" if key == "start" else "dtend", moment)
    for key, prop in _TEXT.items():
        if event.get(key):
            vevent.add(prop, icalendar.vText(event[key]))
    vevent.add("status", "CANCELLED" if event.get("status") == "cancelled" else "CONFIRMED")
    vevent.add("sequence", int(event.get("sequence", 0)))
    # VALUE=TEXT makes the parser unescape these X- properties like any text property
    text = {"VALUE": "TEXT"}
    vevent.add("x-calsync-calendar", icalendar.vText(calendar_id), parameters=text)
    rest = {k: v for k, v in event.items() if k not in (*_TEXT, "id", "status", "sequence", "etag")}
    vevent.add("x-calsync-data", icalendar.vText(json.dumps(rest, sort_keys=True)), parameters=text)
    return vevent


def _from_vevent(vevent: Any) -> dict[str, Any]:
    data = json.loads(str(vevent.get("x-calsync-data", "{}")))
    event: dict[str, Any] = {
        **data,
        "id": str(vevent.get("uid")),
        "_calendar": str(vevent.get("x-calsync-calendar", "")),
        "sequence": int(vevent.get("sequence", 0)),
    }
    event["etag"] = _etag(event["sequence"])
    status = str(vevent.get("status", "CONFIRMED"))
    event["status"] = "cancelled" if status == "CANCELLED" else "confirmed"
    for key, prop in _TEXT.items():
        if prop in vevent:
            event[key] = str(vevent.get(prop))
    return event


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None
