"""Scheduled events and their invitees in the fake Calendly API (read only, plus seeding)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fakes.calendly_state import (
    JSON,
    FakeCore,
    Query,
    first,
    invalid,
    new_uuid,
    not_found,
    parse_time,
)
from fakes.jsoncopy import clone


class EventsMixin(FakeCore):
    events: dict[str, JSON]  # event uuid -> scheduled_event resource
    invitees: dict[str, dict[str, JSON]]  # event uuid -> invitee uuid -> invitee

    def add_scheduled_event(self, event: JSON) -> None:
        """Store a full scheduled_event resource; its uri must be ``base_url/scheduled_events/<uuid>``."""
        match = re.fullmatch(re.escape(self.base_url) + r"/scheduled_events/([^/]+)", event["uri"])
        if not match:
            raise ValueError(f"event uri must be under {self.base_url}/scheduled_events/")
        with self.lock:
            self.events[match.group(1)] = clone(event)

    def add_invitee(self, invitee: JSON) -> None:
        """Store a full invitee resource; its uri must sit under its scheduled event."""
        pattern = re.escape(self.base_url) + r"/scheduled_events/([^/]+)/invitees/([^/]+)"
        match = re.fullmatch(pattern, invitee["uri"])
        if not match:
            raise ValueError("invitee uri must be <base>/scheduled_events/<ev>/invitees/<inv>")
        with self.lock:
            self.invitees.setdefault(match.group(1), {})[match.group(2)] = clone(invitee)

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

    def _route_events(
        self, method: str, parts: list[str], path: str, q: Query
    ) -> tuple[int, JSON | None] | None:
        if method != "GET" or parts[:1] != ["scheduled_events"]:
            return None
        if len(parts) == 1:
            return 200, self._list_events(path, q)
        event = self.events.get(parts[1])
        if event is None or len(parts) > 4 or (len(parts) >= 3 and parts[2] != "invitees"):
            raise not_found()
        if len(parts) == 2:
            return 200, {"resource": event}
        invitees = self.invitees.get(parts[1], {})
        if len(parts) == 4:
            if parts[3] not in invitees:
                raise not_found()
            return 200, {"resource": invitees[parts[3]]}
        return 200, self._list_invitees(path, q, list(invitees.values()))

    def _list_events(self, path: str, q: Query) -> JSON:
        org, user = first(q, "organization"), first(q, "user")
        if not org and not user:
            raise invalid("organization", "organization or user is required")
        if org:
            self._own_organization(org)
        bounds: dict[str, datetime] = {}
        for key in ("min_start_time", "max_start_time"):
            if key in q:
                try:
                    bounds[key] = parse_time(q[key][0])
                except ValueError:
                    raise invalid(key, "must be an ISO 8601 time") from None
        status = first(q, "status")
        if status not in (None, "active", "canceled"):
            raise invalid("status", "must be active or canceled")
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

    def _list_invitees(self, path: str, q: Query, items: list[JSON]) -> JSON:
        status, email = first(q, "status"), first(q, "email")
        if status not in (None, "active", "canceled"):
            raise invalid("status", "must be active or canceled")
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
