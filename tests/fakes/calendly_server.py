"""A fake Calendly API v2 on loopback, for tests that speak real HTTP.

Shapes follow Calendly's published OpenAPI document (developer.calendly.com): single resources
come as ``{"resource": ...}``, lists as ``{"collection": [...], "pagination": {...}}``, errors as
``{"title", "message", "details"?}``. The fake keeps state in memory, records every request, and
can inject faults (5xx, 429 with ``Retry-After``, slow answers) and missing token scopes.

Run it alone with ``python tests/fakes/calendly_server.py --port 0 --ready-file F``: once it
listens it prints its base URL and writes ``{"base_url", "organization", "user"}`` as JSON to F
(atomically), then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import re
import signal
import threading
import time
import uuid as uuidlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

JSON = dict[str, Any]

EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
)
SCOPES = ("organization", "user", "group")
MAX_COUNT = 100  # Calendly's documented maximum for `count`
DEFAULT_COUNT = 20  # Calendly's documented default for `count`


def now_iso() -> str:
    """Calendly's timestamp format: UTC, microseconds, a literal Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time as Calendly sends and accepts it (``Z`` or an offset)."""
    parsed = datetime.fromisoformat(value)  # Python 3.11+ accepts a trailing Z
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass
class _Fault:
    path_contains: str | None
    method: str | None
    remaining: int
    status: int
    retry_after: int | None
    delay: float
    body: str | None

    def matches(self, method: str, target: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_contains is None or self.path_contains in target


class _ApiError(Exception):
    def __init__(self, status: int, title: str, message: str, details: list[JSON] | None = None):
        super().__init__(message)
        self.status = status
        self.body: JSON = {"title": title, "message": message}
        if details is not None:
            self.body["details"] = details


def _invalid(parameter: str, message: str) -> _ApiError:
    return _ApiError(
        400,
        "Invalid Argument",
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def _not_found() -> _ApiError:
    return _ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def required_scopes(method: str, path: str, body: JSON | None = None) -> tuple[str, ...]:
    """The token scopes Calendly documents for an endpoint (developer.calendly.com, Scopes)."""
    if path.startswith("/users/"):
        return ("users:read",)
    if path.startswith("/webhook_subscriptions"):
        if method == "GET":
            return ("webhooks:read",)
        needed = ["webhooks:write"]
        events = body.get("events") if body else None
        if isinstance(events, list):
            if any(isinstance(e, str) and e.startswith("invitee") for e in events):
                needed.append("scheduled_events:read")
            if "routing_form_submission.created" in events:
                needed.append("routing_forms:read")
        return tuple(needed)
    if path.startswith("/scheduled_events"):
        return ("scheduled_events:read",)
    return ()


class FakeCalendly:
    """In-memory Calendly API v2 served over HTTP on 127.0.0.1.

    ``page_size`` caps every page (Calendly's own cap is 100) so tests can force pagination with
    a handful of items. The server binds in ``__init__``, so ``base_url`` is known before
    ``start()``.
    """

    def __init__(self, *, token: str = "test-token", page_size: int = 20, port: int = 0) -> None:
        self.token = token
        self.page_size = page_size
        self.scopes: set[str] | None = None
        self.scope_error_names_scope = True
        self.subscriptions: list[JSON] = []
        self.signing_keys: dict[str, str] = {}  # subscription uri -> signing key sent on create
        self.events: dict[str, JSON] = {}  # event uuid -> scheduled_event resource
        self.invitees: dict[str, dict[str, JSON]] = {}  # event uuid -> invitee uuid -> invitee
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._thread: threading.Thread | None = None
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        org_uuid, user_uuid = "ORG" + new_uuid()[:13].upper(), "USR" + new_uuid()[:13].upper()
        self.organization_uri = f"{self.base_url}/organizations/{org_uuid}"
        self.user: JSON = {
            "uri": f"{self.base_url}/users/{user_uuid}",
            "name": "Support Bot",
            "slug": "support-bot",
            "email": "support-bot@example.com",
            "scheduling_url": "https://calendly.com/support-bot",
            "timezone": "UTC",
            "avatar_url": None,
            "created_at": "2024-01-02T03:04:05.678123Z",
            "updated_at": "2024-01-02T03:04:05.678123Z",
            "current_organization": self.organization_uri,
            "resource_type": "User",
        }

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- state set-up for tests --------------------------------------------------------------
    def add_scheduled_event(self, event: JSON) -> None:
        """Store a full scheduled_event resource; its uri must be ``base_url/scheduled_events/<uuid>``."""
        match = re.fullmatch(re.escape(self.base_url) + r"/scheduled_events/([^/]+)", event["uri"])
        if not match:
            raise ValueError(f"event uri must be under {self.base_url}/scheduled_events/")
        with self.lock:
            self.events[match.group(1)] = copy.deepcopy(event)

    def add_invitee(self, invitee: JSON) -> None:
        """Store a full invitee resource; its uri must sit under its scheduled event."""
        pattern = re.escape(self.base_url) + r"/scheduled_events/([^/]+)/invitees/([^/]+)"
        match = re.fullmatch(pattern, invitee["uri"])
        if not match:
            raise ValueError("invitee uri must be <base>/scheduled_events/<ev>/invitees/<inv>")
        with self.lock:
            self.invitees.setdefault(match.group(1), {})[match.group(2)] = copy.deepcopy(invitee)

    def make_event(self, *, start_time: str = "2030-01-02T15:00:00.000000Z", **fields: Any) -> JSON:
        """A realistic scheduled_event resource (not stored); ``fields`` override any key."""
        ev_uuid = new_uuid()
        start = parse_time(start_time)
        event: JSON = {
            "uri": f"{self.base_url}/scheduled_events/{ev_uuid}",
            "name": "30 Minute Support Call",
            "meeting_notes_plain": None,
            "meeting_notes_html": None,
            "status": "active",
            "start_time": start_time,
            "end_time": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "event_type": f"{self.base_url}/event_types/ET{ev_uuid[:8]}",
            "location": {
                "type": "google_conference",
                "status": "pushed",
                "join_url": "https://meet.google.com/abc-defg-hij",
            },
            "invitees_counter": {"total": 1, "active": 1, "limit": 1},
            "created_at": "2024-01-02T03:04:05.678123Z",
            "updated_at": "2024-01-02T03:04:05.678123Z",
            "event_memberships": [
                {
                    "user": self.user["uri"],
                    "user_email": self.user["email"],
                    "user_name": self.user["name"],
                }
            ],
            "event_guests": [],
        }
        event.update(fields)
        return event

    def make_invitee(self, event: JSON, **fields: Any) -> JSON:
        """A realistic invitee resource of ``event`` (not stored); ``fields`` override any key."""
        inv: JSON = {
            "uri": f"{event['uri']}/invitees/{new_uuid()}",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "status": "active",
            "timezone": "Europe/London",
            "event": event["uri"],
            "created_at": "2024-01-02T03:04:05.678123Z",
            "updated_at": "2024-01-02T03:04:05.678123Z",
            "questions_and_answers": [],
            "tracking": {
                "utm_campaign": None,
                "utm_source": None,
                "utm_medium": None,
                "utm_content": None,
                "utm_term": None,
                "salesforce_uuid": None,
            },
            "text_reminder_number": None,
            "rescheduled": False,
            "old_invitee": None,
            "new_invitee": None,
            "cancel_url": "https://calendly.com/cancellations/X",
            "reschedule_url": "https://calendly.com/reschedulings/X",
            "routing_form_submission": None,
            "cancellation": None,
            "payment": None,
            "no_show": None,
            "reconfirmation": None,
            "scheduling_method": None,
            "invitee_scheduled_by": None,
        }
        inv.update(fields)
        return inv

    def disable_subscription(self, uri_or_uuid: str) -> None:
        """Mark a subscription "disabled", as Calendly does after 24 hours of failed deliveries."""
        with self.lock:
            for sub in self.subscriptions:
                if sub["uri"] == uri_or_uuid or sub["uri"].endswith("/" + uri_or_uuid):
                    sub["state"] = "disabled"
                    sub["updated_at"] = now_iso()
                    return
        raise KeyError(uri_or_uuid)

    def fail(
        self,
        *,
        path_contains: str | None = None,
        method: str | None = None,
        times: int = 1,
        status: int = 500,
        retry_after: int | None = None,
        delay: float = 0.0,
        body: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (after ``delay`` seconds).

        ``status=0`` only delays and then answers normally (for timeout tests); ``body`` replaces
        the JSON error body with raw text sent as text/html (for non-JSON answers, e.g. a proxy).
        """
        with self.lock:
            self._faults.append(
                _Fault(path_contains, method, times, status, retry_after, delay, body)
            )

    # -- request handling (called from server threads) --------------------------------------
    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, JSON | str | None, dict[str, str]]:
        """Answer one request: (status, JSON body / raw text / no body, extra headers)."""
        with self.lock:
            self.requests.append((method, target))
            fault = next((f for f in self._faults if f.matches(method, target)), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                extra = (
                    {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                )
                if fault.body is not None:
                    return fault.status, fault.body, extra
                title = "Too Many Requests" if fault.status == 429 else "Internal Server Error"
                return fault.status, {"title": title, "message": "Injected fault."}, extra
        try:
            status, payload = self._dispatch(method, target, headers, raw)
        except _ApiError as err:
            return err.status, err.body, {}
        return status, payload, {}

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, JSON | None]:
        if headers.get("authorization") != f"Bearer {self.token}":
            raise _ApiError(401, "Unauthenticated", "The access token is invalid")
        body = self._json_body(raw) if method == "POST" else None
        path, _, query = target.partition("?")
        self._check_scopes(method, path, body)
        with self.lock:  # copy, so answers never share state with later test edits
            return copy.deepcopy(self._route(method, path, parse_qs(query), body))

    def _json_body(self, raw: bytes) -> JSON:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise _ApiError(
                400, "Invalid Argument", "The request body is not valid JSON."
            ) from None
        if not isinstance(body, dict):
            raise _ApiError(400, "Invalid Argument", "The request body must be a JSON object.")
        return body

    def _check_scopes(self, method: str, path: str, body: JSON | None) -> None:
        if self.scopes is None:
            return
        granted = self.scopes | {s.replace(":write", ":read") for s in self.scopes}
        missing = [s for s in required_scopes(method, path, body) if s not in granted]
        if missing:
            if self.scope_error_names_scope:
                raise _ApiError(
                    403,
                    "Permission Denied",
                    f"The access token is missing the required scope: {missing[0]}",
                    [{"parameter": "scope", "message": f"requires {missing[0]}"}],
                )
            raise _ApiError(403, "Permission Denied", "You do not have permission")

    def _route(
        self, method: str, path: str, q: dict[str, list[str]], body: JSON | None
    ) -> tuple[int, JSON | None]:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and parts == ["users", "me"]:
            return 200, {"resource": self.user}
        if parts[:1] == ["webhook_subscriptions"]:
            if len(parts) == 1 and method == "POST":
                return 201, {"resource": self._create_subscription(body or {})}
            if len(parts) == 1 and method == "GET":
                return 200, self._list_subscriptions(path, q)
            if len(parts) == 2 and method in ("GET", "DELETE"):
                sub = next(
                    (s for s in self.subscriptions if s["uri"].endswith("/" + parts[1])), None
                )
                if sub is None:
                    raise _not_found()
                if method == "DELETE":
                    self.subscriptions.remove(sub)
                    return 204, None
                return 200, {"resource": sub}
        if method == "GET" and parts[:1] == ["scheduled_events"]:
            if len(parts) == 1:
                return 200, self._list_events(path, q)
            event = self.events.get(parts[1])
            if event is None or len(parts) > 4 or (len(parts) >= 3 and parts[2] != "invitees"):
                raise _not_found()
            if len(parts) == 2:
                return 200, {"resource": event}
            invitees = self.invitees.get(parts[1], {})
            if len(parts) == 4:
                if parts[3] not in invitees:
                    raise _not_found()
                return 200, {"resource": invitees[parts[3]]}
            return 200, self._list_invitees(path, q, list(invitees.values()))
        raise _not_found()

    def _create_subscription(self, body: JSON) -> JSON:
        url, events, org, scope, user = (
            body.get(k) for k in ("url", "events", "organization", "scope", "user")
        )
        if (
            not isinstance(url, str)
            or urlsplit(url).scheme not in ("http", "https")
            or not urlsplit(url).netloc
        ):
            raise _invalid("url", "must be a valid URL")
        if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
            raise _invalid("events", f"must be a non-empty list of: {', '.join(EVENTS)}")
        if not isinstance(org, str) or not org:
            raise _invalid("organization", "is missing")
        if scope not in SCOPES:
            raise _invalid("scope", f"must be one of: {', '.join(SCOPES)}")
        if scope == "user" and not isinstance(user, str):
            raise _invalid("user", "is required when scope is user")
        if scope != "organization" and "routing_form_submission.created" in events:
            raise _invalid("events", "routing_form_submission.created needs organization scope")
        if org != self.organization_uri:
            raise _ApiError(
                403, "Permission Denied", "You do not have permission to access this resource."
            )
        owner = (org, scope, user if scope == "user" else None)
        for other in self.subscriptions:
            if (
                other["callback_url"] == url
                and (other["organization"], other["scope"], other["user"]) == owner
            ):
                raise _ApiError(409, "Already Exists", "Hook with this url already exists")
        stamp = now_iso()
        sub: JSON = {
            "uri": f"{self.base_url}/webhook_subscriptions/{new_uuid()}",
            "callback_url": url,
            "created_at": stamp,
            "updated_at": stamp,
            "retry_started_at": None,
            "state": "active",
            "events": list(dict.fromkeys(events)),
            "scope": scope,
            "organization": org,
            "user": user if scope == "user" else None,
            "group": body.get("group") if scope == "group" else None,
            "creator": self.user["uri"],
        }
        self.subscriptions.append(sub)
        if isinstance(body.get("signing_key"), str):
            self.signing_keys[sub["uri"]] = body["signing_key"]
        return sub

    def _list_subscriptions(self, path: str, q: dict[str, list[str]]) -> JSON:
        org, scope, user = (q.get(k, [None])[0] for k in ("organization", "scope", "user"))
        if not org:
            raise _invalid("organization", "is missing")
        if scope not in SCOPES:
            raise _invalid("scope", f"must be one of: {', '.join(SCOPES)}")
        if scope == "user" and not user:
            raise _invalid("user", "is required when scope is user")
        items = [
            s
            for s in self.subscriptions
            if s["organization"] == org
            and s["scope"] == scope
            and (user is None or s["user"] == user)
        ]
        return self._page(path, q, items)

    def _list_events(self, path: str, q: dict[str, list[str]]) -> JSON:
        org, user = q.get("organization", [None])[0], q.get("user", [None])[0]
        if not org and not user:
            raise _invalid("organization", "organization or user is required")
        if org and org != self.organization_uri:
            raise _ApiError(
                403, "Permission Denied", "You do not have permission to access this resource."
            )
        bounds: dict[str, datetime] = {}
        for key in ("min_start_time", "max_start_time"):
            if key in q:
                try:
                    bounds[key] = parse_time(q[key][0])
                except ValueError:
                    raise _invalid(key, "must be an ISO 8601 time") from None
        status = q.get("status", [None])[0]
        if status not in (None, "active", "canceled"):
            raise _invalid("status", "must be active or canceled")
        items = []
        for ev in self.events.values():
            start = parse_time(ev["start_time"])
            if "min_start_time" in bounds and start < bounds["min_start_time"]:
                continue
            if "max_start_time" in bounds and start >= bounds["max_start_time"]:
                continue
            if status and ev.get("status") != status:
                continue
            if user and all(m.get("user") != user for m in ev.get("event_memberships") or []):
                continue
            items.append(ev)
        descending = q.get("sort", ["start_time:asc"])[0].endswith(":desc")
        items.sort(key=lambda e: parse_time(e["start_time"]), reverse=descending)
        return self._page(path, q, items)

    def _list_invitees(self, path: str, q: dict[str, list[str]], items: list[JSON]) -> JSON:
        status, email = q.get("status", [None])[0], q.get("email", [None])[0]
        if status not in (None, "active", "canceled"):
            raise _invalid("status", "must be active or canceled")
        items = [
            i
            for i in items
            if (not status or i.get("status") == status) and (not email or i.get("email") == email)
        ]
        items.sort(
            key=lambda i: str(i.get("created_at", "")),
            reverse=q.get("sort", ["created_at:asc"])[0].endswith(":desc"),
        )
        return self._page(path, q, items)

    def _page(self, path: str, q: dict[str, list[str]], items: list[JSON]) -> JSON:
        try:
            count = int(q.get("count", [str(DEFAULT_COUNT)])[0])
        except ValueError:
            raise _invalid("count", "must be an integer") from None
        if not 1 <= count <= MAX_COUNT:
            raise _invalid("count", f"must be between 1 and {MAX_COUNT}")
        size = min(count, self.page_size)
        offset = 0
        if "page_token" in q:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(q["page_token"][0]))["o"])
            except (ValueError, KeyError, TypeError):
                raise _invalid("page_token", "is invalid") from None
        page = items[offset : offset + size]

        def link(at: int | None) -> tuple[str | None, str | None]:
            if at is None:
                return None, None
            token = base64.urlsafe_b64encode(json.dumps({"o": at}).encode()).decode()
            params = {k: v[0] for k, v in q.items() if k != "page_token"} | {"page_token": token}
            return f"{self.base_url}{path}?{urlencode(params)}", token

        next_page, next_token = link(offset + size if offset + size < len(items) else None)
        prev_page, prev_token = link(max(offset - size, 0) if offset > 0 else None)
        return {
            "collection": page,
            "pagination": {
                "count": len(page),
                "next_page": next_page,
                "previous_page": prev_page,
                "next_page_token": next_token,
                "previous_page_token": prev_token,
            },
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeCalendly

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeout tests) are normal here; keep stderr quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out separately; avoid 40 ms ACK stalls
    server: _Server

    def log_message(self, *args: Any) -> None:
        """Silence per-request logging."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.server.fake.handle(self.command, self.path, headers, raw)
        if isinstance(payload, str):
            data, kind = payload.encode(), "text/html; charset=utf-8"
        else:
            data, kind = (
                b"" if payload is None else json.dumps(payload).encode(),
                "application/json",
            )
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve  # noqa: N815 - http.server's names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once listening")
    args = parser.parse_args(argv)
    fake = FakeCalendly(token=args.token, page_size=args.page_size, port=args.port)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with fake:
        print(fake.base_url, flush=True)
        if args.ready_file is not None:
            tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
            tmp.write_text(
                json.dumps(
                    {
                        "base_url": fake.base_url,
                        "organization": fake.organization_uri,
                        "user": fake.user["uri"],
                    }
                )
                + "\n"
            )
            tmp.replace(args.ready_file)
        while not stop.wait(0.2):
            pass


if __name__ == "__main__":
    main()
