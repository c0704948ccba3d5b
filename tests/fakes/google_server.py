"""A fake Google Calendar API v3 + OAuth2 token server for tests, on 127.0.0.1.

Driven over real HTTP by the real google-api-python-client and google-auth (no
mocks). This module routes, logs and injects faults; event semantics live in
google_calendar.py, tokens and credential files in google_oauth.py, batch framing in
google_batch.py, the socket side in google_http.py. Stdlib only, plus
``cryptography`` for the service-account key.

Standalone, for pipeline tests (prints base_url; serves until SIGTERM/SIGINT)::

    python tests/fakes/google_server.py --port 0 --calendar ID [--calendar ID ...]
        [--ready-file PATH] [--dump PATH] [--service-account-file PATH] [--strip-deleted]

--dump gets FakeGoogle.dump() at exit: {"events": {calendar_id: [stored events,
cancelled ones included]}, "requests": [[method, path], ...], "http_requests": n,
"tokens_issued": n, "subjects": [...]}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

try:
    from .google_batch import parse_batch, render_batch
    from .google_calendar import ApiError, CalendarStore, Json, error_body
    from .google_http import LoopbackServer, Reply
    from .google_oauth import (
        IMPERSONATE_SUFFIX,
        TOKEN_PATH,
        OAuthError,
        read_grant,
        write_authorized_user_file,
        write_external_account_file,
        write_service_account_file,
    )
except ImportError:  # run as a script: python tests/fakes/google_server.py
    from google_batch import parse_batch, render_batch  # type: ignore[import-not-found,no-redef]
    from google_calendar import (  # type: ignore[import-not-found,no-redef]
        ApiError,
        CalendarStore,
        Json,
        error_body,
    )
    from google_http import LoopbackServer, Reply  # type: ignore[import-not-found,no-redef]
    from google_oauth import (  # type: ignore[import-not-found,no-redef]
        IMPERSONATE_SUFFIX,
        TOKEN_PATH,
        OAuthError,
        read_grant,
        write_authorized_user_file,
        write_external_account_file,
        write_service_account_file,
    )

__all__ = [
    "FakeGoogle",
    "write_authorized_user_file",
    "write_external_account_file",
    "write_service_account_file",
]

API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"
MAX_BATCH = 50
FAULT_KINDS = ("status", "reset", "timeout", "lost_response", "token")


@dataclass
class _Fault:
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


def _json(status: int, obj: object, headers: dict[str, str] | None = None) -> Reply:
    hdrs = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}
    return Reply(status, json.dumps(obj).encode(), hdrs)


def _retry_after(seconds: int | None) -> dict[str, str]:
    return {} if seconds is None else {"Retry-After": str(seconds)}


def _error(
    status: int, reason: str, message: str | None = None, retry_after: int | None = None
) -> Reply:
    headers = _retry_after(retry_after)
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
    return _json(status, error_body(status, reason, message), headers)


def _oauth_error(
    status: int, error: str, description: str, retry_after: int | None = None
) -> Reply:
    body = {"error": error, "error_description": description}
    return _json(status, body, _retry_after(retry_after))


class FakeGoogle:
    """Google Calendar (events subset) + OAuth token endpoint, served on 127.0.0.1."""

    def __init__(self, *, strip_deleted: bool = False, port: int = 0) -> None:
        self.store = CalendarStore(strip_deleted=strip_deleted)
        self.timeout_sleep = 3.0  # how long a "timeout" fault holds a request, seconds
        self.requests: list[tuple[str, str]] = []  # (method, path?query); batch parts too
        self.http_requests = 0  # real HTTP requests received (a batch counts once)
        self.tokens_issued = 0
        self.subjects: list[str | None] = []  # JWT "sub" of each service-account grant
        self.token_claims: list[Json] = []  # decoded JWT payloads, in order
        self.impersonated: list[str] = []  # service accounts of generateAccessToken calls
        self.server_errors: list[str] = []  # tracebacks of bugs in the fake itself
        self._port = port
        self._lock = threading.RLock()
        self._denied: dict[str, tuple[int, str, str]] = {}
        self._faults: list[_Fault] = []
        self._tokens: dict[str, str] = {}  # access token -> identity
        self._http: LoopbackServer | None = None

    # ---- lifecycle -----------------------------------------------------------------
    def start(self) -> Self:
        if self._http is None:
            self._http = LoopbackServer(self.serve, port=self._port)
            self._http.errors = self.server_errors
        return self

    def stop(self) -> None:
        http, self._http = self._http, None
        if http is not None:
            http.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("FakeGoogle is not started")
        return f"http://127.0.0.1:{self._http.port}"

    @property
    def api_endpoint(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def batch_uri(self) -> str:
        return self.base_url + BATCH_PATH

    @property
    def token_uri(self) -> str:
        return self.base_url + TOKEN_PATH

    # ---- test controls and inspection ---------------------------------------------
    def add_calendar(self, calendar_id: str) -> None:
        self.store.add_calendar(calendar_id)

    def seed_event(self, calendar_id: str, event: Json) -> Json:
        """Store an event directly (no validation, nothing logged); returns it."""
        return self.store.seed(calendar_id, event)

    def events(self, calendar_id: str, *, include_deleted: bool = False) -> list[Json]:
        return self.store.events(calendar_id, include_deleted=include_deleted)

    def live_events(self, calendar_id: str) -> list[Json]:
        return self.store.events(calendar_id)

    def deny(
        self,
        calendar_id: str,
        *,
        status: int = 403,
        reason: str = "forbidden",
        message: str = "You need to have writer access to this calendar.",
    ) -> None:
        """Every later API call on calendar_id fails with this error (until allow())."""
        with self._lock:
            self._denied[calendar_id] = (status, reason, message)

    def allow(self, calendar_id: str) -> None:
        with self._lock:
            self._denied.pop(calendar_id, None)

    def fail(
        self,
        *,
        method: str | None = None,
        path_contains: str | None = None,
        times: int = 1,
        status: int = 503,
        reason: str = "backendError",
        retry_after: int | None = None,
        kind: str = "status",
        message: str | None = None,
    ) -> None:
        """Fail the next `times` requests that match (faults are tried in the order queued).

        Embedded batch requests are matched too: "status" then fails that part only,
        the socket kinds abort the whole batch ("lost_response" after running it all).
        kind="token" is kind="status" with path_contains defaulting to "/token".
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}, not {kind!r}")
        if times < 1:
            raise ValueError("times must be >= 1")
        if kind == "token":
            kind, path_contains = "status", path_contains or TOKEN_PATH
        fault = _Fault(method, path_contains, times, status, reason, message, retry_after, kind)
        with self._lock:
            self._faults.append(fault)

    @property
    def pending_faults(self) -> int:
        """How many fault firings are still queued."""
        with self._lock:
            return sum(f.times for f in self._faults)

    def revoke_tokens(self) -> None:
        """Invalidate all issued access tokens (clients get 401 and must refresh)."""
        with self._lock:
            self._tokens.clear()

    def reset_log(self) -> None:
        """Clear `requests` and `http_requests` (tokens and events are kept)."""
        with self._lock:
            self.requests.clear()
            self.http_requests = 0

    def dump(self) -> Json:
        """Everything a pipeline test inspects, as JSON-ready data."""
        with self._lock:
            return {
                "events": {
                    cid: self.store.events(cid, include_deleted=True)
                    for cid in self.store.calendar_ids()
                },
                "requests": [list(r) for r in self.requests],
                "http_requests": self.http_requests,
                "tokens_issued": self.tokens_issued,
                "subjects": list(self.subjects),
            }

    # ---- serving ---------------------------------------------------------------------
    def serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        """Answer one real HTTP request (header names lower-cased)."""
        with self._lock:
            self.requests.append((method, target))
            self.http_requests += 1
        fault = self._take_fault(method, target)
        if fault is not None and fault.kind in ("reset", "timeout"):
            return Reply(0, drop=fault.kind, hold=self.timeout_sleep)
        if fault is not None and fault.kind == "status":
            return self._fault_reply(fault, target)
        path = urlsplit(target).path
        if path == TOKEN_PATH:
            reply = self._token(method, headers, body)
        elif path == BATCH_PATH:
            reply = self._batch(method, headers, body)
        elif path.startswith("/v1/projects/") and path.endswith(IMPERSONATE_SUFFIX):
            reply = self._impersonate(method, path, headers)
        else:
            reply = self._api(method, target, headers, body)
        if fault is not None and reply.drop is None:  # lost_response: done, nobody hears
            reply.drop = "reset"
        return reply

    def _take_fault(self, method: str, target: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, target):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_reply(self, fault: _Fault, target: str) -> Reply:
        if urlsplit(target).path == TOKEN_PATH:
            description = fault.message or "injected fault"
            return _oauth_error(fault.status, fault.reason, description, fault.retry_after)
        return _error(fault.status, fault.reason, fault.message, fault.retry_after)

    def _issue(self, identity: str) -> str:
        with self._lock:
            self.tokens_issued += 1
            token = f"fake-access-{self.tokens_issued}"
            self._tokens[token] = identity
            return token

    def _owner(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        with self._lock:
            return self._tokens.get(auth[7:]) if auth.startswith("Bearer ") else None

    def _token(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return _oauth_error(405, "invalid_request", "POST only")
        try:
            grant = read_grant(headers.get("content-type", ""), body)
        except OAuthError as exc:
            return _json(exc.status, exc.body())
        if grant.claims is not None:
            with self._lock:
                self.subjects.append(grant.claims.get("sub"))
                self.token_claims.append(grant.claims)
        token = self._issue(grant.identity)
        answer = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        return _json(200, {**answer, **grant.extra})

    def _impersonate(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """IAM credentials generateAccessToken (external_account impersonation)."""
        if method != "POST":
            return _error(405, "httpMethodNotAllowed")
        if self._owner(headers) is None:
            return _error(401, "authError", "Invalid Credentials")
        email = unquote(path.rsplit("/", 1)[-1].removesuffix(IMPERSONATE_SUFFIX))
        with self._lock:
            self.impersonated.append(email)
        expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        expire_time = expiry.isoformat(timespec="seconds").replace("+00:00", "Z")
        return _json(200, {"accessToken": self._issue(email), "expireTime": expire_time})

    def _batch(self, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return _error(405, "httpMethodNotAllowed")
        try:
            parts = parse_batch(headers.get("content-type", ""), body)
        except ValueError as exc:
            return _error(400, "badRequest", str(exc))
        if not parts or len(parts) > MAX_BATCH:
            msg = f"A batch must hold 1 to {MAX_BATCH} requests, not {len(parts)}."
            return _error(400, "badRequest", msg)
        answers: list[tuple[str, int, dict[str, str], bytes]] = []
        lost = False
        for part in parts:
            with self._lock:
                self.requests.append((part.method, part.target))
            fault = self._take_fault(part.method, part.target)
            if fault is not None and fault.kind in ("reset", "timeout"):
                # The parts before this one stay done.
                return Reply(0, drop=fault.kind, hold=self.timeout_sleep)
            if fault is not None and fault.kind == "status":
                reply = self._fault_reply(fault, part.target)
            else:
                part_headers = {"authorization": headers.get("authorization", "")}
                part_headers.update(part.headers)
                reply = self._api(part.method, part.target, part_headers, part.body)
                lost = lost or fault is not None
            answers.append((part.content_id, reply.status, reply.headers, reply.body))
        content_type, out = render_batch(answers)
        drop = "reset" if lost else None
        return Reply(200, out, {"Content-Type": content_type}, drop=drop)

    def _api(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(target)
        if not url.path.startswith(API_PREFIX):
            return _error(404, "notFound", "Not Found")
        owner = self._owner(headers)
        if owner is None:
            return _error(401, "authError", "Invalid Credentials")
        segments = [unquote(s) for s in url.path[len(API_PREFIX) :].split("/")]
        with self._lock:
            denied = self._denied.get(segments[1]) if len(segments) > 1 else None
        if denied is not None and segments[0] == "calendars":
            return _error(*denied)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            status, obj = self.store.handle(method, segments, query, body, owner)
        except ApiError as exc:
            return _error(exc.status, exc.reason, exc.message)
        return Reply(status) if obj is None else _json(status, obj)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Google Calendar + OAuth server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--calendar", action="append", default=[], help="repeatable")
    parser.add_argument("--ready-file", type=Path, help="gets base_url once serving")
    parser.add_argument("--dump", type=Path, help="JSON of events + request log, at exit")
    parser.add_argument("--service-account-file", type=Path, help="write a key for us")
    parser.add_argument("--strip-deleted", action="store_true")
    args = parser.parse_args(argv)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fake = FakeGoogle(strip_deleted=args.strip_deleted, port=args.port).start()
    try:
        for calendar_id in args.calendar:
            fake.add_calendar(calendar_id)
        if args.service_account_file:
            write_service_account_file(args.service_account_file, token_uri=fake.token_uri)
        print(fake.base_url, flush=True)
        if args.ready_file:
            _write_atomic(args.ready_file, fake.base_url + "\n")
        while not done.wait(0.2):
            pass
    finally:
        if args.dump:
            _write_atomic(args.dump, json.dumps(fake.dump(), indent=2))
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
