"""The one write executor: read the meeting's event, plan, write conditionally, again on a race.

`calls_for()` turns a lifecycle Plan into calendar calls (sync sends them one by one through
`perform()`, reconcile in Google batches). `apply()` is the read-plan-write loop of one meeting:
- writes are conditional: a patch or delete carries the etag that was read (If-Match), an
  insert uses the client-chosen id, so a concurrent writer makes it fail (412 / 409) instead of
  being overwritten; then the event is read again and planned again (bounded);
- a booking that would be inserted is inserted straight away (the insert is its own existence
  check), so a new booking costs one write and no read; unless the delivery itself says the
  meeting was there before (a cancel, a no-show mark, a group meeting others had joined): then
  a read first saves the failed insert, so an update costs a read and a write;
- a deleted event keeps only its id: a meeting restored after deletion lives under the next
  generation's id (core.decide.event_id_for), found by reading the generations in order.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from calsync.adapters.calendar import Calendar, Call, Conflict, Missing, Stale, WriteCheck
from calsync.core.booking import Booking, Kind
from calsync.core.decide import Decision, event_id_for
from calsync.core.errors import CalSyncError, TransientError
from calsync.core.lifecycle import Op, Plan, plan

log = logging.getLogger(__name__)
ATTEMPTS = 8  # read-plan-write rounds before giving up (exit 1: a rerun finishes the work)
MAX_GENERATIONS = 16  # restores of one meeting; more means something is deleting it in a loop
_RACES = (Conflict, Missing, Stale)


@dataclass(frozen=True)
class Current:
    """The meeting's newest event on one calendar: its generation, id and body (None: none)."""

    generation: int
    event_id: str
    event: dict[str, Any] | None


def calls_for(step: Plan, calendar_id: str, event_id: str, *, etag: str = "") -> list[Call]:
    """The calendar calls that carry out `step` for one event, in order."""
    cid, eid, body = calendar_id, event_id, step.body
    if step.op is Op.INSERT:
        return [Call("insert", cid, body={"id": eid, **body})]
    if step.op is Op.PATCH:
        return [Call("patch", cid, eid, body, etag=etag)]
    if step.op is Op.DELETE:
        return [Call("delete", cid, eid, etag=etag)]
    if step.op is Op.BURN:
        insert = Call("insert", cid, body={"id": eid, **body, "status": "confirmed"})
        return [insert, Call("delete", cid, eid)]
    return []


def perform(cal: Calendar, call: Call) -> None:
    """Send one call. A delete of an event that is already gone is done, not an error."""
    if call.verb == "insert":
        cal.insert(call.calendar_id, call.body)
    elif call.verb == "patch":
        cal.patch(call.calendar_id, call.event_id, call.body, etag=call.etag)
    elif call.verb == "delete":
        try:
            cal.delete(call.calendar_id, call.event_id, etag=call.etag)
        except Missing:
            log.info("event %s was already deleted", call.event_id)


def read(cal: Calendar, calendar_id: str, uri: str, taken: set[str]) -> Current:
    """The newest generation of the meeting's event. `taken`: ids that answered 409 on insert
    although get finds nothing (deleted events Google has purged) count as deleted."""
    newest: Current | None = None
    for generation in range(MAX_GENERATIONS):
        eid = event_id_for(uri, generation)
        event = cal.get(calendar_id, eid)
        if event is None and eid in taken:
            event = {"id": eid, "status": "cancelled"}
        if event is None:
            return newest or Current(generation, eid, None)
        newest = Current(generation, eid, event)
        if event.get("status") != "cancelled":
            return newest
    raise CalSyncError(
        f"the meeting {uri} was restored and deleted {MAX_GENERATIONS} times on "
        f"{calendar_id}; refusing to create yet another event"
    )


def apply(
    cal: Calendar,
    booking: Booking,
    decision: Decision,
    *,
    dry_run: bool,
    verified: bool,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Plan, str]:
    """Make the calendar match the booking; return the plan carried out and its event id."""
    cid, uri = decision.calendar_id, booking.event_uri
    taken: set[str] = set()
    raced = ""
    with cal.session():
        for attempt in range(ATTEMPTS):
            if attempt > 1:  # a second race: let the other writers finish first
                sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 - jitter, not crypto
            blind = Current(0, event_id_for(uri), None)
            guess = plan(None, booking, decision, verified=verified)
            first = attempt == 0 and not dry_run and guess.op is Op.INSERT and is_new(booking)
            current = blind if first else read(cal, cid, uri, taken)
            step = guess if first else plan(current.event, booking, decision, verified=verified)
            eid = (
                event_id_for(uri, current.generation + 1)
                if step.next_generation
                else current.event_id
            )
            if step.op is Op.NOOP:
                return replace(step, reason=step.reason + raced), eid
            if dry_run:  # fail where the real run would: a missing, unshared or read-only calendar
                if isinstance(cal, WriteCheck):
                    cal.check_writable(cid)
                return step, eid
            etag = str((current.event or {}).get("etag") or "")
            log.info("%s event %s on %s", step.op.value, eid, cid)
            try:
                for call in calls_for(step, cid, eid, etag=etag):
                    perform(cal, call)
            except _RACES as race:
                if isinstance(race, Conflict):
                    taken.add(eid)
                if first and isinstance(race, Conflict):  # the insert was the existence check
                    raced = _EXISTED
                    continue
                raced = _RACED[type(race)]
                log.info("calendar changed under us (%s); reading again", type(race).__name__)
                continue
            return step, eid
    raise TransientError(
        f"the event of {uri} on {cid} kept changing while we wrote it; rerun the job"
    )


def is_new(booking: Booking) -> bool:
    """Whether the delivery suggests the meeting has no event yet (a guess: either way right)."""
    if booking.kind in (Kind.CANCELED, Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED):
        return False  # an invitee who leaves, or is marked, had joined the meeting
    meeting = booking.scheduled_event
    joined = meeting.active_invitees if meeting is not None and meeting.is_group else None
    return joined is None or joined <= 1  # a group meeting's later invitees join an event


_EXISTED = (
    "; the event already existed (an earlier delivery, or this run's own insert whose answer "
    "was lost)"
)
_RACED: dict[type[Exception], str] = {
    Conflict: "; the event id was already taken (an earlier delivery, or this run's own insert "
    "whose answer was lost)",
    Missing: "; the event vanished while we wrote it",
    Stale: "; the event changed while we wrote it (another delivery); re-read and planned again",
}
