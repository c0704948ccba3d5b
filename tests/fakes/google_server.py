"""A fake Google Calendar API v3 + OAuth2 token server for tests, on 127.0.0.1.

Driven over real HTTP by the real google-api-python-client and google-auth (no
mocks). This module routes, logs, delays and injects faults; event semantics live in
google_calendar.py and the rules they follow in google_rules.py, tokens and credential
files in google_oauth.py, batch framing in google_batch.py, fault queueing and request
classification in google_traffic.py, the socket side in google_http.py. Stdlib only, plus
``cryptography`` for the service-account key.

Standalone, for pipeline tests (prints base_url; serves until SIGTERM/SIGINT)::

    python tests/fakes/google_server.py --port 0 --calendar ID[=ROLE] [--calendar ...]
        [--ready-file PATH] [--dump PATH] [--service-account-file PATH] [--strip-deleted]
        [--strict-deleted | --no-strict-deleted] [--latency SECONDS]

ROLE is owner (default), writer, reader or freeBusyReader.

--dump gets FakeGoogle.dump() at exit: {"events": {calendar_id: [stored events,
cancelled ones included]}, "requests": [[method, path], ...], "http_requests": n,
"tokens_issued": n, "subjects": [...]}.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, unquote, urlsplit

try:
    from .google_batch import parse_batch, render_batch
    from .google_calendar import CalendarStore
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
    from .google_rules import ApiError, Json, error_body
    from .google_traffic import REQUEST_KINDS, Fault, Faults, classify
except ImportError:  # run as a script: python tests/fakes/google_server.py
    from google_batch import parse_batch, render_batch  # type: ignore[import-not-found,no-redef]
    from google_calendar import CalendarStore  # type: ignore[import-not-found,no-redef]
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
    from google_rules import ApiError, Json, error_body  # type: ignore[import-not-found,no-redef]
    from google_traffic import (  # type: ignore[import-not-found,no-redef]
        REQUEST_KINDS,
        Fault,
        Faults,
        classify,
    )

# strict_deleted when FakeGoogle(strict_deleted=None) (the default): as strict as Google's
# promise (a deleted event is its id and status; no way back). False only documents the
# difference, in the fake's own tests.
STRICT_DELETED_DEFAULT = True

__all__ = [
    "STRICT_DELETED_DEFAULT",
    "FakeGoogle",
    "write_authorized_user_file",
    "write_external_account_file",
    "write_service_account_file",
]

API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"
MAX_BATCH = 50


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

    def __init__(
        self,
        *,
        strict_deleted: bool | None = None,
        strip_deleted: bool = False,
        latency: float = 0.0,
        port: int = 0,
    ) -> None:
        """strict_deleted (None: STRICT_DELETED_DEFAULT): a deleted event reads back as
        {kind, id, status, etag} only, filters no longer match it, and patch/update of it
        answer 403 forbidden; off, it keeps all its fields and a patch revives it.
        strip_deleted: only the first part (reads). latency: seconds every HTTP request
        waits before it is answered (an attribute: change it any time)."""
        if strict_deleted is None:
            strict_deleted = STRICT_DELETED_DEFAULT
        self.store = CalendarStore(strip_deleted=strip_deleted, strict_deleted=strict_deleted)
        self.latency = latency
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
        self._faults = Faults()
        self._tokens: dict[str, tuple[str, list[str] | None]] = {}  # token -> identity, scopes
        self._http: LoopbackServer | None = None
        self._stopped = threading.Event()  # ends latency waits at stop()

    # ---- lifecycle -----------------------------------------------------------------
    def start(self) -> Self:
        if self._http is None:
            self._stopped.clear()
            self._http = LoopbackServer(self.serve, port=self._port)
            self._http.errors = self.server_errors
        return self

    def stop(self) -> None:
        http, self._http = self._http, None
        self._stopped.set()
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
    @property
    def strict_deleted(self) -> bool:
        return self.store.strict_deleted

    def add_calendar(self, calendar_id: str, access_role: str = "owner") -> None:
        """Make calendar_id exist, with the caller's accessRole on it: owner, writer,
        reader (writes answer 403 requiredAccessLevel) or freeBusyReader (likewise)."""
        self.store.add_calendar(calendar_id, access_role)

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
        fault = Fault(method, path_contains, times, status, reason, message, retry_after, kind)
        self._faults.add(fault)
        if kind == "token":
            fault.kind, fault.path_contains = "status", path_contains or TOKEN_PATH

    @property
    def pending_faults(self) -> int:
        """How many fault firings are still queued."""
        return self._faults.pending

    def revoke_tokens(self) -> None:
        """Invalidate all issued access tokens (clients get 401 and must refresh)."""
        with self._lock:
            self._tokens.clear()

    def reset_log(self) -> None:
        """Clear `requests` and `http_requests` (tokens and events are kept)."""
        with self._lock:
            self.requests.clear()
            self.http_requests = 0

    def request_log(self) -> list[tuple[str, str, str]]:
        """(method, path, query) of every request so far, batch parts included."""
        with self._lock:
            return [(m, *t.partition("?")[::2]) for m, t in self.requests]

    def kinds(self) -> list[str]:
        """What each logged request was (google_traffic.REQUEST_KINDS), in order, e.g.
        ["token", "insert"] for a first booking; a batch logs "batch", then its parts."""
        with self._lock:
            log = list(self.requests)
        return [classify(m, t, token_path=TOKEN_PATH, batch_path=BATCH_PATH) for m, t in log]

    def count(self, kind: str | None = None) -> int:
        """How many logged requests were of `kind` (all of them when None)."""
        if kind is not None and kind not in REQUEST_KINDS:
            raise ValueError(f"kind must be one of {REQUEST_KINDS}, not {kind!r}")
        kinds = self.kinds()
        return len(kinds) if kind is None else kinds.count(kind)

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
        if self.latency > 0:
            self._stopped.wait(self.latency)
        fault = self._faults.take(method, target)
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

    def _fault_reply(self, fault: Fault, target: str) -> Reply:
        if urlsplit(target).path == TOKEN_PATH:
            description = fault.message or "injected fault"
            return _oauth_error(fault.status, fault.reason, description, fault.retry_after)
        return _error(fault.status, fault.reason, fault.message, fault.retry_after)

    def _issue(self, identity: str, scopes: list[str] | None = None) -> str:
        with self._lock:
            self.tokens_issued += 1
            token = f"fake-access-{self.tokens_issued}"
            self._tokens[token] = (identity, scopes)
            return token

    def _caller(self, headers: dict[str, str]) -> tuple[str, list[str] | None] | None:
        """(identity, OAuth scopes or None when unknown) of the bearer token."""
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
        scope = grant.claims.get("scope") if grant.claims is not None else None
        token = self._issue(grant.identity, str(scope).split() if scope else None)
        answer = {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
        return _json(200, {**answer, **grant.extra})

    def _impersonate(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """IAM credentials generateAccessToken (external_account impersonation)."""
        if method != "POST":
            return _error(405, "httpMethodNotAllowed")
        if self._caller(headers) is None:
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
            fault = self._faults.take(part.method, part.target)
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
        caller = self._caller(headers)
        if caller is None:
            return _error(401, "authError", "Invalid Credentials")
        owner, scopes = caller
        segments = [unquote(s) for s in url.path[len(API_PREFIX) :].split("/")]
        with self._lock:
            denied = self._denied.get(segments[1]) if len(segments) > 1 else None
        if denied is not None and segments[0] == "calendars":
            return _error(*denied)
        query = parse_qs(url.query, keep_blank_values=True)
        try:
            status, obj = self.store.handle(method, segments, query, body, owner, headers, scopes)
        except ApiError as exc:
            return _error(exc.status, exc.reason, exc.message)
        if obj is None:
            return Reply(status)
        etag = {"ETag": str(obj["etag"])} if "etag" in obj else {}
        return _json(status, obj, etag)


if __name__ == "__main__":  # the command line lives in google_cli.py
    from google_cli import main  # type: ignore[import-not-found]

    sys.exit(main())
