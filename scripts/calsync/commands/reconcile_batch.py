"""One chunk of `reconcile` on Google: read the chunk's events, plan each, write in batches.

`reconcile_chunk()` takes the routed items of one Calendly page (see commands.reconcile):
1. lists each calendar the chunk routes to over the chunk's span of start times (deleted events
   too), keeping only those events, so memory follows the chunk and not the whole window;
2. reads by id, in batches, the meetings whose event that listing did not show, unless a real
   run is about to insert it (the insert is its own existence check: 409 when taken). Like
   executor.read: generation 0 first, the next generation only when that one is deleted;
3. plans each item with lifecycle.plan() and sends the writes, each item's next call, all items
   at once, round after round (a 409, 412 or vanished event: read again, plan again, bounded).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from calsync.adapters.calendar import Call, Conflict, Missing, Stale
from calsync.commands.executor import MAX_GENERATIONS, Current, calls_for
from calsync.core.booking import Booking
from calsync.core.decide import Action, Decision, event_id_for
from calsync.core.errors import CalSyncError, TransientError
from calsync.core.lifecycle import Op, Plan, plan
from calsync.core.render import rfc3339

if TYPE_CHECKING:
    from calsync.adapters.google_batch import GoogleBatch

JSON = dict[str, Any]
_ATTEMPTS = 4


@dataclass
class Item:
    """One scheduled event on its way to its team calendar."""

    event: JSON  # the scheduled_event resource
    booking: Booking | None = None
    decision: Decision | None = None
    step: Plan | None = None
    calls: list[Call] = field(default_factory=list)  # writes still to send, in order
    error: CalSyncError | None = None
    raced: str = ""
    event_id: str = ""  # the calendar event written (the newest generation, or the next)
    current: Current | None = None
    taken: bool = False  # an insert of event_id answered 409


def routed(item: Item) -> bool:
    return item.error is None and item.decision is not None and item.decision.action is Action.SYNC


def reconcile_chunk(items: list[Item], batch: GoogleBatch, *, dry_run: bool) -> None:
    """Plan every routed item of one chunk, then write (unless dry_run)."""
    work = [it for it in items if routed(it)]
    listed = _list_spans(work, batch)
    work = [it for it in work if it.error is None]
    known: dict[int, Current] = {}
    unread: list[Item] = []
    for it in work:
        events = listed[_decision(it).calendar_id]
        if _decision(it).event_id in events:
            known[id(it)] = _newest(events, _uri(it))
        elif dry_run or _blind(it).op is not Op.INSERT:
            unread.append(it)
        else:  # a real run inserts it straight away (a 409 tells us it was there after all)
            known[id(it)] = Current(0, _decision(it).event_id, None)
    known |= _read(unread, batch)
    for it in work:
        if it.error is None:
            _plan(it, known[id(it)])
    if not dry_run:
        _apply(work, batch)


def _list_spans(work: list[Item], batch: GoogleBatch) -> dict[str, dict[str, JSON]]:
    """Per calendar: its events (by id) that overlap the span of the chunk's start times."""
    starts: dict[str, list[Any]] = defaultdict(list)
    for it in work:
        meeting = it.booking.scheduled_event if it.booking else None
        assert meeting is not None  # an API event always has its times (parse checks them)
        starts[_decision(it).calendar_id].append(meeting.start)
    listed: dict[str, dict[str, JSON]] = {}
    for cid in sorted(starts):
        time_min, time_max = min(starts[cid]), max(starts[cid]) + timedelta(minutes=1)
        try:
            window = batch.list_window(cid, time_min=rfc3339(time_min), time_max=rfc3339(time_max))
            listed[cid] = {str(e.get("id")): e for e in window}
        except CalSyncError as err:  # this calendar only: the others still get reconciled
            listed[cid] = {}
            for it in work:
                if _decision(it).calendar_id == cid:
                    it.error = err
    return listed


def _read(items: list[Item], batch: GoogleBatch) -> dict[int, Current]:
    """The newest generation of each item's event, read by id in batches, round per generation."""
    found: dict[int, Current] = {}
    pending = items
    for generation in range(MAX_GENERATIONS):
        if not pending:
            return found
        ids = [event_id_for(_uri(it), generation) for it in pending]
        calls = [
            Call("get", _decision(it).calendar_id, eid)
            for it, eid in zip(pending, ids, strict=True)
        ]
        answers = batch.execute(calls)
        deleted: list[Item] = []
        for it, eid, answer in zip(pending, ids, answers, strict=True):
            if isinstance(answer, Exception):
                it.error = _as_error(answer)
            elif answer is None:
                found.setdefault(id(it), Current(generation, eid, None))
            else:
                found[id(it)] = Current(generation, eid, answer)
                if answer.get("status") == "cancelled":
                    deleted.append(it)
        pending = deleted
    for it in pending:
        it.error = CalSyncError(
            f"the meeting {_uri(it)} was restored and deleted {MAX_GENERATIONS} times on "
            f"{_decision(it).calendar_id}; refusing to create yet another event"
        )
    return found


def _newest(listed: dict[str, JSON], uri: str) -> Current:
    """The meeting's newest event generation among the listed events (see executor.read)."""
    newest: Current | None = None
    for generation in range(MAX_GENERATIONS):
        eid = event_id_for(uri, generation)
        event = listed.get(eid)
        if event is None:
            return newest or Current(generation, eid, None)
        newest = Current(generation, eid, event)
        if event.get("status") != "cancelled":
            break
    assert newest is not None
    return newest


def _blind(item: Item) -> Plan:
    """What the item would need if its calendar had no event for it."""
    assert item.booking is not None
    return plan(None, item.booking, _decision(item), verified=True)


def _plan(item: Item, current: Current) -> None:
    decision, booking = _decision(item), item.booking
    assert booking is not None
    step = plan(current.event, booking, decision, verified=True)
    item.step, item.current = step, current
    uri = booking.event_uri
    item.event_id = (
        event_id_for(uri, current.generation + 1) if step.next_generation else current.event_id
    )
    etag = str((current.event or {}).get("etag") or "")
    item.calls = calls_for(step, decision.calendar_id, item.event_id, etag=etag)


def _apply(items: list[Item], batch: GoogleBatch) -> None:
    """Send the writes: each item's next call, all items at once, round after round (a batch
    runs its calls in any order). A 409 or a vanished event: read again and plan again."""
    for attempt in range(_ATTEMPTS):
        stale: list[Item] = []
        active = [it for it in items if it.calls]
        while active:
            answers = batch.execute([it.calls[0] for it in active])
            for it, answer in zip(active, answers, strict=True):
                verb = it.calls.pop(0).verb
                if isinstance(answer, Conflict | Stale) or (
                    isinstance(answer, Missing) and verb != "delete"
                ):
                    it.calls.clear()
                    stale.append(it)
                    if isinstance(answer, Conflict):
                        it.taken = True
                elif isinstance(answer, Exception) and not isinstance(answer, Missing):
                    it.calls.clear()
                    it.error = _as_error(answer)
            active = [it for it in active if it.calls]
        if not stale:
            return
        if attempt == _ATTEMPTS - 1:
            for it in stale:
                it.error = TransientError(
                    f"event {it.event_id} kept changing while we wrote it; rerun the job"
                )
            return
        fresh = batch.execute([Call("get", _decision(it).calendar_id, it.event_id) for it in stale])
        for it, answer in zip(stale, fresh, strict=True):
            if isinstance(answer, Exception):
                it.error = _as_error(answer)
                continue
            it.raced = "; re-read after the calendar changed under us"
            event = answer if isinstance(answer, dict) else None
            if event is None and it.taken:  # 409 on insert, yet no event: purged after deletion
                event = {"id": it.event_id, "status": "cancelled"}
            _plan(it, Current(_generation(it), it.event_id, event))


def _as_error(answer: Exception) -> CalSyncError:
    if isinstance(answer, CalSyncError):
        return answer
    return TransientError(f"Google Calendar API: {type(answer).__name__} {str(answer)[:200]}")


def _generation(item: Item) -> int:
    """The generation of item.event_id (the current one, or the next after a restore)."""
    assert item.current is not None
    assert item.step is not None
    return item.current.generation + (1 if item.step.next_generation else 0)


def _uri(item: Item) -> str:
    return str(item.event.get("uri", ""))


def _decision(item: Item) -> Decision:
    assert item.decision is not None
    return item.decision
