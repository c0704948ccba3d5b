"""Thin Calendly API v2 client: one method per API verb, no business rules.

Failures become one :mod:`calsync.core.errors` line (HTTP status, Calendly's title/message; never the
token or a body). A URI argument, often from a webhook payload, is used only on the configured API
origin and only for its UUIDs: the path is rebuilt, so a payload cannot choose what we fetch.
The HTTP core and the retry/rate-limit policy are in calendly_http; the organization
administration verbs (memberships, invitations, groups, event types) in calendly_admin.
"""

from __future__ import annotations

from collections.abc import Iterator

from calsync.adapters.calendly_admin import AdminVerbs
from calsync.adapters.calendly_http import (
    JSON,
    PAGE_SIZE,
    AlreadyExists,
    Forbidden,
    NotFound,
)
from calsync.adapters.calendly_retry import Pacing

__all__ = [
    "JSON",
    "PAGE_SIZE",
    "AlreadyExists",
    "CalendlyClient",
    "Forbidden",
    "NotFound",
    "Pacing",
]


class CalendlyClient(AdminVerbs):
    """Calendly API v2 over one ``requests`` session (see calendly_http for retries and pacing)."""

    def me(self) -> JSON:
        return self._resource("GET", "/users/me")

    def list_webhooks(
        self, *, organization: str, scope: str, user: str | None = None, group: str | None = None
    ) -> list[JSON]:
        params = {"organization": organization, "scope": scope, "user": user, "group": group}
        return list(self._pages("/webhook_subscriptions", params))

    def create_webhook(
        self,
        *,
        url: str,
        events: list[str],
        organization: str,
        scope: str,
        user: str | None = None,
        group: str | None = None,
        signing_key: str | None = None,
    ) -> JSON:
        body: JSON = {"url": url, "events": events, "organization": organization, "scope": scope}
        extra = (("user", user), ("group", group), ("signing_key", signing_key))
        body |= {k: v for k, v in extra if v is not None}
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
