"""`reconcile`: make the team calendars match Calendly's scheduled events in a time window.

It repairs what webhooks missed (a delivery lost, a pipeline that failed for good, a calendar
edited by hand): a missing event is created, an event whose meeting was canceled is deleted,
one that drifted (time, title, location) is updated. Every event is planned by lifecycle.plan(),
the rules `sync` follows, with the scheduled event's `updated_at` as the delivery time: an event
recording a newer delivery keeps its details, and a canceled meeting never comes back.

Cost per run. Calendly: GET /users/me, the organization's scheduled events starting in the window
(active and canceled, 100 a page), and an invitee listing only for one-invitee meetings whose team
shows the invitee's name or answers (group counters are in the event resource). Google: one
paginated events.list per routed calendar (deleted events too), then writes in batches of up to
50 calls. An insert whose id is taken (an event moved out of the window by hand, or deleted)
answers 409 and is re-read and planned again, so real runs need no reads per booking; a dry run
reads those events in batches instead, to report exactly what a real run would do.

Not covered: no-show marks come only from webhooks (they live on invitees), so an event created
here has none and no "Rescheduled from" line; existing marks and lines are kept. Only the google
backend is supported: the .ics backend has no listing.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from calsync.adapters.calendar import Call, Conflict, Missing, Stale
from calsync.adapters.calendly import CalendlyClient
from calsync.adapters.files import load_team_map
from calsync.commands.calendly_api import open_client, owner
from calsync.commands.context import Context
from calsync.commands.executor import MAX_GENERATIONS, Current, calls_for
from calsync.commands.verify import effective_kind
from calsync.core import redact
from calsync.core.booking import Booking, Kind
from calsync.core.decide import Action, Decision, decide, event_id_for
from calsync.core.errors import CalSyncError, ConfigError, ExitCode, InputError, TransientError
from calsync.core.fields import opt_time
from calsync.core.lifecycle import Op, Plan, plan
from calsync.core.parse import booking_from_api
from calsync.core.render import rfc3339
from calsync.core.state import stamp
from calsync.core.team_map import TeamMap
from calsync.core.trust import delegated_user
from calsync.core.window import parse_when

if TYPE_CHECKING:
    from calsync.adapters.google_batch import GoogleBatch

log = logging.getLogger(__name__)
JSON = dict[str, Any]
COUNTS = ("created", "updated", "deleted", "unchanged", "skipped", "errors")
MAX_DRIFT = 200  # drift entries kept in the report (the counts are always complete)
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


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    settings = ctx.settings
    backend = settings.backend
    if backend != "google":
        raise ConfigError(
            f"reconcile supports the google backend only (CALSYNC_BACKEND={backend}"
            "); the .ics backend has no listing to compare with"
        )
    now = datetime.now(UTC)
    since, until = (
        parse_when(args.since, now, "--since"),
        parse_when(args.until or "+90d", now, "--until"),
    )
    if until <= since:
        raise InputError(f"--until ({stamp(until)}) must be after --since ({stamp(since)})")
    team_map = load_team_map(settings.config_path)
    redact.allow(cid for _, cid in team_map.calendars())
    subject = delegated_user(
        settings.google_delegated_user, team_map.trust, triggered=settings.triggered
    )
    settings = replace(settings, google_delegated_user=subject)
    dry = settings.dry_run
    ctx.report.update(since=stamp(since), until=stamp(until), dry_run=dry, verified=True)
    with open_client(settings, timeout=settings.timeout, clock=ctx.clock) as api:
        _, organization = owner(api)
        listing = api.list_scheduled_events(
            organization=organization, min_start_time=stamp(since), max_start_time=stamp(until)
        )
        items = [route(Item(event), team_map, api) for event in listing]
        ctx.report["calendly_requests"] = api.request_count
    if any(_routed(it) for it in items):
        # imported here: the Google client loads only when some event is a team's
        from calsync.adapters.google import build_calendar
        from calsync.adapters.google_batch import GoogleBatch, batch_uri

        cal = build_calendar(
            credentials=settings.google_credentials,
            delegated_user=settings.google_delegated_user,
            endpoint=settings.google_api_endpoint,
            timeout=settings.timeout,
            num_retries=settings.retries,
            sleep=ctx.clock.sleep,
        )
        uri = batch_uri(settings.google_api_endpoint, settings.google_batch_uri)
        try:
            batch = GoogleBatch(cal, uri, num_retries=settings.retries)
            reconcile(items, batch, time_min=rfc3339(since), time_max=rfc3339(until), dry_run=dry)
            ctx.report["google_requests"] = batch.http_requests
        finally:
            cal.close()
    return _report(items, ctx, dry_run=dry)


def route(item: Item, team_map: TeamMap, api: CalendlyClient) -> Item:
    """Build the item's Booking from the API's event (plus its invitee when displayed); route it."""
    uri = str(item.event.get("uri", ""))
    try:
        item.booking = _booking(item.event, None)
        item.decision = decide(item.booking, team_map)
        display, meeting = item.decision.display, item.booking.scheduled_event
        shows_invitee = display.show_invitee_name or display.show_answers
        if _routed(item) and meeting and not meeting.is_group and shows_invitee:
            invitees = api.list_invitees(uri)
            active = [i for i in invitees if i.get("status") == "active"]
            invitee = (active or invitees)[-1] if invitees else None
            redact.protect_invitee(invitee)
            item.booking = _booking(item.event, invitee)
    except InputError as err:
        item.error = InputError(f"{uri}: {err}")
    return item


def _booking(event: JSON, invitee: JSON | None) -> Booking:
    """The meeting as the API has it; its `updated_at` orders it among webhook deliveries."""
    kind = effective_kind(Kind.CREATED, invitee, event)
    return booking_from_api(kind, opt_time(event, "updated_at", "updated_at"), event, invitee)


def reconcile(
    items: list[Item], batch: GoogleBatch, *, time_min: str, time_max: str, dry_run: bool
) -> None:
    """Read each routed calendar once, plan every item, then write (unless dry_run)."""
    work = [it for it in items if _routed(it)]
    listed: dict[str, dict[str, JSON]] = {}
    for cid in sorted({_decision(it).calendar_id for it in work}):
        try:
            events = batch.list_window(cid, time_min=time_min, time_max=time_max)
            listed[cid] = {str(e.get("id")): e for e in events}
        except CalSyncError as err:  # this calendar only: the others still get reconciled
            for it in work:
                if _decision(it).calendar_id == cid:
                    it.error = err
    work = [it for it in work if it.error is None]
    unknown = [it for it in work if _decision(it).event_id not in listed[_decision(it).calendar_id]]
    found: dict[int, Any] = {}
    if dry_run and unknown:  # a real run learns this from a 409 instead (see the module doc)
        answers = batch.execute(
            [Call("get", _decision(it).calendar_id, _decision(it).event_id) for it in unknown]
        )
        found = {id(it): answer for it, answer in zip(unknown, answers, strict=True)}
    for it in work:
        answer = found.get(id(it))
        if isinstance(answer, Exception):
            it.error = _as_error(answer)
            continue
        current = _newest(listed[_decision(it).calendar_id], _uri(it))
        if answer is not None:
            current = Current(current.generation, current.event_id, answer)
        _plan(it, current)
    if not dry_run:
        _apply(work, batch)


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
            generation = _generation(it)
            _plan(it, Current(generation, it.event_id, event))


def _report(items: list[Item], ctx: Context, *, dry_run: bool) -> dict[str, Any]:
    counts = dict.fromkeys(COUNTS, 0)
    drift: list[JSON] = []
    for it in items:
        if it.error is not None:
            counts["errors"] += 1
            drift.append(_entry(it, "error", str(it.error)))
        elif not _routed(it) or it.step is None:
            counts["skipped"] += 1
        else:
            counts[it.step.action] += 1
            if it.step.op is not Op.NOOP:
                prefix = "dry run: " if dry_run else ""
                drift.append(_entry(it, it.step.action, prefix + it.step.reason + it.raced))
    summary = ", ".join(f"{counts[k]} {k}" for k in COUNTS)
    window = f"{ctx.report['since']} .. {ctx.report['until']}"
    ctx.say(f"{'dry run: ' if dry_run else ''}{len(items)} scheduled events in {window}: {summary}")
    for entry in drift[:MAX_DRIFT]:
        ctx.say(
            f"  {entry['action']} {entry['event_id'] or '-'} on {entry['calendar_id'] or '-'}: "
            f"{entry['reason']} [{entry['calendly_event']}]"
        )
    ctx.report.update(
        action="reconciled",
        scheduled_events=len(items),
        counts=counts,
        drift=drift[:MAX_DRIFT],
        drift_truncated=max(0, len(drift) - MAX_DRIFT),
        reason=f"{'dry run: ' if dry_run else ''}{summary}",
    )
    failed = [it.error for it in items if it.error is not None]
    if failed:
        err = CalSyncError(
            f"{len(failed)} of {len(items)} scheduled events could not be "
            f"reconciled (first: {failed[0]}); the report lists them"
        )
        transient = any(e.exit_code is ExitCode.TRANSIENT for e in failed)
        err.exit_code = ExitCode.TRANSIENT if transient else ExitCode.BAD_INPUT
        raise err
    return dict(ctx.report)


def _entry(item: Item, action: str, reason: str) -> JSON:
    decision = item.decision
    return {
        "action": action,
        "calendly_event": str(item.event.get("uri", "")),
        "team": decision.team if decision else "",
        "calendar_id": decision.calendar_id if decision else "",
        "event_id": (item.event_id or decision.event_id) if decision else "",
        "reason": reason,
    }


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


def _routed(item: Item) -> bool:
    return item.error is None and item.decision is not None and item.decision.action is Action.SYNC


def _decision(item: Item) -> Decision:
    assert item.decision is not None
    return item.decision
