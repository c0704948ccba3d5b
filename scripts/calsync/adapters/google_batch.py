"""Google Calendar batch requests: many events calls in one HTTP request. A thin API mirror.

Each Call is one events verb (get, insert, patch, delete); each answer is what GoogleCalendar
would return or raise for it: the event (None for a GET of an unknown event, or for a delete),
or the exception (Conflict, Missing, a CalSyncError), returned rather than raised. No rules here.

The Calendar API takes at most 50 calls per batch, and `BatchHttpRequest` retries nothing (only a
401 part, after a token refresh). So calls answered 429, 5xx or a rate-limit 403 are sent again
in a later batch, and so is a whole batch whose HTTP request failed, with exponential backoff,
`num_retries` times. Resending is safe for the caller's writes: an insert that had landed
answers 409 (Conflict), a delete 410 (Missing), a patch applies the same fields again.
Batch requests ignore the client's api_endpoint, so the batch URI is explicit (see batch_uri()).
"""

from __future__ import annotations

import json
import random
import ssl
from collections.abc import Iterator, Sequence
from typing import Any

import httplib2
from google.auth import exceptions as auth_errors
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from calsync.adapters.calendar import Call
from calsync.adapters.google import GoogleCalendar, if_match
from calsync.core.errors import CalSyncError, ConfigError, PermissionDenied, TransientError

MAX_BATCH = 50  # the Calendar API's limit of calls per batch request
DEFAULT_BATCH_URI = "https://www.googleapis.com/batch/calendar/v3"
_RATE_LIMITS = {"rateLimitExceeded", "userRateLimitExceeded"}
_TRANSPORT = (
    TimeoutError,
    OSError,
    ssl.SSLError,
    httplib2.HttpLib2Error,
    auth_errors.TransportError,
)

Answer = dict[str, Any] | None | Exception


def batch_uri(endpoint: str, override: str = "") -> str:
    """--batch-uri, else the API endpoint's base + /batch/calendar/v3, else Google's."""
    if override:
        return override
    endpoint = endpoint.strip().rstrip("/")
    if not endpoint:
        return DEFAULT_BATCH_URI
    return endpoint.removesuffix("/calendar/v3").rstrip("/") + "/batch/calendar/v3"


class GoogleBatch:
    """Batched events calls and windowed listing over a GoogleCalendar's events Resource.

    Uses the adapter's events Resource and error translation so answers and messages match it exactly.
    `http_requests` counts the HTTP requests sent (list pages and batches, resends included).
    """

    def __init__(self, cal: GoogleCalendar, uri: str, *, num_retries: int = 5) -> None:
        self._cal = cal
        self._events = cal.events
        self._uri = uri
        self._retries = num_retries
        self.http_requests = 0

    def list_window(
        self, calendar_id: str, *, time_min: str, time_max: str
    ) -> Iterator[dict[str, Any]]:
        """Every event overlapping [time_min, time_max), deleted ones too, following pages."""
        token = None
        while True:
            request = self._events.list(
                calendarId=calendar_id,
                timeMin=time_min,
                timeMax=time_max,
                showDeleted=True,
                maxResults=2500,
                pageToken=token,
            )
            self.http_requests += 1
            page = self._cal.run(request, calendar_id, "list")
            yield from page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                return

    def execute(self, calls: Sequence[Call]) -> list[Answer]:
        """One answer per call, in order; retryable failures are resent in later batches."""
        answers: list[Answer] = [None] * len(calls)
        todo = list(range(len(calls)))
        for attempt in range(self._retries + 1):
            if attempt:
                self._cal.sleep(random.random() * 2**attempt)  # noqa: S311 - jitter, not crypto
            again: list[int] = []
            for start in range(0, len(todo), MAX_BATCH):
                again += self._send(todo[start : start + MAX_BATCH], calls, answers)
            todo = again
            if not todo:
                break
        for i in todo:
            answers[i] = TransientError(
                f"Google Calendar API kept failing after {self._retries} "
                "retries of a batch request; rerun the job"
            )
        return answers

    def _send(self, chunk: list[int], calls: Sequence[Call], answers: list[Answer]) -> list[int]:
        """Send one batch; return the indexes to resend."""
        again: list[int] = []

        def on_answer(request_id: str, response: Any, error: HttpError | None) -> None:
            i = int(request_id)
            if error is None:
                answers[i] = response if isinstance(response, dict) and response else None
            elif _retryable(error):
                again.append(i)
            elif error.resp.status == 404 and calls[i].verb == "get":
                answers[i] = None
            else:
                answers[i] = self._cal.translate(error, calls[i].calendar_id, calls[i].verb)

        batch = BatchHttpRequest(callback=on_answer, batch_uri=self._uri)
        for i in chunk:
            batch.add(self._request(calls[i]), request_id=str(i))
        self.http_requests += 1
        try:
            batch.execute()
        except HttpError as err:  # the batch request itself failed
            if _retryable(err):
                return chunk
            failed: Exception = self._cal.translate(err, "(batch)", "batch")
            if not isinstance(failed, CalSyncError):  # e.g. 404: not a batch endpoint at all
                failed = ConfigError(
                    f"Google batch endpoint {self._uri} answered HTTP "
                    f"{err.resp.status}; check --batch-uri"
                )
        except auth_errors.RefreshError as err:
            if getattr(err, "retryable", False):
                return chunk
            failed = PermissionDenied(
                "Google token request refused; check the service account "
                "key and, with delegation, GOOGLE_DELEGATED_USER"
            )
        except _TRANSPORT:
            return chunk  # some parts may have run: resending is safe (see the module doc)
        else:
            return again
        for i in chunk:
            answers[i] = failed
        return []

    def _request(self, call: Call) -> Any:
        cid, eid, body = call.calendar_id, call.event_id, call.body
        if call.verb == "get":
            return self._events.get(calendarId=cid, eventId=eid)
        if call.verb == "insert":
            return self._events.insert(calendarId=cid, body=body, sendUpdates="none")
        if call.verb == "patch":
            request = self._events.patch(calendarId=cid, eventId=eid, body=body, sendUpdates="none")
            return if_match(request, call.etag)
        if call.verb == "delete":
            request = self._events.delete(calendarId=cid, eventId=eid, sendUpdates="none")
            return if_match(request, call.etag)
        raise CalSyncError(f"unknown batch verb {call.verb!r}")


def _retryable(err: HttpError) -> bool:
    """What googleapiclient's own retry treats as transient: 429, 5xx, rate-limit 403s."""
    status = int(err.resp.status)
    if status == 429 or status >= 500:
        return True
    if status != 403:
        return False
    try:
        reasons = {e.get("reason") for e in json.loads(err.content)["error"]["errors"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return False
    return bool(reasons & _RATE_LIMITS)
