"""In-memory Google Calendar API v3 event semantics for the fake server (no HTTP here).

CalendarStore.handle() answers one API call on ``calendars/{id}/events[/{eventId}]``
or raises ApiError, whose body() is Google's JSON error shape.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import json
import re
import secrets
import threading
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Json = dict[str, Any]

ID_RE = re.compile(r"[a-v0-9]{5,1024}")  # base32hex, as Google requires for client ids
_ID_CHARS = "abcdefghijklmnopqrstuv0123456789"
# Fields the server owns: ignored in request bodies, kept across PUT/PATCH/DELETE.
SERVER_FIELDS = frozenset(
    {
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
    }
)
USAGE_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
)
_CALENDAR_REASONS = frozenset({"timeRangeEmpty", "requiredAccessLevel", "forbiddenForNonOrganizer"})
_MESSAGES = {
    400: "Bad Request",
    401: "Invalid Credentials",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    410: "Resource has been deleted",
    429: "Rate Limit Exceeded",
    500: "Backend Error",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
}


def error_body(status: int, reason: str, message: str | None = None) -> Json:
    """Google's error JSON: {"error": {"code", "message", "errors": [{domain, reason, message}]}}."""
    if not message:
        message = "Rate Limit Exceeded" if reason in USAGE_REASONS else None
        message = message or _MESSAGES.get(status, "Error")
    domain = (
        "usageLimits"
        if reason in USAGE_REASONS
        else "calendar"
        if reason in _CALENDAR_REASONS
        else "global"
    )
    detail = {"domain": domain, "reason": reason, "message": message}
    return {"error": {"code": status, "message": message, "errors": [detail]}}


class ApiError(Exception):
    """An API call that Google would answer with an error."""

    def __init__(self, status: int, reason: str, message: str | None = None) -> None:
        self.status, self.reason, self.message = status, reason, message
        super().__init__(f"{status} {reason}: {message or ''}")

    def body(self) -> Json:
        return error_body(self.status, self.reason, self.message)


def now_rfc3339() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object) -> datetime | None:
    """RFC 3339 (or a plain date, taken as UTC midnight); None when unparsable."""
    if not isinstance(value, str):
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def event_time(when: object, which: str) -> datetime:
    """Check an event's start/end object as Google does; return it as an aware datetime."""
    if not isinstance(when, dict) or not ("dateTime" in when or "date" in when):
        raise ApiError(400, "required", f"Missing {which} time.")
    moment = parse_time(when.get("dateTime", when.get("date")))
    if moment is None:
        raise ApiError(400, "invalid", f"Invalid {which} time.")
    if moment.tzinfo is None:
        tz = when.get("timeZone")
        if not tz:
            raise ApiError(400, "required", f"Missing time zone definition for {which} time.")
        try:
            moment = moment.replace(tzinfo=ZoneInfo(str(tz)))
        except (ZoneInfoNotFoundError, ValueError):
            raise ApiError(
                400, "invalid", f"Invalid time zone definition for {which} time."
            ) from None
    return moment


def _span(event: Json) -> tuple[datetime, datetime] | None:
    try:
        return event_time(event.get("start"), "start"), event_time(event.get("end"), "end")
    except ApiError:
        return None


def validate(body: Json, *, require_times: bool) -> None:
    status = body.get("status")
    if status is not None and status not in ("confirmed", "tentative", "cancelled"):
        raise ApiError(400, "invalid", "Invalid value for: status")
    if not require_times and "start" not in body and "end" not in body:
        return
    start, end = event_time(body.get("start"), "start"), event_time(body.get("end"), "end")
    if end < start:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")


def merge(target: Json, patch: Json) -> Json:
    """PATCH semantics: objects merge recursively, lists and scalars replace, null clears."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _one(query: dict[str, list[str]], name: str) -> str | None:
    return query[name][-1] if query.get(name) else None


def _bound(query: dict[str, list[str]], name: str) -> datetime | None:
    raw = _one(query, name)
    if raw is None:
        return None
    moment = parse_time(raw)
    if moment is None or moment.tzinfo is None:  # Google wants an explicit offset
        raise ApiError(400, "badRequest", f"Bad Request: invalid {name}")
    return moment


class CalendarStore:
    """Calendars (only known ones exist) holding events; deleted events stay, cancelled."""

    def __init__(self, *, strip_deleted: bool = False) -> None:
        self.strip_deleted = strip_deleted
        self.lock = threading.RLock()
        self._calendars: dict[str, dict[str, Json]] = {}
        self._etags = itertools.count(3_400_000_000_000_000)

    def add_calendar(self, calendar_id: str) -> None:
        with self.lock:
            self._calendars.setdefault(calendar_id, {})

    def calendar_ids(self) -> list[str]:
        with self.lock:
            return list(self._calendars)

    def events(self, calendar_id: str, *, include_deleted: bool = False) -> list[Json]:
        with self.lock:
            return [
                copy.deepcopy(e)
                for e in self._calendars[calendar_id].values()
                if include_deleted or e["status"] != "cancelled"
            ]

    def seed(self, calendar_id: str, event: Json) -> Json:
        """Store an event as is (no validation), e.g. one a human made in the UI."""
        with self.lock:
            eid = str(event.get("id") or _new_id())
            stored = self._stamp(calendar_id, eid, event, prior=None, owner=calendar_id)
            self._calendars[calendar_id][eid] = stored
            return copy.deepcopy(stored)

    def handle(
        self,
        method: str,
        segments: list[str],
        query: dict[str, list[str]],
        body: bytes,
        owner: str,
    ) -> tuple[int, Json | None]:
        """One call on calendars/{cid}/events[/{eid}] (segments already unquoted)."""
        if (
            len(segments) not in (3, 4)
            or segments[0] != "calendars"
            or segments[2] != "events"
            or "" in segments
        ):
            raise ApiError(404, "notFound", "Not Found")
        with self.lock:
            cid = segments[1]
            if cid not in self._calendars:
                raise ApiError(404, "notFound", "Not Found")
            if len(segments) == 3 and method == "GET":
                return 200, self._list(cid, query)
            if len(segments) == 3 and method == "POST":
                return 200, self._insert(cid, _json_object(body), owner)
            if len(segments) == 3 or method not in ("GET", "PATCH", "PUT", "DELETE"):
                raise ApiError(405, "httpMethodNotAllowed", "Method Not Allowed")
            return self._on_event(method, cid, segments[3], body, owner)

    def _on_event(
        self, method: str, cid: str, eid: str, body: bytes, owner: str
    ) -> tuple[int, Json | None]:
        events = self._calendars[cid]
        event = events.get(eid)
        if event is None:
            raise ApiError(404, "notFound", "Not Found")
        if method == "GET":
            return 200, self._visible(event)
        if method == "DELETE":
            if event["status"] == "cancelled":
                raise ApiError(410, "deleted", "Resource has been deleted")
            cancelled = {**event, "status": "cancelled"}
            events[eid] = self._stamp(cid, eid, cancelled, prior=event, owner=owner)
            return 204, None
        data = _json_object(body)
        if method == "PATCH":
            client_part = {k: v for k, v in event.items() if k not in SERVER_FIELDS}
            data = merge(client_part, data)
        validate(data, require_times=method == "PUT")
        events[eid] = self._stamp(cid, eid, data, prior=event, owner=owner)
        return 200, events[eid]

    def _insert(self, cid: str, data: Json, owner: str) -> Json:
        events = self._calendars[cid]
        eid = data.get("id")
        if eid is None:
            eid = _new_id()
        elif not isinstance(eid, str) or not ID_RE.fullmatch(eid):
            raise ApiError(400, "invalid", "Invalid resource id value.")
        if eid in events:  # deleted (cancelled) events keep their id taken
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        validate(data, require_times=True)
        events[eid] = self._stamp(cid, eid, data, prior=None, owner=owner)
        return events[eid]

    def _stamp(self, cid: str, eid: str, data: Json, *, prior: Json | None, owner: str) -> Json:
        """The stored resource: client fields from data, server fields new or from prior."""
        now = now_rfc3339()
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
        event.update(copy.deepcopy({k: v for k, v in data.items() if k not in SERVER_FIELDS}))
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
        if self.strip_deleted and event["status"] == "cancelled":
            keep = ("kind", "etag", "id", "status")
            return {k: event[k] for k in keep}
        return event

    def _list(self, cid: str, query: dict[str, list[str]]) -> Json:
        wanted: list[tuple[str, str, str]] = []
        for scope in ("private", "shared"):
            for constraint in query.get(f"{scope}ExtendedProperty", []):
                key, eq, value = constraint.partition("=")
                if not eq or not key:
                    raise ApiError(400, "invalid", f"Invalid {scope}ExtendedProperty value.")
                wanted.append((scope, key, value))
        try:
            limit = int(_one(query, "maxResults") or 250)
            token = _one(query, "pageToken")
            offset = int(base64.urlsafe_b64decode(token).decode()) if token else 0
        except (ValueError, binascii.Error):
            raise ApiError(400, "invalid", "Invalid maxResults or pageToken value.") from None
        if limit < 1:
            raise ApiError(400, "invalid", "Invalid value for: maxResults")
        limit = min(limit, 2500)
        time_min, time_max = _bound(query, "timeMin"), _bound(query, "timeMax")
        updated_min = _bound(query, "updatedMin")
        show_deleted = _one(query, "showDeleted") == "true"
        ical_uid = _one(query, "iCalUID")

        def keep(event: Json) -> bool:
            props = event.get("extendedProperties") or {}
            if event["status"] == "cancelled" and not show_deleted:
                return False
            if any((props.get(s) or {}).get(k) != v for s, k, v in wanted):
                return False
            if ical_uid is not None and event["iCalUID"] != ical_uid:
                return False
            updated = parse_time(event["updated"])
            if updated_min and updated and updated < updated_min:
                return False
            if time_min is None and time_max is None:
                return True
            span = _span(event)  # overlap: end > timeMin and start < timeMax
            return span is not None and not (
                (time_min and span[1] <= time_min) or (time_max and span[0] >= time_max)
            )

        items = [e for e in self._calendars[cid].values() if keep(e)]
        if _one(query, "orderBy") == "startTime":
            items.sort(key=lambda e: s[0].timestamp() if (s := _span(e)) else 0.0)
        elif _one(query, "orderBy") == "updated":
            items.sort(key=lambda e: str(e["updated"]))
        result: Json = {
            "kind": "calendar#events",
            "etag": f'"{next(self._etags)}"',
            "summary": cid,
            "updated": now_rfc3339(),
            "timeZone": "UTC",
            "accessRole": "owner",
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
        raise ApiError(400, "parseError", "Parse Error") from None
    if not isinstance(data, dict):
        raise ApiError(400, "badRequest", "The request body must be a JSON object.")
    return data
