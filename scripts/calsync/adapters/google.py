"""Thin Google Calendar adapter: the API verbs, HTTP errors mapped to our errors. No rules.

Imported only when a booking really needs Google (the client costs ~0.2 s to import).
Retries: `execute(num_retries=N)` retries 5xx, 429, rate-limit 403s and dropped connections
with exponential backoff; the token endpoint is retried by google-auth.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import google_auth_httplib2
import httplib2
from google.auth import exceptions as auth_errors
from googleapiclient.discovery import build_from_document
from googleapiclient.discovery_cache import get_static_doc
from googleapiclient.errors import HttpError

from calsync.adapters.calendar import Conflict, Missing, Stale
from calsync.adapters.google_auth import load_credentials, skip_boundary_lookup
from calsync.core.errors import CalSyncError, ConfigError, PermissionDenied, TransientError

log = logging.getLogger(__name__)
MAX_RETRY_AFTER = 60.0  # seconds; a longer wait is better spent failing and being rerun
WRITE_ROLES = ("owner", "writer")  # accessRoles that may change events
_RATE = {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"}
_DENIED = {
    "forbidden",
    "forbiddenForServiceAccounts",
    "insufficientPermissions",
    "requiredAccessLevel",
    "accessNotConfigured",
    "authError",
}


class GoogleCalendar:
    """The Calendar API v3 events verbs over an authorized httplib2 client."""

    def __init__(
        self,
        service: Any,
        *,
        num_retries: int = 5,
        who: str = "the service account",
        sleep: Callable[[float], None] = time.sleep,
        credentials: Any = None,
        timeout: float = 30.0,
    ) -> None:
        self._service = service
        self._events = service.events()
        self._retries = num_retries
        self._who = who  # the account to share calendars with, named in permission errors
        self.sleep = sleep  # every backoff wait goes through it (tests pass a fake clock's)
        self._credentials = credentials  # for check_token(); None when built from a service
        self._timeout = timeout

    @property
    def who(self) -> str:
        """The account the calendars must be shared with (a service account's e-mail)."""
        return self._who

    @property
    def events(self) -> Any:
        """The events Resource, for batch requests (calsync.adapters.google_batch). Built once:
        building one writes the docstring of every method it has (milliseconds)."""
        return self._events

    def close(self) -> None:
        """Close the pooled HTTP connections."""
        self._service.close()

    def get(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        try:
            req = self._events.get(calendarId=calendar_id, eventId=event_id)
            return dict(self.run(req, calendar_id, "get"))
        except Missing:
            return None

    def insert(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        req = self._events.insert(calendarId=calendar_id, body=body, sendUpdates="none")
        return dict(self.run(req, calendar_id, "insert"))

    def patch(
        self, calendar_id: str, event_id: str, body: dict[str, Any], *, etag: str = ""
    ) -> dict[str, Any]:
        req = self._events.patch(
            calendarId=calendar_id, eventId=event_id, body=body, sendUpdates="none"
        )
        return dict(self.run(if_match(req, etag), calendar_id, "patch"))

    def delete(self, calendar_id: str, event_id: str, *, etag: str = "") -> None:
        req = self._events.delete(calendarId=calendar_id, eventId=event_id, sendUpdates="none")
        self.run(if_match(req, etag), calendar_id, "delete")

    def session(self) -> AbstractContextManager[None]:
        """Writes are guarded by etags (If-Match) and client-chosen ids: no lock to hold."""
        return contextlib.nullcontext()

    def check_writable(self, calendar_id: str) -> None:
        """One read (events.list, no writes): the error an insert would meet, raised now.

        A missing or unshared calendar answers 404 (the same ConfigError as an insert); the
        answer's `accessRole` says whether we may write (the same PermissionDenied as a 403).
        """
        if self.access_role(calendar_id) not in WRITE_ROLES:
            raise self.denied("requiredAccessLevel", calendar_id)

    def access_role(self, calendar_id: str) -> str:
        """Our accessRole on the calendar (owner, writer, reader, freeBusyReader), read from
        an events.list answer (maxResults=1): the calendar.events scope is enough, and
        nothing is written. A missing or unshared calendar: ConfigError (404)."""
        req = self._events.list(calendarId=calendar_id, maxResults=1)
        return str(self.run(req, calendar_id, "list").get("accessRole", ""))

    def check_token(self) -> None:
        """Fetch an access token now (the token endpoint only, no Calendar API call)."""
        if self._credentials is None:
            return
        http = httplib2.Http(timeout=self._timeout)
        try:
            self._credentials.refresh(google_auth_httplib2.Request(http))
        except auth_errors.RefreshError as err:
            raise _refresh_error(err) from None
        except (TimeoutError, auth_errors.TransportError, httplib2.HttpLib2Error, OSError) as err:
            raise TransientError(
                f"Google token endpoint unreachable ({type(err).__name__}); rerun the job"
            ) from None
        finally:
            http.close()

    def list(self, calendar_id: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every event matching `params` (e.g. privateExtendedProperty), following pages."""
        token = None
        while True:
            req = self._events.list(
                calendarId=calendar_id, pageToken=token, maxResults=2500, **params
            )
            page = self.run(req, calendar_id, "list")
            yield from page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                return

    def run(self, request: Any, calendar_id: str, verb: str) -> Any:
        """Execute one request with retries; HTTP errors become ours (or Conflict/Missing)."""
        honour_retry_after(request, self.sleep)
        try:
            return request.execute(num_retries=self._retries)
        except HttpError as err:
            raise self.translate(err, calendar_id, verb) from None
        except auth_errors.RefreshError as err:
            raise _refresh_error(err) from None
        except (
            TimeoutError,
            auth_errors.TransportError,
            httplib2.HttpLib2Error,
            OSError,
            ssl.SSLError,
        ) as err:
            raise TransientError(
                f"Google Calendar API unreachable after {_retries(self._retries)} "
                f"({type(err).__name__}); rerun the job"
            ) from None

    def translate(self, err: HttpError, calendar_id: str, verb: str) -> Exception:
        """The exception an HTTP error stands for (raised by the caller)."""
        status = int(err.resp.status)
        reason, message = _error_reason(err)
        if status == 409:
            return Conflict(message)
        if status == 412:
            return Stale(message)
        if status == 404 and verb in ("insert", "list"):
            return ConfigError(f"calendar {calendar_id} not found, or not shared with {self._who}")
        if status in (404, 410):
            return Missing(message)
        if status == 401:
            return PermissionDenied(
                f"Google Calendar API 401 ({reason}): the credentials were "
                "rejected; check GOOGLE_APPLICATION_CREDENTIALS"
            )
        if status == 403 and reason in _DENIED:
            return self.denied(reason, calendar_id)
        if status == 429 or status >= 500 or (status == 403 and reason in _RATE):
            return TransientError(
                f"Google Calendar API {status} ({reason}) after "
                f"{_retries(self._retries)}; rerun the job"
            )
        return CalSyncError(f"Google Calendar API {status} ({reason}): {message[:200]}")

    def denied(self, reason: str, calendar_id: str) -> PermissionDenied:
        return PermissionDenied(
            f"Google Calendar API 403 ({reason}) on calendar {calendar_id}: share it with "
            f"{self._who} ('Make changes to events'), or set GOOGLE_DELEGATED_USER to a user "
            "who can, with domain-wide delegation"
        )


class RetryAfterHttp(google_auth_httplib2.AuthorizedHttp):  # type: ignore[misc]
    """AuthorizedHttp that remembers the last answer's Retry-After header (in seconds)."""

    retry_after = 0.0

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:
        resp, content = super().request(uri, method, *args, **kwargs)
        try:
            self.retry_after = min(float(resp.get("retry-after", 0)), MAX_RETRY_AFTER)
        except ValueError:  # an HTTP date: fall back on the exponential backoff
            self.retry_after = 0.0
        return resp, content


def honour_retry_after(request: Any, sleep: Callable[[float], None]) -> None:
    """Make the client's backoff wait through `sleep`, at least what the server asked for.

    `execute(num_retries=n)` sleeps rand() * 2**n between tries and ignores Retry-After; the
    sleep function it uses is the request's `_sleep` (googleapiclient has no public seam).
    """
    http = request.http
    after = http if isinstance(http, RetryAfterHttp) else None
    request._sleep = lambda seconds: sleep(max(seconds, after.retry_after if after else 0.0))  # noqa: SLF001


def if_match(request: Any, etag: str) -> Any:
    """Make a write conditional: Google answers 412 if the event's etag is no longer `etag`."""
    if etag:
        request.headers["If-Match"] = etag
    return request


def _retries(n: int) -> str:
    return f"{n} retry" if n == 1 else f"{n} retries"


def _error_reason(err: HttpError) -> tuple[str, str]:
    try:
        data = json.loads(err.content.decode("utf-8", "replace"))["error"]
        first = (data.get("errors") or [{}])[0]
        return str(first.get("reason") or data.get("status") or "error"), str(data.get("message"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "error", f"HTTP {err.resp.status}"


def _refresh_error(err: auth_errors.RefreshError) -> CalSyncError:
    if getattr(err, "retryable", False):
        return TransientError("Google token endpoint failed after retries; rerun the job")
    detail = str(err.args[0]).split(":", 1)[0][:80] if err.args else "refused"
    return PermissionDenied(
        f"Google token request refused ({detail}); check the service "
        "account key and, with delegation, GOOGLE_DELEGATED_USER"
    )


def build_calendar(
    *,
    credentials: str,
    delegated_user: str,
    endpoint: str,
    timeout: float = 30.0,
    num_retries: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> GoogleCalendar:
    """A GoogleCalendar: credentials from the key file (or ADC), optional API endpoint override."""
    creds, who = load_credentials(credentials, delegated_user)
    endpoint = endpoint.strip().rstrip("/")
    if endpoint:
        skip_boundary_lookup(creds)
        if not endpoint.endswith("/calendar/v3"):
            endpoint += "/calendar/v3"
    http = RetryAfterHttp(creds, http=httplib2.Http(timeout=timeout))
    options = {"api_endpoint": endpoint + "/"} if endpoint else None
    service = build_from_document(_calendar_document(), http=http, client_options=options)
    return GoogleCalendar(
        service, num_retries=num_retries, who=who, sleep=sleep, credentials=creds, timeout=timeout
    )


@functools.cache
def _calendar_document() -> str:
    """Calendar API v3's discovery document as the client ships it, cut to what we call.

    The events resource keeps its five verbs (get, insert, patch, delete, list), unchanged.
    The schemas keep only the names those verbs refer to, without their fields: the client
    sends bodies as given (no schema check) and uses the schemas for two things only, the
    docstrings it writes for every method on every build (printing the whole Event schema
    took ~3 ms of a ~4 ms build) and spotting `nextPageToken` to add list_next(), which
    Events keeps. Read once per process.
    """
    doc = json.loads(get_static_doc("calendar", "v3") or "{}")
    events = doc["resources"]["events"]
    used = {m: events["methods"][m] for m in ("get", "insert", "patch", "delete", "list")}
    doc["resources"] = {"events": {**events, "methods": used}}
    page = {
        "nextPageToken": {"type": "string"},
        "items": {"type": "array", "items": {"$ref": "Event"}},
    }
    doc["schemas"] = {
        "Event": {"id": "Event", "type": "object"},
        "Events": {"id": "Events", "type": "object", "properties": page},
    }
    return json.dumps(doc)
