"""The orchestrator: one booking in, the calendar made to match, one Report out.

The calendar is passed in as a factory so a skipped booking never builds (or imports) the
Google client. Every write is planned by lifecycle.plan() from a fresh read; an id taken by a
concurrent or earlier write (409) or an event that vanished (404/410) means: read again and
plan again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from calsync.backend import Calendar, Conflict, Missing
from calsync.booking import Booking
from calsync.decide import Action, Decision, decide
from calsync.errors import CalSyncError, TransientError
from calsync.lifecycle import Op, Plan, plan
from calsync.team_map import TeamMap

log = logging.getLogger(__name__)
_ATTEMPTS = 4


@dataclass(frozen=True)
class Report:
    """The JSON line every run ends with. URIs and calendar ids only, never personal data."""

    action: str  # created | updated | deleted | unchanged | skipped | error
    reason: str
    team: str = ""
    calendar_id: str = ""
    event_id: str = ""
    calendly_event: str = ""
    webhook_event: str = ""
    payload_source: str = ""
    dry_run: bool = False
    verified: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def process(
    booking: Booking,
    team_map: TeamMap,
    calendar: Callable[[], Calendar],
    *,
    dry_run: bool = False,
    verified: bool = False,
    payload_source: str = "",
) -> Report:
    """Route the booking and make its team calendar match it, exactly once."""
    decision = decide(booking, team_map)
    base = Report(action="skipped", reason=decision.reason, team=decision.team,
                  calendar_id=decision.calendar_id, event_id=decision.event_id,
                  calendly_event=booking.event_uri, webhook_event=booking.event_name,
                  payload_source=payload_source, dry_run=dry_run, verified=verified)  # fmt: skip
    if decision.action is Action.SKIP:
        return base
    cal = calendar()
    if decision.action is Action.LOCATE:
        found = locate(cal, team_map, decision.event_id)
        if found is None:
            return replace(base, action="unchanged",
                           reason="the meeting is on no team calendar; nothing to change")  # fmt: skip
        team, calendar_id = found
        decision = replace(decision, team=team, calendar_id=calendar_id)
        base = replace(base, team=team, calendar_id=calendar_id)
    step = apply(cal, booking, decision, dry_run=dry_run, verified=verified)
    return replace(base, action=step.action, reason=_reason(decision, step, dry_run))


def locate(cal: Calendar, team_map: TeamMap, event_id: str) -> tuple[str, str] | None:
    """The (team, calendar id) whose calendar holds the event, first in file order."""
    for team, calendar_id in team_map.calendars():
        if cal.get(calendar_id, event_id) is not None:
            return team, calendar_id
    return None


def apply(cal: Calendar, booking: Booking, decision: Decision, *, dry_run: bool,
          verified: bool) -> Plan:  # fmt: skip
    """Read, plan, write; again after a 409/404/410 race. Returns the plan carried out."""
    cid, eid = decision.calendar_id, decision.event_id
    raced = ""
    taken = False  # our insert answered 409: the id is held by some event
    for _ in range(_ATTEMPTS):
        existing = cal.get(cid, eid)
        step = plan(existing, booking, decision, verified=verified)
        if existing is None and taken:
            return _purged(step, cid, eid)
        if dry_run or step.op is Op.NOOP:
            return replace(step, reason=step.reason + raced)
        log.info("%s event %s on %s", step.op.value, eid, cid)
        try:
            _execute(cal, cid, eid, step)
        except (Conflict, Missing) as race:
            log.info("calendar changed under us (%s); reading again", type(race).__name__)
            taken = isinstance(race, Conflict) and step.op in (Op.INSERT, Op.BURN)
            raced = (
                "; the event id was already taken (an earlier delivery, or this run's own "
                "insert whose answer was lost)"
                if isinstance(race, Conflict)
                else "; the event vanished while we wrote it"
            )
            continue
        return step
    raise TransientError(f"event {eid} on {cid} kept changing while we wrote it; rerun the job")


def _purged(step: Plan, cid: str, eid: str) -> Plan:
    """The id answers 409 on insert but 404 on get: a deleted event Google has purged."""
    if step.op is Op.BURN:  # the id is reserved either way: nothing left to do
        return replace(step, op=Op.NOOP, action="unchanged",
                       reason="the meeting is canceled and its event id is already taken")  # fmt: skip
    raise CalSyncError(
        f"event id {eid} on {cid} is taken by a deleted event Google no longer returns; "
        "the meeting cannot be added under its id"
    )


def _execute(cal: Calendar, cid: str, eid: str, step: Plan) -> None:
    if step.op is Op.INSERT:
        cal.insert(cid, {"id": eid, **step.body})
    elif step.op is Op.PATCH:
        cal.patch(cid, eid, step.body)
    elif step.op is Op.DELETE:
        cal.patch(cid, eid, step.body)
        _delete(cal, cid, eid)
    elif step.op is Op.BURN:
        cal.insert(cid, {"id": eid, **step.body, "status": "confirmed"})
        _delete(cal, cid, eid)


def _delete(cal: Calendar, cid: str, eid: str) -> None:
    try:
        cal.delete(cid, eid)
    except Missing:
        log.info("event %s was already deleted", eid)


def _reason(decision: Decision, step: Plan, dry_run: bool) -> str:
    prefix = "dry run, would be " + step.action + ": " if dry_run and step.op is not Op.NOOP else ""
    return f"{prefix}{step.reason} ({decision.reason})"
