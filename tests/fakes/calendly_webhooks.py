"""Webhook subscriptions of the fake Calendly API (user, organization and group scope)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fakes.calendly_state import (
    JSON,
    ApiError,
    FakeCore,
    Query,
    first,
    forbidden,
    invalid,
    new_uuid,
    not_found,
    now_iso,
)

EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
    "routing_form_submission.created",
)
SCOPES = ("organization", "user", "group")


class WebhooksMixin(FakeCore):
    subscriptions: list[JSON]
    signing_keys: dict[str, str]  # subscription uri -> signing key sent on create

    def disable_subscription(self, uri_or_uuid: str) -> None:
        """Mark a subscription "disabled", as Calendly does after 24 hours of failed deliveries."""
        with self.lock:
            sub = self._subscription(uri_or_uuid)
            sub["state"] = "disabled"
            sub["updated_at"] = now_iso()

    def set_retrying(self, uri_or_uuid: str, since: str | None = None) -> None:
        """Set ``retry_started_at`` (failing deliveries being retried); ``None`` = now."""
        with self.lock:
            sub = self._subscription(uri_or_uuid)
            sub["retry_started_at"] = since or now_iso()
            sub["updated_at"] = now_iso()

    def _subscription(self, uri_or_uuid: str) -> JSON:
        for sub in self.subscriptions:
            if sub["uri"] == uri_or_uuid or sub["uri"].endswith("/" + uri_or_uuid):
                return sub
        raise KeyError(uri_or_uuid)

    def _route_webhooks(
        self, method: str, parts: list[str], path: str, q: Query, body: JSON | None
    ) -> tuple[int, JSON | None] | None:
        if parts[:1] != ["webhook_subscriptions"]:
            return None
        if len(parts) == 1 and method == "POST":
            return 201, {"resource": self._create_subscription(body or {})}
        if len(parts) == 1 and method == "GET":
            return 200, self._list_subscriptions(path, q)
        if len(parts) == 2 and method in ("GET", "DELETE"):
            sub = next((s for s in self.subscriptions if s["uri"].endswith("/" + parts[1])), None)
            if sub is None:
                raise not_found()
            if method == "DELETE":
                self.subscriptions.remove(sub)
                return 204, None
            return 200, {"resource": sub}
        raise not_found()

    def _create_subscription(self, body: JSON) -> JSON:
        url, events, org, scope, user, group = (
            body.get(k) for k in ("url", "events", "organization", "scope", "user", "group")
        )
        if (
            not isinstance(url, str)
            or urlsplit(url).scheme not in ("http", "https")
            or not urlsplit(url).netloc
        ):
            raise invalid("url", "must be a valid URL")
        if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
            raise invalid("events", f"must be a non-empty list of: {', '.join(EVENTS)}")
        if not isinstance(org, str) or not org:
            raise invalid("organization", "is missing")
        if scope not in SCOPES:
            raise invalid("scope", f"must be one of: {', '.join(SCOPES)}")
        if scope == "user" and not isinstance(user, str):
            raise invalid("user", "is required when scope is user")
        if scope == "group" and not isinstance(group, str):
            raise invalid("group", "is required when scope is group")
        if scope != "organization" and "routing_form_submission.created" in events:
            raise invalid("events", "routing_form_submission.created needs organization scope")
        if org != self.organization_uri:
            raise forbidden()
        owner = (org, scope, user if scope == "user" else None, group if scope == "group" else None)
        for other in self.subscriptions:
            if other["callback_url"] == url and (
                (other["organization"], other["scope"], other["user"], other["group"]) == owner
            ):
                raise ApiError(409, "Already Exists", "Hook with this url already exists")
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
            "group": group if scope == "group" else None,
            "creator": self.user["uri"],
        }
        self.subscriptions.append(sub)
        if isinstance(body.get("signing_key"), str):
            self.signing_keys[sub["uri"]] = body["signing_key"]
        return sub

    def _list_subscriptions(self, path: str, q: Query) -> JSON:
        org, scope = first(q, "organization"), first(q, "scope")
        user, group = first(q, "user"), first(q, "group")
        if not org:
            raise invalid("organization", "is missing")
        if scope not in SCOPES:
            raise invalid("scope", f"must be one of: {', '.join(SCOPES)}")
        if scope == "user" and not user:
            raise invalid("user", "is required when scope is user")
        if scope == "group" and not group:
            raise invalid("group", "is required when scope is group")
        items = [
            s
            for s in self.subscriptions
            if s["organization"] == org
            and s["scope"] == scope
            and (user is None or s["user"] == user)
            and (group is None or s["group"] == group)
        ]
        return self._page(path, q, items)
