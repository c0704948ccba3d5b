"""A fake Calendly API v2 on loopback, for tests that speak real HTTP.

Shapes follow Calendly's published API reference (developer.calendly.com): single resources
come as ``{"resource": ...}``, lists as ``{"collection": [...], "pagination": {...}}``, errors as
``{"title", "message", "details"?}``. The fake keeps state in memory, records every request, and
can inject faults (5xx, 429 with ``Retry-After``, slow answers), enforce token scopes and a
per-token rate limit. Resources live in mixins: scheduled events (calendly_events), webhook
subscriptions (calendly_webhooks), organization administration (calendly_admin) and event types
(calendly_event_types).

Run it alone with ``python tests/fakes/calendly_server.py --port 0 --ready-file F``: once it
listens it prints its base URL and writes ``{"base_url", "organization", "user"}`` as JSON to F
(atomically), then serves until SIGINT/SIGTERM. Options (``--booking``, ``--subscription``):
tests/fakes/calendly_cli.py.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `fakes` when run as a script

from fakes.calendly_event_types import EventTypesMixin
from fakes.calendly_events import EventsMixin
from fakes.calendly_groups import GroupsMixin
from fakes.calendly_state import (
    JSON,
    ApiError,
    granted_with_implied,
    missing_scope,
    new_uuid,
    not_found,
    required_scopes,
)
from fakes.calendly_traffic import Fault, RateLimit, Request, TrafficMixin
from fakes.calendly_webhooks import EVENTS, SCOPES, WebhooksMixin
from fakes.jsoncopy import clone
from fakes.serving import Serving

__all__ = ["EVENTS", "SCOPES", "FakeCalendly", "Request", "required_scopes"]


class FakeCalendly(TrafficMixin, GroupsMixin, EventTypesMixin, WebhooksMixin, EventsMixin):
    """In-memory Calendly API v2 served over HTTP on 127.0.0.1.

    ``page_size`` caps every page (Calendly's own cap is 100) so tests can force pagination with
    a handful of items. The server binds in ``__init__``, so ``base_url`` is known before
    ``start()``. ``role`` is the token user's role in the organization (owner, admin or user).

    Tokens: ``token`` is accepted with every scope unless ``scopes`` is set; ``grant(token,
    scopes)`` accepts another token (acting as the same user) with just those scopes.
    Rate limit: ``rate_limit(n, per=seconds, clock=...)``; then every answer carries the
    ``X-RateLimit-*`` headers and an exhausted budget answers 429 without ``Retry-After``.
    """

    def __init__(
        self, *, token: str = "test-token", page_size: int = 20, port: int = 0, role: str = "owner"
    ) -> None:
        self.token = token
        self.page_size = page_size
        self.scopes: set[str] | None = None  # scopes of `token`; None = all of them
        self.tokens: dict[str, frozenset[str]] = {}  # further tokens -> granted scopes
        self.scope_error_names_scope = True
        self.limits: RateLimit | None = None
        self.subscriptions: list[JSON] = []
        self.signing_keys: dict[str, str] = {}
        self.events: dict[str, JSON] = {}
        self.invitees: dict[str, dict[str, JSON]] = {}
        self.event_types: list[JSON] = []
        self.event_type_hosts: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path with query), in order
        self.request_log: list[Request] = []
        self.lock = threading.RLock()
        self._faults: list[Fault] = []
        self._serving: Serving | None = None
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
        self._init_admin(role)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> Self:
        if self._serving is None:
            self._serving = Serving(self._server, name="fake-calendly-http")
        return self

    def stop(self) -> None:
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
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

    # -- request handling (called from server threads) --------------------------------------
    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, JSON | str | None, dict[str, str]]:
        """Answer one request: (status, JSON body / raw text / no body, extra headers)."""
        path, _, query = target.partition("?")
        with self.lock:
            self.requests.append((method, target))
            self.request_log.append(
                Request(method, path, {k: v[0] for k, v in parse_qs(query).items()})
            )
        extra: dict[str, str] = {}
        if self.limits is not None:
            bearer = headers.get("authorization", "").removeprefix("Bearer ")
            allowed, extra = self.limits.take(bearer)
            if not allowed:
                message = f"Rate limit exceeded; retry in {extra['X-RateLimit-Reset']} seconds."
                return 429, {"title": "Too Many Requests", "message": message}, extra
        with self.lock:
            fault = next((f for f in self._faults if f.matches(method, target)), None)
            if fault is not None:
                fault.remaining -= 1
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                if fault.retry_after is not None:
                    extra = extra | {"Retry-After": str(fault.retry_after)}
                if fault.body is not None:
                    return fault.status, fault.body, extra
                title = "Too Many Requests" if fault.status == 429 else "Internal Server Error"
                return fault.status, {"title": title, "message": "Injected fault."}, extra
        try:
            status, payload = self._dispatch(method, path, query, headers, raw)
        except ApiError as err:
            return err.status, err.body, extra
        return status, payload, extra

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, JSON | None]:
        bearer = headers.get("authorization", "")
        if bearer == f"Bearer {self.token}":
            scopes = self.scopes
        elif bearer.removeprefix("Bearer ") in self.tokens and bearer.startswith("Bearer "):
            scopes = set(self.tokens[bearer.removeprefix("Bearer ")])
        else:
            raise ApiError(401, "Unauthenticated", "The access token is invalid")
        body = self._json_body(raw) if method in ("POST", "PATCH") else None
        if scopes is not None:
            self._check_scopes(scopes, method, path, body)
        parts = [p for p in path.split("/") if p]
        q = parse_qs(query)
        with self.lock:  # copy, so answers never share state with later test edits
            answer = (
                self._route_admin(method, parts, path, q, body)
                or self._route_groups(method, parts, path, q)
                or self._route_event_types(method, parts, path, q, body)
                or self._route_webhooks(method, parts, path, q, body)
                or self._route_events(method, parts, path, q)
            )
            if answer is None:
                raise not_found()
            return clone(answer)

    def _json_body(self, raw: bytes) -> JSON:
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            raise ApiError(400, "Invalid Argument", "The request body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid Argument", "The request body must be a JSON object.")
        return body

    def _check_scopes(self, scopes: set[str], method: str, path: str, body: JSON | None) -> None:
        granted = granted_with_implied(scopes)
        missing = [s for s in required_scopes(method, path, body) if s not in granted]
        if missing:
            if self.scope_error_names_scope:
                raise missing_scope(missing[0])
            raise ApiError(403, "Permission Denied", "You do not have permission")


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


if __name__ == "__main__":  # the command line lives in calendly_cli.py
    from fakes.calendly_cli import main

    main()
