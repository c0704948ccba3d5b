"""The HTTP core of the Calendly client: one session, the retry policy of calendly_retry, errors
as one line (HTTP status, Calendly's title/message; never the token or a body).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError, RetryError

from calsync.adapters.calendly_retry import TIME_BUDGET, Pacing, RateLimitRetry
from calsync.core.errors import (
    CalSyncError,
    ConfigError,
    InputError,
    PermissionDenied,
    TransientError,
    VerificationError,
)

JSON = dict[str, Any]
PAGE_SIZE = 100  # Calendly's maximum `count`
_ID = r"[A-Za-z0-9_-]{1,100}"
_SCOPE = re.compile(r"\b[a-z_]+:(?:read|write)\b")
_TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, RetryError, ChunkedEncodingError)
_NEEDED_SCOPES = (  # (substring of "METHOD /path", scope hint), first match wins
    ("GET /webhook_subscriptions", "webhooks:read"),
    ("/webhook_subscriptions", "webhooks:write (plus scheduled_events:read)"),
    ("/scheduled_events", "scheduled_events:read"),
    ("GET /organization_memberships", "organizations:read"),
    ("/organization_memberships", "organizations:write"),
    ("GET /organizations/", "organizations:read"),
    ("/organizations/", "organizations:write"),
    ("/group", "groups:read"),
    ("GET /event_type", "event_types:read"),
    ("/event_type", "event_types:write"),
    ("", "users:read"),
)


class NotFound(InputError):
    """Calendly answered 404: the resource does not exist or this token cannot see it."""


class AlreadyExists(CalSyncError):
    """Calendly answered 409, e.g. a webhook subscription for this URL already exists."""


class Forbidden(PermissionDenied):
    """Calendly answered 403; ``scopes`` are the token scopes its error body named, if any."""

    def __init__(self, message: str, scopes: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.scopes = scopes


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in; ValueError on a malformed URL."""
    parts = urlsplit(url)
    scheme, default_port = parts.scheme.lower(), {"https": 443, "http": 80}
    return scheme, (parts.hostname or "").lower(), parts.port or default_port.get(scheme, 0)


def _one_line(value: object, limit: int = 200) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


class CalendlyHTTP:
    """Calendly API v2 over one ``requests`` session with the retry policy above."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://api.calendly.com",
        timeout: float = 10.0,
        retries: int = 4,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        time_budget: float = TIME_BUDGET,
    ) -> None:
        self._origin = _origin(base_url)
        if self._origin[0] not in ("http", "https") or not self._origin[1]:
            raise ConfigError(f"Calendly API base URL {base_url!r} is not an http(s) URL")
        self._base, self._timeout, self._tries = base_url.rstrip("/"), timeout, retries + 1
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.pacing = Pacing(sleep=sleep, clock=clock, budget=time_budget)
        retry = RateLimitRetry(
            total=retries,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "DELETE", "POST", "PATCH"}),
            respect_retry_after_header=True,
            backoff_factor=backoff_factor,
            raise_on_status=False,
            retry_after_max=max(time_budget, 1.0),
            pacing=self.pacing,
        )
        self._session = session if session is not None else requests.Session()
        self._session.mount(self._base + "/", HTTPAdapter(max_retries=retry))
        self.request_count = 0  # HTTP requests actually sent, retries included

    def close(self) -> None:  # closes an injected session too
        self._session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ids(self, value: str, shape: str, what: str, *, bare: bool = True) -> tuple[str, ...]:
        """The UUIDs in a bare UUID or in a URI on the configured API origin, never the URI."""
        if bare and re.fullmatch(_ID, value):
            return (value,)
        try:
            parts, origin = urlsplit(value), _origin(value)
        except ValueError:
            raise InputError(f"Calendly {what} URI is malformed: {value[:200]!r}") from None
        if origin != self._origin or parts.username is not None or parts.password is not None:
            raise VerificationError(
                f"Calendly {what} URI host {parts.netloc[:100]!r} is not the configured Calendly "
                f"API {urlsplit(self._base).netloc!r}; refusing to fetch it"
            )
        match = re.search("(?:^|/)" + shape.replace("*", f"({_ID})") + "/?$", parts.path)
        if match is None:
            raise InputError(f"not a Calendly {what} URI: {value[:200]!r}")
        return match.groups()

    def _pages(self, path: str, params: dict[str, str | None]) -> Iterator[JSON]:
        """Follow ``next_page_token`` (never the ``next_page`` URL) until the last page."""
        query = {k: v for k, v in params.items() if v is not None} | {"count": str(PAGE_SIZE)}
        seen: set[str] = set()
        while True:
            body = self._call("GET", path, params=query)
            collection, pagination = body.get("collection"), body.get("pagination")
            if not isinstance(collection, list) or not isinstance(pagination, dict):
                raise TransientError(f"Calendly API answered GET {path} without a collection")
            yield from (item for item in collection if isinstance(item, dict))
            token = pagination.get("next_page_token")
            if not isinstance(token, str) or not token or token in seen:
                return
            seen.add(token)
            query["page_token"] = token

    def _resource(self, method: str, path: str, **kwargs: Any) -> JSON:
        resource = self._call(method, path, **kwargs).get("resource")
        if not isinstance(resource, dict):
            raise TransientError(f"Calendly API answered {method} {path} without a resource")
        return resource

    def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        where, url = f"{method} {path}", self._base + path
        kwargs |= {"headers": self._headers, "timeout": self._timeout, "allow_redirects": False}
        self.pacing.before_request()
        try:
            response = self._session.request(method, url, **kwargs)
        except _TRANSPORT_ERRORS as exc:
            self.request_count += self._tries  # transport failures end only when retries run out
            reason = getattr(exc.args[0] if exc.args else None, "reason", None)  # MaxRetryError
            name = type(exc).__name__ + ("/" + type(reason).__name__ if reason else "")
            msg = f"Calendly API unreachable after {self._tries} tries: {name}"
            raise TransientError(f"{msg} ({where})") from None
        except requests.RequestException as exc:
            self.request_count += 1
            msg = f"Calendly API request failed: {type(exc).__name__} ({where})"
            raise TransientError(msg) from None
        # urllib3 records each retried attempt in the final response's Retry history
        tries = 1 + len(getattr(getattr(response.raw, "retries", None), "history", ()))
        self.request_count += tries
        self.pacing.after_response(response.headers)
        status = response.status_code
        try:
            body = response.json() if status != 204 else {}
        except ValueError:
            body = None
        if 200 <= status < 300:
            if isinstance(body, dict):
                return body
            raise TransientError(
                f"Calendly API answered {where} with a non-JSON body (HTTP {status})"
            )
        raise self._error(response, body if isinstance(body, dict) else {}, where, tries)

    def _error(self, resp: requests.Response, body: JSON, where: str, tries: int) -> CalSyncError:
        status, title = resp.status_code, _one_line(body.get("title"), 80)
        title = title or _one_line(resp.reason, 80) or "Error"
        if status == 429 and self.pacing.refused:
            waited, asked = round(self.pacing.waited), math.ceil(self.pacing.refused)
            return TransientError(
                f"Calendly API rate limit: HTTP 429 after {tries} tries; waiting {asked} s more "
                f"would exceed the time budget ({waited} of {self.pacing.budget:g} s spent) "
                f"({where}); rerun later"
            )
        if status == 429 or status >= 500:
            msg = f"Calendly API unreachable after {tries} tries: HTTP {status} {title}"
            return TransientError(f"{msg} ({where})")
        message, details = _one_line(body.get("message")), body.get("details")
        details = [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []
        line = f"Calendly API {status} {title}{': ' if message else ''}{message} ({where})"
        if status == 401:
            return PermissionDenied(f"{line}; check CALENDLY_TOKEN")
        if status == 403:
            texts = [message, *(_one_line(d.get("message")) for d in details)]
            if named := tuple(sorted({s for text in texts for s in _SCOPE.findall(text)})):
                return Forbidden(f"{line}; the token lacks scope {', '.join(named)}", named)
            needed = next(scope for key, scope in _NEEDED_SCOPES if key in where)
            return Forbidden(
                f"{line}; this call needs token scope {needed} and a role/plan allowing it"
            )
        if status == 404:
            return NotFound(line)
        if status == 409:
            return AlreadyExists(line)
        if 300 <= status < 400:
            return VerificationError(f"{line}; redirects are not followed")
        names = [str(d.get("parameter")) for d in details]
        params = [p for p in names if re.fullmatch(r"[\w.\[\]-]{1,40}", p)][:5]
        return InputError(line + (f"; parameters: {', '.join(params)}" if params else ""))
