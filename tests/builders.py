"""Build realistic Calendly webhook bodies (API v2 shape) for tests."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from calsync.core.booking import Booking, Host, Kind, Location, ScheduledEvent

API = "https://api.calendly.com"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
# The calendars of the tests' own team map (tests/data/team_map.yaml).
USGOV = "c_usgov@group.calendar.google.com"
GLOBAL = "c_global@group.calendar.google.com"
DROP = object()  # as a value in body(): delete the key
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

# Personal data that must never leave the calendar: tests search every output for these.
SENTINEL_EMAIL = "sentinel.invitee.7f3a@customer.example"
SENTINEL_NAME = "Zelda Sentinelperson"
SENTINEL_ANSWER = "my secret answer 8d1e"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def webhook(
    kind: str = "invitee.created",
    *,
    event: str = "EV000000000001",
    invitee: str = "INV00000000001",
    name: str = "Global Support Call",
    at: datetime = T0,
    start: datetime = T0 + timedelta(days=3),
    minutes: int = 30,
    hosts: tuple[str, ...] = ("support.engineer@example.com",),
    event_type: str = "ETGLOBAL000001",
    status: str | None = None,
    active: int | None = None,
    limit: int = 1,
    rescheduled: bool = False,
    old_invitee: str | None = None,
    new_invitee: str | None = None,
    no_show: bool = False,
    api: str = API,
    location: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A webhook body as Calendly sends it; ids are short names expanded into API URIs."""
    canceled = kind == "invitee.canceled"
    event_uri = f"{api}/scheduled_events/{event}"
    meeting_status = status or ("canceled" if canceled and limit == 1 else "active")
    if active is None:
        active = 0 if canceled and limit == 1 else 1
    payload: dict[str, Any] = {
        "uri": f"{event_uri}/invitees/{invitee}",
        "event": event_uri,
        "email": SENTINEL_EMAIL,
        "name": SENTINEL_NAME,
        "first_name": SENTINEL_NAME.split(maxsplit=1)[0],
        "last_name": SENTINEL_NAME.split()[1],
        "status": "canceled" if canceled else "active",
        "timezone": "America/New_York",
        "created_at": iso(at - timedelta(seconds=1)),
        "updated_at": iso(at - timedelta(seconds=1)),
        "questions_and_answers": [
            {
                "question": "What would you like to discuss?",
                "answer": SENTINEL_ANSWER,
                "position": 0,
            }
        ],
        "tracking": {"utm_source": None},
        "rescheduled": rescheduled,
        "old_invitee": f"{api}/scheduled_events/{old_invitee}" if old_invitee else None,
        "new_invitee": f"{api}/scheduled_events/{new_invitee}" if new_invitee else None,
        "cancel_url": f"https://calendly.com/cancellations/{invitee}",
        "reschedule_url": f"https://calendly.com/reschedulings/{invitee}",
        "no_show": {"uri": f"{api}/invitee_no_shows/NS{invitee}", "created_at": iso(at)}
        if no_show
        else None,
        "payment": None,
        "scheduling_method": None,
        "scheduled_event": {
            "uri": event_uri,
            "name": name,
            "status": meeting_status,
            "start_time": iso(start),
            "end_time": iso(start + timedelta(minutes=minutes)),
            "event_type": f"{api}/event_types/{event_type}",
            "location": location
            if location is not None
            else {"type": "zoom", "join_url": "https://example.zoom.us/j/99", "status": "pushed"},
            "invitees_counter": {"total": max(active, 1), "active": active, "limit": limit},
            "created_at": iso(T0 - timedelta(days=1)),
            "updated_at": iso(at),
            "event_memberships": [
                {"user": f"{api}/users/U{i}", "user_email": h, "user_name": h.split("@")[0]}
                for i, h in enumerate(hosts)
            ],
            "event_guests": [],
        },
    }
    if canceled:
        payload["cancellation"] = {
            "canceled_by": SENTINEL_NAME,
            "reason": "sentinel reason",
            "canceler_type": "invitee",
            "created_at": iso(at),
        }
    return {
        "event": kind,
        "created_at": iso(at),
        "created_by": f"{api}/users/UORG",
        "payload": payload,
    }


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def trigger_wrap(body: dict[str, Any], *, as_string: bool = False) -> dict[str, Any]:
    """What GitLab writes to TRIGGER_PAYLOAD for a JSON trigger request."""
    wrapped = copy.deepcopy(body)
    if as_string:
        wrapped = {"payload": json.dumps(body)}
    return {**wrapped, "id": "123", "ref": "main", "variables": {}}


def canceled() -> dict[str, Any]:
    """The cancel of webhook()'s booking, an hour later."""
    return webhook("invitee.canceled", at=T0 + timedelta(hours=1))


DISPLAY_MAP = f"""\
version: 1
teams:
  global:
    calendar_id: {GLOBAL}
    show_invitee_name: true
    show_answers: true
routes:
  - team: global
    event_name_contains: ["Support"]
"""


def _set(node: Any, path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    key = int(last) if isinstance(node, list) else last
    if value is DROP:
        del node[key]
    else:
        node[key] = value


def body(*changes: tuple[str, Any], kind: str = "invitee.created") -> dict[str, Any]:
    """webhook() with (dotted.path, value) changes applied in order."""
    result = webhook(kind)
    for path, value in changes:
        _set(result, path, value)
    return result


# -- core model values, for unit tests of the pure core (no payload parsing) ----------------

EVENT_URI = f"{API}/scheduled_events/EV000000000001"


def scheduled_event(**changes: Any) -> ScheduledEvent:
    """A one-on-one meeting as the core sees it; `changes` override any field."""
    fields: dict[str, Any] = {
        "uri": EVENT_URI,
        "name": "Global Support Call",
        "status": "active",
        "start": T0 + timedelta(days=3),
        "end": T0 + timedelta(days=3, minutes=30),
        "event_type": f"{API}/event_types/ETGLOBAL000001",
        "location": Location("zoom", "", "https://example.zoom.us/j/99"),
        "hosts": (Host(f"{API}/users/U0", "support.engineer@example.com", "Support Engineer"),),
        "active_invitees": 1,
        "invitee_limit": 1,
    }
    return ScheduledEvent(**{**fields, **changes})


def booking(kind: Kind = Kind.CREATED, *, event: ScheduledEvent | None = None, **changes: Any):
    """A Booking of scheduled_event() (or `event`); `changes` override any field."""
    meeting = scheduled_event() if event is None else event
    fields: dict[str, Any] = {
        "kind": kind,
        "event_name": kind.value,
        "created_at": T0,
        "invitee_uri": f"{meeting.uri}/invitees/INV00000000001",
        "event_uri": meeting.uri,
        "scheduled_event": meeting,
        "rescheduled": False,
        "old_invitee": "",
        "new_invitee": "",
        "no_show": False,
        "invitee_name": SENTINEL_NAME,
        "answers": (("What would you like to discuss?", SENTINEL_ANSWER),),
    }
    return Booking(**{**fields, **changes})
