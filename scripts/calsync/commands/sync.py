"""`sync`: one webhook delivery in, its team calendar made to match, one Report out.

The calendar is passed in as a factory so a skipped booking never builds (or imports) the
Google client. Every write is planned by lifecycle.plan() from a fresh read; an id taken by a
concurrent or earlier write (409) or an event that vanished (404/410) means: read again and
plan again.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from calsync.adapters.calendar import Calendar, Conflict, Missing
from calsync.adapters.files import load_payload, load_team_map
from calsync.commands.context import Clock, Context
from calsync.commands.executor import calls_for, perform
from calsync.core import redact
from calsync.core.booking import Booking
from calsync.core.decide import Action, Decision, decide
from calsync.core.errors import CalSyncError, TransientError
from calsync.core.lifecycle import Op, Plan, plan
from calsync.core.parse import parse_booking
from calsync.core.settings import Settings
from calsync.core.team_map import TeamMap

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
    base = Report(
        action="skipped",
        reason=decision.reason,
        team=decision.team,
        calendar_id=decision.calendar_id,
        event_id=decision.event_id,
        calendly_event=booking.event_uri,
        webhook_event=booking.event_name,
        payload_source=payload_source,
        dry_run=dry_run,
        verified=verified,
    )
    if decision.action is Action.SKIP:
        return base
    cal = calendar()
    if decision.action is Action.LOCATE:
        found = locate(cal, team_map, decision.event_id)
        if found is None:
            return replace(
                base,
                action="unchanged",
                reason="the meeting is on no team calendar; nothing to change",
            )
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


def apply(
    cal: Calendar, booking: Booking, decision: Decision, *, dry_run: bool, verified: bool
) -> Plan:
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
            for call in calls_for(step, cid, eid):
                perform(cal, call)
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
        return replace(
            step,
            op=Op.NOOP,
            action="unchanged",
            reason="the meeting is canceled and its event id is already taken",
        )
    raise CalSyncError(
        f"event id {eid} on {cid} is taken by a deleted event Google no longer returns; "
        "the meeting cannot be added under its id"
    )


def _reason(decision: Decision, step: Plan, dry_run: bool) -> str:
    prefix = "dry run, would be " + step.action + ": " if dry_run and step.op is not Op.NOOP else ""
    return f"{prefix}{step.reason} ({decision.reason})"


def run(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """The `sync` command: read the payload, verify it, route it, make the calendar match."""
    settings = ctx.settings
    raw = load_payload(
        arg=settings.payload_arg,
        pasted=settings.calendly_payload,
        trigger=settings.trigger_payload,
        stdin=ctx.stdin,
    )
    ctx.report["payload_source"] = raw.source
    redact.protect_invitee(raw.body.get("payload"))  # before anything can log it
    log.info("payload from %s", raw.source)
    booking = parse_booking(raw.body)
    ctx.report.update(webhook_event=booking.event_name, calendly_event=booking.event_uri)
    team_map = load_team_map(settings.config_path)
    redact.allow(cid for _, cid in team_map.calendars())
    booking, verified = _verify(booking, settings, ctx.clock)
    opened: list[Calendar] = []

    def calendar() -> Calendar:
        opened.append(open_calendar(settings))
        return opened[-1]

    try:
        result = process(
            booking,
            team_map,
            calendar,
            dry_run=settings.dry_run,
            verified=verified,
            payload_source=raw.source,
        )
    finally:
        for cal in opened:
            getattr(cal, "close", lambda: None)()
    report = result.as_dict()
    where = f" on {report['calendar_id']} (team {report['team']})" if report["team"] else ""
    ctx.say(f"{report['action']}{where}: {report['reason']}")
    return report


def _verify(booking: Booking, settings: Settings, clock: Clock) -> tuple[Booking, bool]:
    """With CALENDLY_TOKEN set, act on what the Calendly API says, not on the payload."""
    if not settings.verify or not settings.calendly_token or not booking.event_uri:
        return booking, False
    # imported here: the Calendly HTTP client is not loaded on the skip path
    from calsync.commands.verify import verify_booking

    return verify_booking(booking, settings, clock), True


def open_calendar(settings: Settings) -> Calendar:
    """The team calendars' backend; the Google client is imported only when it is used."""
    if settings.backend == "ics":
        from calsync.adapters.ics import IcsCalendar

        return IcsCalendar(settings.ics_file)
    from calsync.adapters.google import build_calendar

    return build_calendar(
        credentials=settings.google_credentials,
        delegated_user=settings.google_delegated_user,
        endpoint=settings.google_api_endpoint,
        timeout=settings.timeout,
        num_retries=settings.retries,
    )
