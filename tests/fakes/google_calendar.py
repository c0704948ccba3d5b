"""In-memory Google Calendar API v3 semantics for the fake server (no HTTP here).

CalendarStore.handle() answers one API call on ``calendars/{id}/events[/{eventId}]``,
``calendars/{id}`` or ``users/me/calendarList/{id}``, or raises ApiError, whose body()
is Google's JSON error shape. The rules it applies live in google_rules.py.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import re
import secrets
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

try:
    from .jsoncopy import clone
except ImportError:  # run as a script: python tests/fakes/google_server.py
    from jsoncopy import clone  # type: ignore[import-not-found,no-redef]

try:
    from . import google_rules as rules
except ImportError:  # run as a script: python tests/fakes/google_server.py
    import google_rules as rules  # type: ignore[import-not-found,no-redef]

Json = dict[str, Any]
__all__ = ["CalendarStore", "Json"]

ID_RE = re.compile(r"[a-v0-9]{5,1024}")  # base32hex, as Google requires for client ids
_ID_CHARS = "abcdefghijklmnopqrstuv0123456789"
# Fields the server owns: ignored in request bodies, kept across PUT/PATCH/DELETE.
SERVER_FIELDS = frozenset(
    [
        "kind",
        "etag",
        "id",
        "htmlLink",
        "created",
        "updated",
        "iCalUID",
        "sequence",
        "creator",
        "organizer",
    ]
)


def _one(query: dict[str, list[str]], name: str) -> str | None:
    return query[name][-1] if query.get(name) else None


def _bound(query: dict[str, list[str]], name: str) -> datetime | None:
    raw = _one(query, name)
    if raw is None:
        return None
    moment = rules.parse_time(raw)
    if moment is None or moment.tzinfo is None:  # Google wants an explicit offset
        raise rules.ApiError(400, "badRequest", f"Bad Request: invalid {name}")
    return moment


class CalendarStore:
    """Calendars (only known ones exist) holding events; deleted events stay, cancelled.

    strip_deleted: reads of a deleted event show only what Google guarantees (kind,
    etag, id, status). strict_deleted: that, and also filters do not see the stripped
    fields, and patch/update of a deleted event answer 403 forbidden (no revival).
    """

    def __init__(self, *, strip_deleted: bool = False, strict_deleted: bool = False) -> None:
        self.strip_deleted = strip_deleted
        self.strict_deleted = strict_deleted
        self.lock = threading.RLock()
        self._calendars: dict[str, dict[str, Json]] = {}
        self._roles: dict[str, str] = {}
        self._etags = itertools.count(3_400_000_000_000_000)

    def add_calendar(self, calendar_id: str, access_role: str = "owner") -> None:
        if access_role not in rules.ACCESS_ROLES:
            roles = rules.ACCESS_ROLES
            raise ValueError(f"access_role must be one of {roles}, not {access_role!r}")
        with self.lock:
            self._calendars.setdefault(calendar_id, {})
            self._roles[calendar_id] = access_role

    def calendar_ids(self) -> list[str]:
        with self.lock:
            return list(self._calendars)

    def events(self, calendar_id: str, *, include_deleted: bool = False) -> list[Json]:
        with self.lock:
            return [
                clone(e)
                for e in self._calendars[calendar_id].values()
                if include_deleted or e["status"] != "cancelled"
            ]

    def seed(self, calendar_id: str, event: Json) -> Json:
        """Store an event as is (no validation), e.g. one a human made in the UI."""
        with self.lock:
            eid = str(event.get("id") or _new_id())
            stored = self._stamp(calendar_id, eid, event, prior=None, owner=calendar_id)
            self._calendars[calendar_id][eid] = stored
            return clone(stored)

    def handle(
        self,
        method: str,
        segments: list[str],
        query: dict[str, list[str]],
        body: bytes,
        owner: str,
        headers: dict[str, str] | None = None,
        scopes: Iterable[str] | None = None,
    ) -> tuple[int, Json | None]:
        """One API call (segments already unquoted; header names lower-cased).

        scopes: the OAuth scopes of the caller's token, None when unknown (no check).
        """
        headers = headers or {}
        if "" in segments or len(segments) < 2:
            raise rules.ApiError(404, "notFound", "Not Found")
        if segments[:3] == ["users", "me", "calendarList"] and len(segments) == 4:
            rules.check_scopes(scopes, "calendarList", method)
            return 200, self._calendar_resource(method, segments[3], "calendar#calendarListEntry")
        if segments[0] == "calendars" and len(segments) == 2:
            rules.check_scopes(scopes, "calendars", method)
            return 200, self._calendar_resource(method, segments[1], "calendar#calendar")
        if len(segments) not in (3, 4) or segments[0] != "calendars" or segments[2] != "events":
            raise rules.ApiError(404, "notFound", "Not Found")
        rules.check_scopes(scopes, "events", method)
        with self.lock:
            cid = segments[1]
            if cid not in self._calendars:
                raise rules.ApiError(404, "notFound", "Not Found")
            rules.check_role(self._roles[cid], method)
            if len(segments) == 3 and method == "GET":
                return 200, self._list(cid, query)
            if len(segments) == 3 and method == "POST":
                return 200, self._insert(cid, _json_object(body), owner)
            if len(segments) == 3 or method not in ("GET", "PATCH", "PUT", "DELETE"):
                raise rules.ApiError(405, "httpMethodNotAllowed", "Method Not Allowed")
            return self._on_event(method, cid, segments[3], body, owner, headers)

    def _calendar_resource(self, method: str, cid: str, kind: str) -> Json:
        """calendarList.get / calendars.get of a calendar added to the fake."""
        if method != "GET":
            raise rules.ApiError(405, "httpMethodNotAllowed", "Method Not Allowed")
        with self.lock:
            if cid not in self._calendars:
                raise rules.ApiError(404, "notFound", "Not Found")
            resource: Json = {"kind": kind, "etag": f'"{next(self._etags)}"', "id": cid}
            resource.update(summary=cid, timeZone="UTC")
            if kind == "calendar#calendarListEntry":
                resource["accessRole"] = self._roles[cid]
            return resource

    def _on_event(
        self, method: str, cid: str, eid: str, body: bytes, owner: str, headers: dict[str, str]
    ) -> tuple[int, Json | None]:
        events = self._calendars[cid]
        event = events.get(eid)
        if event is None:
            raise rules.ApiError(404, "notFound", "Not Found")
        if method == "GET":
            if rules.not_modified(headers, event):
                return 304, None
            return 200, self._visible(event)
        deleted = event["status"] == "cancelled"
        if method == "DELETE" and deleted:
            raise rules.ApiError(410, "deleted", "Resource has been deleted")
        if deleted and self.strict_deleted:  # what users report for updates of deleted events
            raise rules.ApiError(403, "forbidden", "Forbidden")
        rules.check_if_match(headers, event)
        if method == "DELETE":
            cancelled = {**event, "status": "cancelled"}
            events[eid] = self._stamp(cid, eid, cancelled, prior=event, owner=owner)
            return 204, None
        data = _json_object(body)
        if method == "PATCH":
            client_part = {k: v for k, v in event.items() if k not in SERVER_FIELDS}
            data = rules.merge(client_part, data)
        rules.validate(data, require_times=method == "PUT")
        events[eid] = self._stamp(cid, eid, data, prior=event, owner=owner)
        return 200, events[eid]

    def _insert(self, cid: str, data: Json, owner: str) -> Json:
        events = self._calendars[cid]
        eid = data.get("id")
        if eid is None:
            eid = _new_id()
        elif not isinstance(eid, str) or not ID_RE.fullmatch(eid):
            raise rules.ApiError(400, "invalid", "Invalid resource id value.")
        if eid in events:  # deleted (cancelled) events keep their id taken
            raise rules.ApiError(409, "duplicate", "The requested identifier already exists.")
        rules.validate(data, require_times=True)
        events[eid] = self._stamp(cid, eid, data, prior=None, owner=owner)
        return events[eid]

    def _stamp(self, cid: str, eid: str, data: Json, *, prior: Json | None, owner: str) -> Json:
        """The stored resource: client fields from data, server fields new or from prior.

        Every write gets a new etag (insert, patch, update and delete alike)."""
        now = rules.now_rfc3339()
        link = base64.urlsafe_b64encode(f"{eid} {cid}".encode()).decode().rstrip("=")
        event: Json = {
            "kind": "calendar#event",
            "etag": f'"{next(self._etags)}"',
            "id": eid,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={link}",
            "created": prior["created"] if prior else now,
            "updated": now,
        }
        event.update(clone({k: v for k, v in data.items() if k not in SERVER_FIELDS}))
        if prior:
            for key in ("creator", "organizer", "iCalUID"):
                event[key] = prior[key]
            event["sequence"] = prior["sequence"] + 1
        else:
            event["creator"] = {"email": owner}
            event["organizer"] = {"email": cid, "self": True}
            event["iCalUID"] = str(data.get("iCalUID") or f"{eid}@google.com")
            event["sequence"] = 0
        return event

    def _visible(self, event: Json) -> Json:
        strip = self.strip_deleted or self.strict_deleted
        return rules.stripped(event) if strip and event["status"] == "cancelled" else event

    def _list(self, cid: str, query: dict[str, list[str]]) -> Json:
        wanted: list[tuple[str, str, str]] = []
        for scope in ("private", "shared"):
            for constraint in query.get(f"{scope}ExtendedProperty", []):
                key, eq, value = constraint.partition("=")
                if not eq or not key:
                    raise rules.ApiError(400, "invalid", f"Invalid {scope}ExtendedProperty value.")
                wanted.append((scope, key, value))
        try:
            limit = int(_one(query, "maxResults") or 250)
            token = _one(query, "pageToken")
            offset = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        except (ValueError, binascii.Error):
            raise rules.ApiError(400, "invalid", "Invalid maxResults or pageToken value.") from None
        if limit < 1:
            raise rules.ApiError(400, "invalid", "Invalid value for: maxResults")
        limit = min(limit, 2500)
        time_min, time_max = _bound(query, "timeMin"), _bound(query, "timeMax")
        updated_min = _bound(query, "updatedMin")
        show_deleted = _one(query, "showDeleted") == "true"
        ical_uid = _one(query, "iCalUID")

        def keep(event: Json) -> bool:
            if event["status"] == "cancelled" and not show_deleted:
                return False
            seen = self._visible(event) if self.strict_deleted else event
            props = seen.get("extendedProperties") or {}
            if any((props.get(s) or {}).get(k) != v for s, k, v in wanted):
                return False
            if ical_uid is not None and seen.get("iCalUID") != ical_uid:
                return False
            updated = rules.parse_time(event["updated"])
            if updated_min and updated and updated < updated_min:
                return False
            if time_min is None and time_max is None:
                return True
            times = rules.span(event)  # overlap: end > timeMin and start < timeMax
            return times is not None and not (
                (time_min and times[1] <= time_min) or (time_max and times[0] >= time_max)
            )

        items = [e for e in self._calendars[cid].values() if keep(e)]
        if _one(query, "orderBy") == "startTime":
            items.sort(key=lambda e: s[0].timestamp() if (s := rules.span(e)) else 0.0)
        elif _one(query, "orderBy") == "updated":
            items.sort(key=lambda e: str(e["updated"]))
        result: Json = {
            "kind": "calendar#events",
            "etag": f'"{next(self._etags)}"',
            "summary": cid,
            "updated": rules.now_rfc3339(),
            "timeZone": "UTC",
            "accessRole": self._roles[cid],
            "defaultReminders": [],
            "items": [self._visible(e) for e in items[offset : offset + limit]],
        }
        if offset + limit < len(items):
            next_offset = str(offset + limit).encode()
            result["nextPageToken"] = base64.urlsafe_b64encode(next_offset).decode()
        return result


def _new_id() -> str:
    return "".join(secrets.choice(_ID_CHARS) for _ in range(26))


def _json_object(body: bytes) -> Json:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise rules.ApiError(400, "parseError", "Parse Error") from None
    if not isinstance(data, dict):
        raise rules.ApiError(400, "badRequest", "The request body must be a JSON object.")
    return data
