"""Event types and their hosts in the fake Calendly API.

Calendly's API creates and updates one-on-one event types only (``kind: solo``); round robin,
collective and group event types come from the admin center, so tests seed them with
``add_event_type``. ``GET /event_type_memberships?event_type=`` lists the hosts.
"""

from __future__ import annotations

import re
from typing import Any

from fakes.calendly_state import (
    JSON,
    FakeCore,
    Query,
    first,
    invalid,
    new_uuid,
    not_found,
    now_iso,
)
from fakes.jsoncopy import clone

KINDS = ("solo", "group")
POOLING = (None, "round_robin", "collective")
_PATCHABLE = ("name", "active", "description", "duration", "color", "locale", "duration_options")


class EventTypesMixin(FakeCore):
    users: dict[str, JSON]
    event_types: list[JSON]
    event_type_hosts: dict[str, list[str]]  # event type uri -> host user uris

    def add_event_type(
        self,
        name: str,
        *,
        hosts: list[str] | None = None,
        kind: str = "solo",
        pooling_type: str | None = None,
        team: str | None = None,
        **fields: Any,
    ) -> JSON:
        """Seed an event type. ``hosts`` are user URIs (default: the token user); ``team`` names
        the team that owns a team event type (round robin / collective need one)."""
        if kind not in KINDS or pooling_type not in POOLING:
            raise ValueError(f"kind must be in {KINDS} and pooling_type in {POOLING}")
        hosts = hosts or [self.user["uri"]]
        with self.lock:
            et = self._new_event_type(name, hosts[0], team=team, kind=kind, pooling=pooling_type)
            et.update(fields)
            self.event_type_hosts[et["uri"]] = list(hosts)
            return clone(et)

    def _new_event_type(
        self, name: str, owner: str, *, team: str | None, kind: str, pooling: str | None
    ) -> JSON:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        user = self.users.get(owner, self.user)
        stamp = now_iso()
        if team is None:
            profile = {"type": "User", "name": user["name"], "owner": owner}
        else:
            team_uuid = re.sub(r"[^a-z0-9]+", "", team.lower()).upper()[:16] or "TEAM"
            profile = {"type": "Team", "name": team, "owner": f"{self.base_url}/teams/{team_uuid}"}
        et: JSON = {
            "uri": f"{self.base_url}/event_types/{new_uuid()}",
            "name": name,
            "active": True,
            "booking_method": "instant",
            "slug": slug,
            "scheduling_url": f"{user['scheduling_url']}/{slug}",
            "duration": 30,
            "duration_options": None,
            "kind": kind,
            "pooling_type": pooling,
            "type": "StandardEventType",
            "color": "#0069ff",
            "created_at": stamp,
            "updated_at": stamp,
            "internal_note": None,
            "description_plain": None,
            "description_html": None,
            "profile": profile,
            "secret": False,
            "deleted_at": None,
            "admin_managed": False,
            "locations": None,
            "custom_questions": [],
            "locale": "en",
        }
        self.event_types.append(et)
        return et

    def _route_event_types(
        self, method: str, parts: list[str], path: str, q: Query, body: JSON | None
    ) -> tuple[int, JSON | None] | None:
        head, rest = (parts[0] if parts else ""), parts[1:]
        if head == "event_type_memberships" and not rest and method == "GET":
            return 200, self._list_hosts(path, q)
        if head != "event_types":
            return None
        if not rest and method == "GET":
            return 200, self._list_event_types(path, q)
        if not rest and method == "POST":
            return 201, {"resource": self._create_event_type(body or {})}
        if len(rest) == 1 and method in ("GET", "PATCH"):
            et = next((e for e in self.event_types if e["uri"].endswith("/" + rest[0])), None)
            if et is None:
                raise not_found()
            if method == "PATCH":
                self._update_event_type(et, body or {})
            return 200, {"resource": et}
        return None

    def _list_event_types(self, path: str, q: Query) -> JSON:
        org, user, active = first(q, "organization"), first(q, "user"), first(q, "active")
        if not org and not user:
            raise invalid("organization", "organization or user is required")
        if org:
            self._own_organization(org)
        if active not in (None, "true", "false"):
            raise invalid("active", "must be true or false")
        items = [
            e
            for e in self.event_types
            if (active is None or e["active"] == (active == "true"))
            and (not user or user in self.event_type_hosts.get(e["uri"], []))
        ]
        descending = (first(q, "sort") or "name:asc").endswith(":desc")
        field = (first(q, "sort") or "name:asc").split(":")[0]
        if field not in ("name", "created_at", "updated_at", "position"):
            raise invalid("sort", "is invalid")
        items.sort(key=lambda e: str(e.get(field, e["name"])), reverse=descending)
        return self._page(path, q, items)

    def _create_event_type(self, body: JSON) -> JSON:
        owner, name = body.get("owner"), body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise invalid("name", "is missing")
        if not isinstance(owner, str) or owner not in self.users:
            raise invalid("owner", "must be the URI of a user in the organization")
        et = self._new_event_type(name, owner, team=None, kind="solo", pooling=None)
        et["active"] = False  # Calendly's default for a created event type
        self.event_type_hosts[et["uri"]] = [owner]
        self._update_event_type(et, body)
        return et

    def _update_event_type(self, et: JSON, body: JSON) -> None:
        if et["kind"] != "solo" or et["pooling_type"] is not None:
            raise invalid("uuid", "only one-on-one event types can be updated")
        duration = body.get("duration", et["duration"])
        if not isinstance(duration, int) or not 1 <= duration <= 720:
            raise invalid("duration", "must be an integer between 1 and 720")
        for key in _PATCHABLE:
            if key in body:
                et["description_plain" if key == "description" else key] = body[key]
        if "locations" in body:
            et["locations"] = body["locations"]
        et["updated_at"] = now_iso()

    def _list_hosts(self, path: str, q: Query) -> JSON:
        uri = first(q, "event_type")
        if not uri:
            raise invalid("event_type", "is missing")
        et = next((e for e in self.event_types if e["uri"] == uri), None)
        if et is None:
            raise not_found()
        items = [
            {
                # The reference names only a "set of hosts"; this item shape is our best reading.
                "event_type": uri,
                "member": {k: v for k, v in self.users[h].items() if k != "current_organization"},
                "created_at": et["created_at"],
                "updated_at": et["updated_at"],
            }
            for h in self.event_type_hosts.get(uri, [])
            if h in self.users
        ]
        return self._page(path, q, items)
