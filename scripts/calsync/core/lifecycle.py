"""From (what the calendar holds, one delivery) to the one write that makes them agree. Pure.

The live calendar event records the meeting's state (calsync.core.state), so deliveries can
arrive duplicated, late or in any order and still converge: an older delivery never overwrites
the details or invitee count of a newer one, a canceled meeting never comes back, no-show
marks are last-writer-wins per invitee. The event is visible while the meeting is active and
has an active invitee.

A deleted event tells nothing but that it was deleted (Google keeps only its id and status),
and Google offers no way back. So a meeting that must be shown again (a verified delivery says
it is active) gets a new event under the next generation's id; without verification a deleted
event stays deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from calsync.core.booking import Booking, Kind
from calsync.core.decide import Decision
from calsync.core.render import event_fields, with_no_show, with_rescheduled
from calsync.core.state import MAX_VALUE, State, stamp

_FIELDS = ("summary", "description", "location", "start", "end")


class Op(Enum):
    INSERT = "insert"
    PATCH = "patch"
    DELETE = "delete"
    BURN = "burn"  # insert then delete: reserve the id of a meeting canceled before it arrived
    NOOP = "noop"


@dataclass(frozen=True)
class Plan:
    op: Op
    action: str  # what the report says: created | updated | deleted | unchanged
    reason: str
    body: dict[str, Any] = field(default_factory=dict)
    next_generation: bool = False  # INSERT under the next generation's id (a restore)


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
    state = State(
        at=max(at, old.at) if event is not None else old.at,
        meeting=meeting,
        active=active,
        marks=old.marks,
    )
    marks = booking.kind in (Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED) or booking.no_show
    if marks and booking.invitee_uri:
        state = state.with_mark(booking.invitee_uri, booking.no_show, at)
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
    # Google would truncate a longer value; a URI that long is not Calendly's anyway
    return {k: v for k, v in props.items() if len(v) <= MAX_VALUE}


def rescheduled_from(booking: Booking) -> str:
    """The old meeting a rescheduled booking replaces (from `old_invitee`), or ""."""
    if booking.kind is not Kind.CREATED or not booking.old_invitee:
        return ""
    return booking.old_invitee.split("/invitees/", 1)[0]


def plan(
    existing: dict[str, Any] | None, booking: Booking, decision: Decision, *, verified: bool = False
) -> Plan:
    """Decide the single write (or none) that makes the calendar event match the booking."""
    if existing is not None and existing.get("status") == "cancelled":
        return _deleted(booking, decision, verified=verified)
    old_props = ((existing or {}).get("extendedProperties") or {}).get("private") or {}
    recorded = State.from_props(old_props) or State()  # a live event without state: take it over
    event = booking.scheduled_event
    group = event.is_group if event is not None else old_props.get("cg_group") == "1"
    state, newer = merge(recorded, booking, group=group)
    if existing is None:
        if not state.visible:
            if verified:  # Calendly itself says so: nothing on the calendar, nothing to do
                return Plan(Op.NOOP, "unchanged", "canceled before it reached the calendar")
            return Plan(
                Op.BURN,
                "deleted",
                "canceled before its booking arrived; the event id "
                "is reserved so a late booking cannot bring it back",
                _body(booking, decision, state, {}, group),
            )
        if event is None:
            return Plan(Op.NOOP, "unchanged", "not on the calendar and the payload has no details")
        body = _body(booking, decision, state, {}, group)
        return Plan(Op.INSERT, "created", "booked in Calendly", {**body, "status": "confirmed"})
    if not state.visible:
        why = "meeting canceled in Calendly" if state.meeting == "canceled" else "no active invitee"
        return Plan(Op.DELETE, "deleted", why)
    fields = event_fields(booking, event, decision.display) if event is not None and newer else None
    body = _body(booking, decision, state, old_props, group, fields=fields, existing=existing)
    if _same(existing, body, old_props):
        why = "already up to date" if newer else "an older delivery; the calendar holds newer data"
        return Plan(Op.NOOP, "unchanged", why)
    return Plan(Op.PATCH, "updated", "calendar event differed from the booking", body)


def _deleted(booking: Booking, decision: Decision, *, verified: bool) -> Plan:
    """The meeting's event is deleted; only a verified, visible meeting comes back (anew)."""
    event = booking.scheduled_event
    group = event is not None and event.is_group
    state, _ = merge(State(), booking, group=group)
    if event is None or not state.visible:
        return Plan(Op.NOOP, "unchanged", "already removed from the calendar")
    if not verified:
        return Plan(
            Op.NOOP,
            "unchanged",
            "the calendar event was deleted; without verification a deleted meeting is not "
            "brought back (set CALENDLY_TOKEN to verify with Calendly)",
        )
    body = {**_body(booking, decision, state, {}, group), "status": "confirmed"}
    return Plan(
        Op.INSERT,
        "created",
        "restored: Calendly says the meeting is active again",
        body,
        next_generation=True,
    )


def _body(
    booking: Booking,
    decision: Decision,
    state: State,
    old_props: dict[str, Any],
    group: bool,
    *,
    fields: dict[str, Any] | None = None,
    existing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The event body: meeting fields (rendered, else as on the calendar), marks, our state."""
    event = booking.scheduled_event
    if fields is None:
        if existing is not None:
            fields = {k: existing.get(k, "") for k in _FIELDS}
            # the team's setting, not the meeting's: an older delivery applies it too (without
            # it, _same sees "private" differ from the default and patches on every such delivery)
            fields["visibility"] = decision.display.visibility
        elif event is not None:
            fields = event_fields(booking, event, decision.display)
        else:
            fields = {}
    props = {**identity(booking, old_props, group=group), **state.props()}
    moved_from = props.get("calendly_rescheduled_from", "")
    fields = dict(fields)
    if fields:
        fields["description"] = with_rescheduled(str(fields["description"] or ""), moved_from)
        fields["summary"] = with_no_show(
            str(fields["summary"]), state.no_shows, state.active, group
        )
    return {**fields, "extendedProperties": {"private": props}}


def _same(existing: dict[str, Any], body: dict[str, Any], old_props: dict[str, Any]) -> bool:
    new_props = body["extendedProperties"]["private"]
    if any(old_props.get(k) != v for k, v in new_props.items()):
        return False
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
