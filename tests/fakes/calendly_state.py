"""Shared pieces of the fake Calendly API: errors, pagination, token scopes, rate limits.

Shapes follow Calendly's API v2 reference (developer.calendly.com): errors are
``{"title", "message", "details"?}``; lists are ``{"collection", "pagination"}`` with an opaque
``page_token`` cursor and ``count`` between 1 and 100 (default 20).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid as uuidlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

JSON = dict[str, Any]
Query = dict[str, list[str]]

MAX_COUNT = 100  # Calendly's documented maximum for `count`
DEFAULT_COUNT = 20  # Calendly's documented default for `count`

# The scope catalog (developer.calendly.com, "Authorization Scopes"); `:write` includes `:read`.
ALL_SCOPES = frozenset(
    {
        "users:read",
        "organizations:read",
        "organizations:write",
        "groups:read",
        "event_types:read",
        "event_types:write",
        "scheduled_events:read",
        "scheduled_events:write",
        "webhooks:read",
        "webhooks:write",
        "routing_forms:read",
    }
)


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


def first(q: Query, key: str) -> str | None:
    """The first value of a query parameter, or None."""
    values = q.get(key)
    return values[0] if values else None


class ApiError(Exception):
    """An error answer in Calendly's shape."""

    def __init__(self, status: int, title: str, message: str, details: list[JSON] | None = None):
        super().__init__(message)
        self.status = status
        self.body: JSON = {"title": title, "message": message}
        if details is not None:
            self.body["details"] = details


def invalid(parameter: str, message: str) -> ApiError:
    return ApiError(
        400,
        "Invalid Argument",
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def forbidden(message: str = "You do not have permission to access this resource.") -> ApiError:
    return ApiError(403, "Permission Denied", message)


def missing_scope(scope: str) -> ApiError:
    """403 for a token without ``scope``.

    Calendly documents the 403 "Permission Denied" shape but not the exact wording it uses for a
    missing scope; this message is ours, and names the scope as the real one is said to.
    """
    return ApiError(
        403,
        "Permission Denied",
        f"The access token is missing the required scope: {scope}",
        [{"parameter": "scope", "message": f"This request requires the {scope} scope"}],
    )


def required_scopes(method: str, path: str, body: JSON | None = None) -> tuple[str, ...]:
    """The token scopes Calendly's scope catalog lists for an endpoint.

    A webhook subscription also needs the read scope of each event family it subscribes to.
    """
    write = method != "GET"
    parts = [p for p in path.split("/") if p]
    head = parts[0] if parts else ""
    if head == "users":
        return ("users:read",)
    if head == "organization_memberships" or (head == "organizations" and len(parts) > 2):
        return ("organizations:write",) if write else ("organizations:read",)
    if head == "organizations":
        return ("organizations:read",)
    if head in ("groups", "group_relationships"):
        return ("groups:read",)
    if head in ("event_types", "event_type_memberships", "one_off_event_types"):
        return ("event_types:write",) if write else ("event_types:read",)
    if head == "webhook_subscriptions":
        if not write:
            return ("webhooks:read",)
        needed = ["webhooks:write"]
        events = body.get("events") if body else None
        if isinstance(events, list):
            if any(isinstance(e, str) and e.startswith("invitee") for e in events):
                needed.append("scheduled_events:read")
            if "routing_form_submission.created" in events:
                needed.append("routing_forms:read")
        return tuple(needed)
    if head == "scheduled_events":
        return ("scheduled_events:write",) if write else ("scheduled_events:read",)
    return ()


def granted_with_implied(scopes: set[str] | frozenset[str]) -> set[str]:
    """``scopes`` plus the ``:read`` scope that each ``:write`` scope includes."""
    return set(scopes) | {
        s.removesuffix(":write") + ":read" for s in scopes if s.endswith(":write")
    }


def paginate(base_url: str, path: str, q: Query, items: list[JSON], page_size: int) -> JSON:
    """One page of ``items`` with Calendly's cursor pagination (``page_token``)."""
    try:
        count = int(first(q, "count") or DEFAULT_COUNT)
    except ValueError:
        raise invalid("count", "must be an integer") from None
    if not 1 <= count <= MAX_COUNT:
        raise invalid("count", f"must be between 1 and {MAX_COUNT}")
    size = min(count, page_size)
    offset = 0
    if "page_token" in q:
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(q["page_token"][0]))["o"])
        except (ValueError, KeyError, TypeError):
            raise invalid("page_token", "is invalid") from None
    page = items[offset : offset + size]

    def link(at: int | None) -> tuple[str | None, str | None]:
        if at is None:
            return None, None
        token = base64.urlsafe_b64encode(json.dumps({"o": at}).encode()).decode()
        params = {k: v[0] for k, v in q.items() if k != "page_token"} | {"page_token": token}
        return f"{base_url}{path}?{urlencode(params)}", token

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


class FakeCore:
    """What every resource mixin of the fake shares (set up by FakeCalendly.__init__)."""

    base_url: str
    organization_uri: str
    user: JSON
    page_size: int
    lock: threading.RLock

    def _page(self, path: str, q: Query, items: list[JSON]) -> JSON:
        return paginate(self.base_url, path, q, items, self.page_size)

    def _own_organization(self, org: str | None, parameter: str = "organization") -> None:
        """400 when ``org`` is missing, 403 when it is another organization."""
        if not org:
            raise invalid(parameter, "is missing")
        if org != self.organization_uri:
            raise forbidden()
