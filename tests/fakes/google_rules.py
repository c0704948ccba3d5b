"""Rules the fake Google Calendar enforces on single events (no HTTP, no storage here).

Google's error shape, time and body validation, extended-property limits, ETag
preconditions, access roles and OAuth scopes. CalendarStore (google_calendar.py)
applies them; the batch endpoint goes through the same store, so batch parts obey
them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    from .jsoncopy import clone
except ImportError:  # run as a script: python tests/fakes/google_server.py
    from jsoncopy import clone  # type: ignore[import-not-found,no-redef]

Json = dict[str, Any]

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
    412: "Precondition Failed",
    429: "Rate Limit Exceeded",
    500: "Backend Error",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
}

# Extended properties (Google's extended-properties guide). Google drops keys or truncates
# values beyond these limits without a word; the fake answers 400 invalid instead, so that
# a test catches data that would silently get lost. The 32 kB total is approximated as the
# sum of len(key) + len(value) in UTF-8 bytes over private and shared together.
MAX_PROPERTY_KEY = 44  # characters
MAX_PROPERTY_VALUE = 1024  # characters
MAX_PROPERTIES = 300  # per event, private + shared
MAX_PROPERTIES_BYTES = 32 * 1024

ACCESS_ROLES = ("owner", "writer", "reader", "freeBusyReader")
WRITER_ROLES = frozenset({"owner", "writer"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# OAuth scopes that allow a call, by resource (each method's "Authorization" section).
_SCOPE = "https://www.googleapis.com/auth/"
_READ_SCOPES = {
    "events": {"calendar", "calendar.events", "calendar.readonly", "calendar.events.readonly"},
    "calendarList": {"calendar", "calendar.readonly", "calendar.calendarlist.readonly"},
    "calendars": {"calendar", "calendar.readonly", "calendar.calendars.readonly"},
}
_WRITE_SCOPES = {"events": {"calendar", "calendar.events"}}


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


def span(event: Json) -> tuple[datetime, datetime] | None:
    try:
        return event_time(event.get("start"), "start"), event_time(event.get("end"), "end")
    except ApiError:
        return None


def validate(body: Json, *, require_times: bool) -> None:
    """What Google refuses in an event body (after a PATCH merge: the whole result)."""
    status = body.get("status")
    if status is not None and status not in ("confirmed", "tentative", "cancelled"):
        raise ApiError(400, "invalid", "Invalid value for: status")
    check_extended_properties(body.get("extendedProperties"))
    if not require_times and "start" not in body and "end" not in body:
        return
    start, end = event_time(body.get("start"), "start"), event_time(body.get("end"), "end")
    if end < start:
        raise ApiError(400, "timeRangeEmpty", "The specified time range is empty.")


def check_extended_properties(props: object) -> None:
    """400 invalid, naming the limit, when extendedProperties break a documented limit."""
    if props is None:
        return
    if not isinstance(props, dict):
        raise ApiError(400, "invalid", "Invalid value for: extendedProperties")
    pairs: list[tuple[str, str]] = []
    for scope in ("private", "shared"):
        values = props.get(scope) or {}
        if not isinstance(values, dict):
            raise ApiError(400, "invalid", f"Invalid value for: extendedProperties.{scope}")
        pairs += [(str(k), str(v)) for k, v in values.items()]
    for key, value in pairs:
        if len(key) > MAX_PROPERTY_KEY:
            msg = f"Extended property key longer than {MAX_PROPERTY_KEY} characters: {key!r}"
            raise ApiError(400, "invalid", msg)
        if len(value) > MAX_PROPERTY_VALUE:
            msg = f"Extended property value longer than {MAX_PROPERTY_VALUE} characters: {key!r}"
            raise ApiError(400, "invalid", msg)
    if len(pairs) > MAX_PROPERTIES:
        msg = f"More than {MAX_PROPERTIES} extended properties: {len(pairs)}"
        raise ApiError(400, "invalid", msg)
    size = sum(len(k.encode()) + len(v.encode()) for k, v in pairs)
    if size > MAX_PROPERTIES_BYTES:
        msg = f"Extended properties exceed {MAX_PROPERTIES_BYTES} bytes in total: {size}"
        raise ApiError(400, "invalid", msg)


def merge(target: Json, patch: Json) -> Json:
    """PATCH semantics: objects merge recursively, lists and scalars replace, null clears."""
    out = dict(target)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = clone(value)
    return out


def check_if_match(headers: dict[str, str], event: Json) -> None:
    """If-Match: <etag> (or several, comma-separated, or *) must name the current etag."""
    wanted = headers.get("if-match")
    if wanted is None:
        return
    tags = {t.strip() for t in wanted.split(",")}
    if "*" not in tags and event["etag"] not in tags:
        raise ApiError(412, "conditionNotMet", "Precondition Failed")


def not_modified(headers: dict[str, str], event: Json) -> bool:
    """If-None-Match on a GET: True when it names the current etag (answer 304)."""
    tags = {t.strip() for t in headers.get("if-none-match", "").split(",")}
    return event["etag"] in tags or "*" in tags


def check_role(role: str, method: str) -> None:
    if method in WRITE_METHODS and role not in WRITER_ROLES:
        msg = "You need to have writer access to this calendar."
        raise ApiError(403, "requiredAccessLevel", msg)


def check_scopes(scopes: Iterable[str] | None, resource: str, method: str) -> None:
    """403 insufficientPermissions when a token's scopes do not cover the call.

    scopes None: unknown (a grant that names none), so everything is allowed.
    """
    if scopes is None:
        return
    table = _WRITE_SCOPES if method in WRITE_METHODS else _READ_SCOPES
    allowed = {_SCOPE + s for s in table.get(resource, set())}
    if not allowed & set(scopes):
        msg = "Request had insufficient authentication scopes."
        raise ApiError(403, "insufficientPermissions", msg)


def stripped(event: Json) -> Json:
    """All Google guarantees of a deleted event."""
    return {k: event[k] for k in ("kind", "etag", "id", "status")}
