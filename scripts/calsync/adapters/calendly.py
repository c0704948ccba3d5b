"""Thin Calendly API v2 client: one method per API verb, no business rules.

Failures become one :mod:`calsync.core.errors` line (HTTP status, Calendly's title/message; never the
token or a body). A URI argument, often from a webhook payload, is used only on the configured API
origin and only for its UUIDs: the path is rebuilt, so a payload cannot choose what we fetch.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Self
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import ChunkedEncodingError, RetryError
from urllib3.util.retry import Retry

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
MAX_RETRY_AFTER = 60  # seconds; a longer Retry-After is capped so a CI job cannot hang for hours
_ID = r"[A-Za-z0-9_-]{1,100}"
_SCOPE = re.compile(r"\b[a-z_]+:(?:read|write)\b")
_TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, RetryError, ChunkedEncodingError)
_NEEDED_SCOPES = (  # (substring of "METHOD /path", hint), first match wins
    ("GET /webhook_subscriptions", "token scope webhooks:read"),
    ("/webhook_subscriptions", "token scope webhooks:write (plus scheduled_events:read)"),
    ("/scheduled_events", "token scope scheduled_events:read"),
    ("", "token scope users:read"),
)


class NotFound(InputError):
    """Calendly answered 404: the resource does not exist or this token cannot see it."""


class AlreadyExists(CalSyncError):
    """Calendly answered 409, e.g. a webhook subscription for this URL already exists."""


def _origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in; ValueError on a malformed URL."""
    parts = urlsplit(url)
    scheme, default_port = parts.scheme.lower(), {"https": 443, "http": 80}
    return scheme, (parts.hostname or "").lower(), parts.port or default_port.get(scheme, 0)


def _one_line(value: object, limit: int = 200) -> str:
    return " ".join(value.split())[:limit] if isinstance(value, str) else ""


class CalendlyClient:
    """Calendly API v2 over one ``requests`` session, retrying 5xx and 429 (after Retry-After)."""

    def __init__(
        self,
        *,
        token: str,
        base_url: str = "https://api.calendly.com",
        timeout: float = 10.0,
        retries: int = 4,
        backoff_factor: float = 0.5,
        session: requests.Session | None = None,
    ) -> None:
        self._origin = _origin(base_url)
        if self._origin[0] not in ("http", "https") or not self._origin[1]:
            raise ConfigError(f"Calendly API base URL {base_url!r} is not an http(s) URL")
        self._base, self._timeout, self._tries = base_url.rstrip("/"), timeout, retries + 1
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        retry = Retry(
            total=retries,
            status_forcelist=(429, 500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "DELETE", "POST"}),
            respect_retry_after_header=True,
            backoff_factor=backoff_factor,
            raise_on_status=False,
            retry_after_max=MAX_RETRY_AFTER,
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

    def me(self) -> JSON:
        return self._resource("GET", "/users/me")

    def list_webhooks(
        self, *, organization: str, scope: str, user: str | None = None
    ) -> list[JSON]:
        params = {"organization": organization, "scope": scope, "user": user}
        return list(self._pages("/webhook_subscriptions", params))

    def create_webhook(
        self,
        *,
        url: str,
        events: list[str],
        organization: str,
        scope: str,
        user: str | None = None,
        signing_key: str | None = None,
    ) -> JSON:
        body: JSON = {"url": url, "events": events, "organization": organization, "scope": scope}
        body |= {k: v for k, v in (("user", user), ("signing_key", signing_key)) if v is not None}
        return self._resource("POST", "/webhook_subscriptions", json=body)

    def delete_webhook(self, uuid_or_uri: str) -> None:
        (sub,) = self._ids(uuid_or_uri, "webhook_subscriptions/*", "webhook subscription")
        self._call("DELETE", f"/webhook_subscriptions/{sub}")

    def get_scheduled_event(self, uri_or_uuid: str) -> JSON:
        (event,) = self._ids(uri_or_uuid, "scheduled_events/*", "scheduled event")
        return self._resource("GET", f"/scheduled_events/{event}")

    def get_invitee(self, uri: str) -> JSON:
        event, invitee = self._ids(uri, "scheduled_events/*/invitees/*", "invitee", bare=False)
        return self._resource("GET", f"/scheduled_events/{event}/invitees/{invitee}")

    def list_scheduled_events(
        self,
        *,
        organization: str,
        min_start_time: str,
        max_start_time: str | None = None,
        status: str | None = None,
    ) -> Iterator[JSON]:
        window = {"min_start_time": min_start_time, "max_start_time": max_start_time}
        params = {"organization": organization, "status": status, "sort": "start_time:asc"}
        return self._pages("/scheduled_events", params | window)

    def list_invitees(self, event_uri_or_uuid: str, *, status: str | None = None) -> list[JSON]:
        (event,) = self._ids(event_uri_or_uuid, "scheduled_events/*", "scheduled event")
        return list(self._pages(f"/scheduled_events/{event}/invitees", {"status": status}))

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
            if named := sorted({scope for text in texts for scope in _SCOPE.findall(text)}):
                return PermissionDenied(f"{line}; the token lacks scope {', '.join(named)}")
            needed = next(scope for key, scope in _NEEDED_SCOPES if key in where)
            return PermissionDenied(f"{line}; this call needs {needed} and a role/plan allowing it")
        if status == 404:
            return NotFound(line)
        if status == 409:
            return AlreadyExists(line)
        if 300 <= status < 400:
            return VerificationError(f"{line}; redirects are not followed")
        names = [str(d.get("parameter")) for d in details]
        params = [p for p in names if re.fullmatch(r"[\w.\[\]-]{1,40}", p)][:5]
        return InputError(line + (f"; parameters: {', '.join(params)}" if params else ""))
