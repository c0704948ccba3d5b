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
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from calsync import logs
from calsync.backend import Conflict, Missing
from calsync.booking import Booking, Kind, parse_booking
from calsync.calendly import CalendlyClient
from calsync.calendly_cmds import open_client, owner
from calsync.commands import config_path, dry_run
from calsync.decide import Action, Decision, decide
from calsync.errors import CalSyncError, ConfigError, ExitCode, InputError, TransientError
from calsync.lifecycle import Op, Plan, plan, stamp
from calsync.render import rfc3339
from calsync.team_map import TeamMap, load_team_map
from calsync.verify import effective_kind, webhook_body

if TYPE_CHECKING:
    from calsync.cli import Context
    from calsync.gbatch import Call, GoogleBatch

log = logging.getLogger(__name__)
JSON = dict[str, Any]
COUNTS = ("created", "updated", "deleted", "unchanged", "skipped", "errors")
MAX_DRIFT = 200  # drift entries kept in the report (the counts are always complete)
_ATTEMPTS = 4
_RELATIVE = re.compile(r"([+-])(\d{1,5})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


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


def parse_when(text: str, now: datetime, what: str) -> datetime:
    """An ISO date/time (UTC unless it says otherwise) or a relative -2d, -12h, +90d, +30m, -1w."""
    value = text.strip()
    if match := _RELATIVE.fullmatch(value):
        delta = timedelta(**{_UNITS[match[3]]: int(match[2])})
        return now - delta if match[1] == "-" else now + delta
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: expected an ISO date or time (2026-01-31, 2026-01-31T09:00Z) "
                         f"or a relative time (-2d, -12h, +90d), got {value[:40]!r}") from None  # fmt: skip
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def command(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    backend = ctx.env.get("CALSYNC_BACKEND", "").strip() or "google"
    if backend != "google":
        raise ConfigError(f"reconcile supports the google backend only (CALSYNC_BACKEND={backend}"
                          "); the .ics backend has no listing to compare with")  # fmt: skip
    now = datetime.now(UTC)
    since, until = (
        parse_when(args.since, now, "--since"),
        parse_when(args.until or "+90d", now, "--until"),
    )
    if until <= since:
        raise InputError(f"--until ({stamp(until)}) must be after --since ({stamp(since)})")
    team_map = load_team_map(config_path(args, ctx.env))
    logs.allow(cid for _, cid in team_map.calendars())
    dry = dry_run(args, ctx.env)
    ctx.report.update(since=stamp(since), until=stamp(until), dry_run=dry, verified=True)
    with open_client(ctx.env, timeout=args.timeout) as api:
        _, organization = owner(api)
        listing = api.list_scheduled_events(organization=organization,
                                            min_start_time=stamp(since), max_start_time=stamp(until))  # fmt: skip
        items = [route(Item(event), team_map, api) for event in listing]
        ctx.report["calendly_requests"] = api.request_count
    if any(_routed(it) for it in items):
        from calsync.gbatch import GoogleBatch, batch_uri
        from calsync.gcal import build_calendar

        cal = build_calendar(ctx.env, timeout=args.timeout, num_retries=args.retries)
        try:
            batch = GoogleBatch(cal, batch_uri(ctx.env, args.batch_uri), num_retries=args.retries)
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
            logs.protect_invitee(invitee)
            item.booking = _booking(item.event, invitee)
    except InputError as err:
        item.error = InputError(f"{uri}: {err}")
    return item


def _booking(event: JSON, invitee: JSON | None) -> Booking:
    kind = effective_kind(Kind.CREATED, invitee, event)
    return parse_booking(
        webhook_body(kind.value, str(event.get("updated_at") or ""), event, invitee)
    )


def reconcile(items: list[Item], batch: GoogleBatch, *, time_min: str, time_max: str,
              dry_run: bool) -> None:  # fmt: skip
    """Read each routed calendar once, plan every item, then write (unless dry_run)."""
    from calsync.gbatch import Call

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
        existing = found.get(id(it), listed[_decision(it).calendar_id].get(_decision(it).event_id))
        if isinstance(existing, Exception):
            it.error = _as_error(existing)
        else:
            _plan(it, existing if isinstance(existing, dict) else None)
    if not dry_run:
        _apply(work, batch)


def _plan(item: Item, existing: JSON | None) -> None:
    from calsync.gbatch import Call

    decision, booking = _decision(item), item.booking
    assert booking is not None
    step = plan(existing, booking, decision, verified=True)
    if step.op is Op.PATCH and step.action == "unchanged":
        # Only state bookkeeping on an already deleted event. Google may list deleted events
        # with their id alone, so this would be rewritten on every run: leave them be.
        step = replace(step, op=Op.NOOP, reason="already removed from the calendar")
    item.step = step
    cid, eid, body = decision.calendar_id, decision.event_id, step.body
    item.calls = {
        Op.INSERT: [Call("insert", cid, body={"id": eid, **body})],
        Op.PATCH: [Call("patch", cid, eid, body)],
        Op.DELETE: [Call("patch", cid, eid, body), Call("delete", cid, eid)],
        Op.BURN: [Call("insert", cid, body={"id": eid, **body, "status": "confirmed"}),
                  Call("delete", cid, eid)],
        Op.NOOP: [],
    }[step.op]  # fmt: skip


def _apply(items: list[Item], batch: GoogleBatch) -> None:
    """Send the writes: each item's next call, all items at once, round after round (a batch
    runs its calls in any order). A 409 or a vanished event: read again and plan again."""
    from calsync.gbatch import Call

    for attempt in range(_ATTEMPTS):
        stale: list[Item] = []
        active = [it for it in items if it.calls]
        while active:
            answers = batch.execute([it.calls[0] for it in active])
            for it, answer in zip(active, answers, strict=True):
                verb = it.calls.pop(0).verb
                if isinstance(answer, Conflict) or (
                    isinstance(answer, Missing) and verb != "delete"
                ):
                    it.calls.clear()
                    stale.append(it)
                elif isinstance(answer, Exception) and not isinstance(answer, Missing):
                    it.calls.clear()
                    it.error = _as_error(answer)
            active = [it for it in active if it.calls]
        if not stale:
            return
        if attempt == _ATTEMPTS - 1:
            for it in stale:
                it.error = TransientError(f"event {_decision(it).event_id} kept changing while we "
                                          "wrote it; rerun the job")  # fmt: skip
            return
        fresh = batch.execute(
            [Call("get", _decision(it).calendar_id, _decision(it).event_id) for it in stale]
        )
        for it, answer in zip(stale, fresh, strict=True):
            if isinstance(answer, Exception):
                it.error = _as_error(answer)
            else:
                it.raced = "; re-read after the calendar changed under us"
                _plan(it, answer if isinstance(answer, dict) else None)


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
        ctx.say(f"  {entry['action']} {entry['event_id'] or '-'} on {entry['calendar_id'] or '-'}: "
                f"{entry['reason']} [{entry['calendly_event']}]")  # fmt: skip
    ctx.report.update(action="reconciled", scheduled_events=len(items), counts=counts,
                      drift=drift[:MAX_DRIFT], drift_truncated=max(0, len(drift) - MAX_DRIFT),
                      reason=f"{'dry run: ' if dry_run else ''}{summary}")  # fmt: skip
    failed = [it.error for it in items if it.error is not None]
    if failed:
        err = CalSyncError(f"{len(failed)} of {len(items)} scheduled events could not be "
                           f"reconciled (first: {failed[0]}); the report lists them")  # fmt: skip
        transient = any(e.exit_code is ExitCode.TRANSIENT for e in failed)
        err.exit_code = ExitCode.TRANSIENT if transient else ExitCode.BAD_INPUT
        raise err
    return dict(ctx.report)


def _entry(item: Item, action: str, reason: str) -> JSON:
    decision = item.decision
    return {"action": action, "calendly_event": str(item.event.get("uri", "")),
            "team": decision.team if decision else "",
            "calendar_id": decision.calendar_id if decision else "",
            "event_id": decision.event_id if decision else "", "reason": reason}  # fmt: skip


def _as_error(answer: Exception) -> CalSyncError:
    if isinstance(answer, CalSyncError):
        return answer
    return TransientError(f"Google Calendar API: {type(answer).__name__} {str(answer)[:200]}")


def _routed(item: Item) -> bool:
    return item.error is None and item.decision is not None and item.decision.action is Action.SYNC


def _decision(item: Item) -> Decision:
    assert item.decision is not None
    return item.decision
