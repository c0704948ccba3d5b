"""decide(booking, team_map) -> Decision: which team calendar, if any. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from enum import Enum

from calsync.core.booking import Booking, Kind, ScheduledEvent
from calsync.core.errors import InputError
from calsync.core.team_map import Display, Route, Team, TeamMap


class Action(Enum):
    SYNC = "sync"  # make the routed calendar match the booking
    LOCATE = "locate"  # cancel/no-show without meeting details: find the event on any team calendar
    SKIP = "skip"  # nothing for a calendar


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    team: str = ""
    calendar_id: str = ""
    event_id: str = ""
    display: Display = field(default_factory=Display)


def event_id_for(event_uri: str, generation: int = 0) -> str:
    """Google event id for a Calendly scheduled event: base32hex of its URI's SHA-256.

    Deterministic, so every delivery for one meeting addresses the same calendar event; the
    alphabet (0-9, a-v) and length (52) are what Google accepts for client-chosen ids.
    Generation n > 0 is the id of the meeting's event after its n-th restore: Google offers no
    way back for a deleted event, so a meeting that becomes active again gets a fresh id.
    """
    key = event_uri if generation == 0 else f"{event_uri}#restored-{generation}"
    digest = hashlib.sha256(key.encode()).digest()
    return base64.b32hexencode(digest).decode().rstrip("=").lower()


def decide(booking: Booking, team_map: TeamMap) -> Decision:
    """Route one booking. Raises InputError when a booking that needs a calendar can't be placed."""
    if booking.kind is Kind.ROUTING_FORM:
        return Decision(
            Action.SKIP, "routing form submissions have no meeting to put on a calendar"
        )
    if booking.kind is Kind.OTHER:
        shown = booking.event_name[:60] or "(none)"
        return Decision(Action.SKIP, f"webhook event {shown!r} is not one this tool handles")
    event_id = event_id_for(booking.event_uri)
    event = booking.scheduled_event
    if event is None:
        if booking.kind is Kind.CREATED:
            raise InputError(
                "payload.scheduled_event: missing (an older Calendly payload); set CALENDLY_TOKEN "
                "so the booking is fetched from the Calendly API"
            )
        return Decision(
            Action.LOCATE,
            "the payload has no meeting details; looking for the event on every team calendar",
            event_id=event_id,
        )
    for number, route in enumerate(team_map.routes, 1):
        team = team_map.teams[route.team]
        if match(route, team, event).matched:
            return Decision(
                Action.SYNC,
                f"route {number} (line {route.line}) matched: {describe(route)}",
                team=team.key,
                calendar_id=team.calendar_id,
                event_id=event_id,
                display=team.display,
            )
    return Decision(Action.SKIP, f"no route matches event {event.name[:80]!r}", event_id=event_id)


@dataclass(frozen=True)
class Match:
    """Whether a route matches a meeting, and one sentence per condition saying why."""

    matched: bool
    reasons: tuple[str, ...]


def match(route: Route, team: Team, event: ScheduledEvent) -> Match:
    """Every condition the route sets must hold; a list condition holds if any item does.

    The one implementation of the matching rules: `decide` uses `matched`, `explain` the
    reasons. Every condition is checked (no short cut) so each gets its sentence.
    """
    results: list[tuple[bool, str]] = []
    name = event.name[:120]
    if route.event_name_contains:
        hit = [s for s in route.event_name_contains if s.casefold() in name.casefold()]
        results.append(
            (True, f"event name {_q(name)} contains {_q(hit[0])}")
            if hit
            else (False, f"event name {_q(name)} contains none of {_q(route.event_name_contains)}")
        )
    if route.event_type:
        shown = _q(event.event_type) if event.event_type else "(none)"
        results.append(
            (True, f"event type {shown} is listed")
            if event.event_type in route.event_type
            else (False, f"event type {shown} is not one of {_q(route.event_type)}")
        )
    emails = sorted({h.email for h in event.hosts if h.email})
    if route.host_is_member:
        members = [e for e in emails if e in team.members]
        results.append(_hosts_in(emails, members, f"a member of {team.key}"))
    if route.hosts:
        listed = [e for e in emails if e in route.hosts]
        results.append(_hosts_in(emails, listed, f"one of {_q(sorted(route.hosts))}"))
    if not results:
        results.append((True, "the route sets no condition: it matches every meeting"))
    return Match(all(ok for ok, _ in results), tuple(why for _, why in results))


def _hosts_in(emails: list[str], found: list[str], what: str) -> tuple[bool, str]:
    if found:
        return True, f"host {found[0]} is {what}"
    if not emails:
        return False, f"the meeting lists no host, so none is {what}"
    if len(emails) == 1:
        return False, f"host {emails[0]} is not {what}"
    return False, f"none of the hosts {', '.join(emails)} is {what}"


def _q(value: object) -> str:
    """A value as JSON text: names in double quotes, lists in brackets."""
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def describe(route: Route) -> str:
    parts = []
    if route.event_name_contains:
        parts.append("event name contains " + " or ".join(map(repr, route.event_name_contains)))
    if route.event_type:
        parts.append(f"event type is one of {len(route.event_type)} listed")
    if route.host_is_member:
        parts.append(f"a host is a member of {route.team!r}")
    if route.hosts:
        parts.append(f"a host is one of {len(route.hosts)} listed")
    return f"team {route.team!r} (" + "; ".join(parts) + ")"
