"""From (what the calendar holds, one delivery) to the one write that makes them agree. Pure.

The calendar event itself records the meeting's state in `extendedProperties.private`, so
deliveries can arrive duplicated, late or in any order and still converge:
- `cg_at` is Calendly's `created_at` of the newest delivery applied: an older delivery never
  overwrites the meeting details or the invitee count of a newer one (last writer wins);
- `cg_meeting` = canceled is terminal: a canceled meeting never comes back;
- `ns.<invitee>` = `1@<time>` / `0@<time>` marks no-shows, last writer wins per invitee.
The event is visible while the meeting is active and has an active invitee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from calsync.core.booking import Booking, Kind
from calsync.core.decide import Decision
from calsync.core.render import event_fields, with_no_show, with_rescheduled

_FIELDS = ("summary", "description", "location", "start", "end")
_STATE_KEYS = ("cg_at", "cg_meeting", "cg_active")


class Op(Enum):
    INSERT = "insert"
    PATCH = "patch"
    DELETE = "delete"  # patch the recorded state, then delete
    BURN = "burn"  # insert then delete: reserve the id of a meeting canceled before it arrived
    NOOP = "noop"


@dataclass(frozen=True)
class Plan:
    op: Op
    action: str  # what the report says: created | updated | deleted | unchanged
    reason: str
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    at: str = ""  # normalized UTC timestamp of the newest delivery applied ("" = none yet)
    meeting: str = "active"  # active | canceled (terminal)
    active: int | None = None  # active invitees, None = unknown
    no_shows: tuple[tuple[str, bool, str], ...] = ()  # (invitee id, marked, at), sorted

    @property
    def visible(self) -> bool:
        return self.meeting == "active" and (self.active is None or self.active > 0)

    def props(self) -> dict[str, str]:
        out = {
            "cg_at": self.at,
            "cg_meeting": self.meeting,
            "cg_active": "" if self.active is None else str(self.active),
        }
        out.update({f"ns.{inv}": f"{int(flag)}@{at}" for inv, flag, at in self.no_shows})
        return out

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> State | None:
        if not all(isinstance(props.get(k), str) for k in _STATE_KEYS):
            return None
        active = props["cg_active"]
        no_shows = []
        for key, value in props.items():
            if key.startswith("ns.") and isinstance(value, str) and "@" in value:
                flag, _, at = value.partition("@")
                no_shows.append((key[3:], flag == "1", at))
        return cls(
            at=props["cg_at"],
            meeting=props["cg_meeting"],
            active=int(active) if active.isdigit() else None,
            no_shows=tuple(sorted(no_shows)),
        )


def stamp(moment: datetime | None) -> str:
    """A timestamp that sorts as text: fixed-width UTC with microseconds."""
    return "" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merge(old: State, booking: Booking, *, group: bool) -> tuple[State, bool]:
    """Fold one delivery into the recorded state; also say whether its snapshot is the newest.

    `group`: the meeting takes many invitees (from the payload, else as recorded), so one
    invitee's cancel does not cancel it.
    """
    at = stamp(booking.created_at)
    event = booking.scheduled_event
    newer = event is not None and at >= old.at
    meeting, active = old.meeting, old.active
    if booking.kind is Kind.CANCELED and not group:
        meeting, active = "canceled", 0  # a one-invitee meeting ends with its invitee
    elif event is not None and newer:
        if event.active_invitees is not None:
            active = event.active_invitees
        elif not group:
            active = 1
    if event is not None and event.status == "canceled":
        meeting = "canceled"
    no_shows = {inv: (flag, t) for inv, flag, t in old.no_shows}
    marks = booking.kind in (Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED) or booking.no_show
    invitee = booking.invitee_uri.rstrip("/").rsplit("/", 1)[-1][:40]
    if marks and invitee and (invitee not in no_shows or at >= no_shows[invitee][1]):
        no_shows[invitee] = (booking.no_show, at)
    state = State(
        at=max(at, old.at) if event is not None else old.at,
        meeting=meeting,
        active=active,
        no_shows=tuple(sorted((inv, f, t) for inv, (f, t) in no_shows.items())),
    )
    return state, newer


def identity(booking: Booking, old_props: dict[str, Any], *, group: bool) -> dict[str, str]:
    """Searchable Calendly references kept on the event (URIs only, no personal data)."""
    props = {"calendly_event": booking.event_uri}
    event = booking.scheduled_event
    if event is not None and event.event_type:
        props["calendly_event_type"] = event.event_type
    props["cg_group"] = "1" if group else "0"
    # a group meeting gathers invitees from many bookings: "rescheduled from" is per invitee
    moved_from = "" if group else rescheduled_from(booking)
    moved_from = moved_from or str(old_props.get("calendly_rescheduled_from", ""))
    if moved_from:
        props["calendly_rescheduled_from"] = moved_from
    return props


def rescheduled_from(booking: Booking) -> str:
    """The old meeting a rescheduled booking replaces (from `old_invitee`), or ""."""
    if booking.kind is not Kind.CREATED or not booking.old_invitee:
        return ""
    return booking.old_invitee.split("/invitees/", 1)[0]


def plan(
    existing: dict[str, Any] | None, booking: Booking, decision: Decision, *, verified: bool = False
) -> Plan:
    """Decide the single write (or none) that makes the calendar event match the booking."""
    old_props = ((existing or {}).get("extendedProperties") or {}).get("private") or {}
    recorded = State.from_props(old_props) if existing is not None else State()
    deleted = existing is not None and existing.get("status") == "cancelled"
    if recorded is None:
        if deleted and not verified:
            return Plan(
                Op.NOOP,
                "unchanged",
                "the calendar event was deleted and records no "
                "state; a deleted meeting is not brought back (set CALENDLY_TOKEN to "
                "verify with Calendly)",
            )
        recorded = State()  # a live event without our state: take it over
    event = booking.scheduled_event
    group = event.is_group if event is not None else old_props.get("cg_group") == "1"
    state, newer = merge(recorded, booking, group=group)
    if event is not None and (newer or existing is None):
        fields = event_fields(booking, event, decision.display)
    elif existing is not None:
        fields = {k: existing.get(k, "") for k in _FIELDS}
    else:
        return Plan(Op.NOOP, "unchanged", "not on the calendar and the payload has no details")
    props = {**identity(booking, old_props, group=group), **state.props()}
    no_shows = sum(1 for _, flag, _ in state.no_shows if flag)
    moved_from = props.get("calendly_rescheduled_from", "")
    fields["description"] = with_rescheduled(str(fields["description"] or ""), moved_from)
    fields["summary"] = with_no_show(str(fields["summary"]), no_shows, state.active, group)
    body = {**fields, "extendedProperties": {"private": props}}
    return _choose(existing, deleted, state, body, old_props, newer)


def _choose(
    existing: dict[str, Any] | None,
    deleted: bool,
    state: State,
    body: dict[str, Any],
    old_props: dict[str, Any],
    newer: bool,
) -> Plan:
    if existing is None:
        if state.visible:
            return Plan(Op.INSERT, "created", "booked in Calendly", {**body, "status": "confirmed"})
        return Plan(
            Op.BURN,
            "deleted",
            "canceled before its booking arrived; the event id is "
            "reserved so a late booking cannot bring it back",
            body,
        )
    same = _same(existing, body, old_props)
    if deleted:
        if state.visible:
            return Plan(
                Op.PATCH,
                "created",
                "restored: the meeting is active again",
                {**body, "status": "confirmed"},
            )
        if same:
            return Plan(Op.NOOP, "unchanged", "already removed from the calendar")
        return Plan(
            Op.PATCH,
            "unchanged",
            "already removed; recorded the newer state",
            {"extendedProperties": body["extendedProperties"]},
        )
    if not state.visible:
        why = "meeting canceled in Calendly" if state.meeting == "canceled" else "no active invitee"
        return Plan(Op.DELETE, "deleted", why, {"extendedProperties": body["extendedProperties"]})
    if same:
        why = "already up to date" if newer else "an older delivery; the calendar holds newer data"
        return Plan(Op.NOOP, "unchanged", why)
    return Plan(Op.PATCH, "updated", "calendar event differed from the booking", body)


def _same(existing: dict[str, Any], body: dict[str, Any], old_props: dict[str, Any]) -> bool:
    new_props = body["extendedProperties"]["private"]
    if any(old_props.get(k) != v for k, v in new_props.items()):
        return False
    if existing.get("status") == "cancelled":
        return True  # a deleted event's other fields no longer matter
    for key in ("summary", "description", "location"):
        if (existing.get(key) or "") != (body.get(key) or ""):
            return False
    if (existing.get("visibility") or "default") != (body.get("visibility") or "default"):
        return False
    return all(_instant(existing.get(k)) == _instant(body.get(k)) for k in ("start", "end"))


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        return None
    try:
        return datetime.fromisoformat(value["dateTime"]).astimezone(UTC)
    except ValueError:
        return None
