"""`sync`: one webhook delivery in, its team calendar made to match, one Report out.

The calendar is passed in as a factory so a skipped booking never builds (or imports) the
Google client or the planner. The writing itself is commands/executor.py's: conditional writes,
re-planned after a race.
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from calsync.adapters.calendar import Calendar
from calsync.adapters.files import load_payload, load_team_map
from calsync.commands.backends import open_calendar
from calsync.commands.context import Clock, Context
from calsync.core import redact
from calsync.core.booking import Booking
from calsync.core.decide import Action, Decision, decide
from calsync.core.parse import parse_booking
from calsync.core.settings import Settings
from calsync.core.team_map import TeamMap
from calsync.core.trust import check_not_future, delegated_user, require_verification

if TYPE_CHECKING:
    from calsync.core.lifecycle import Plan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """The JSON line every run ends with. URIs and calendar ids only, never personal data."""

    action: str  # created | updated | deleted | unchanged | skipped | error (also in a dry run)
    reason: str
    team: str = ""
    calendar_id: str = ""
    event_id: str = ""
    calendly_event: str = ""
    webhook_event: str = ""
    payload_source: str = ""
    dry_run: bool = False  # then `action` is what a real run would have done ("would create")
    verified: bool = False
    inferred_event: bool = False  # the payload had no top-level "event": its kind was guessed
    inferred_reason: str = ""

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
    known: dict[str, Any] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Report:
    """Route the booking and make its team calendar match it, exactly once.

    `known` gets the team and calendar id as soon as they are known, for an error's report.
    """
    known = {} if known is None else known
    decision = decide(booking, team_map)
    if decision.team:
        known.update(team=decision.team, calendar_id=decision.calendar_id)
    route = (decision.reason, decision.team, decision.calendar_id, decision.event_id)
    base = Report(
        "skipped",
        *route,  # reason, team, calendar_id, event_id: as decided
        calendly_event=booking.event_uri,
        webhook_event=booking.event_name,
        payload_source=payload_source,
        dry_run=dry_run,
        verified=verified,
        inferred_event=bool(booking.inferred),
        inferred_reason=booking.inferred,
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
        known.update(team=team, calendar_id=calendar_id)
        decision = replace(decision, team=team, calendar_id=calendar_id)
        base = replace(base, team=team, calendar_id=calendar_id)
    # imported here: planning and writing load only for a booking that is a team's
    from calsync.commands.executor import apply

    step, event_id = apply(cal, booking, decision, dry_run=dry_run, verified=verified, sleep=sleep)
    reason = _reason(decision, step, dry_run)
    return replace(base, action=step.action, reason=reason, event_id=event_id)


def locate(cal: Calendar, team_map: TeamMap, event_id: str) -> tuple[str, str] | None:
    """The (team, calendar id) whose calendar holds the event, first in file order."""
    for team, calendar_id in team_map.calendars():
        if cal.get(calendar_id, event_id) is not None:
            return team, calendar_id
    return None


_WOULD = {"created": "would create", "updated": "would update", "deleted": "would delete"}


def _reason(decision: Decision, step: Plan, dry_run: bool) -> str:
    would = _WOULD.get(step.action, f"would leave it {step.action}")
    prefix = f"{would}: " if dry_run and step.op.value != "noop" else ""
    return f"{prefix}{step.reason} ({decision.reason})"


def run(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    """The `sync` command: read the payload, verify it, route it, make the calendar match."""
    settings = ctx.settings
    log.debug("reading the payload")
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
    check_not_future(booking.created_at, datetime.now(UTC))
    if booking.inferred:
        ctx.report.update(inferred_event=True, inferred_reason=booking.inferred)
    team_map = load_team_map(settings.config_path)
    redact.allow(cid for _, cid in team_map.calendars())
    # what a trigger caller's pipeline variables may not decide (docs/security.md)
    verifying = settings.verify and bool(settings.calendly_token)
    require_verification(
        triggered=settings.triggered, verifying=verifying, committed=team_map.trust
    )
    subject = delegated_user(
        settings.google_delegated_user, team_map.trust, triggered=settings.triggered
    )
    settings = replace(settings, google_delegated_user=subject)
    booking, verified = _verify(booking, settings, ctx.clock)
    opened: list[Calendar] = []

    def calendar() -> Calendar:
        opened.append(open_calendar(settings, ctx.clock))
        return opened[-1]

    try:
        result = process(
            booking,
            team_map,
            calendar,
            dry_run=settings.dry_run,
            verified=verified,
            payload_source=raw.source,
            known=ctx.report,
            sleep=ctx.clock.sleep,  # the jitter between write races, on the run's clock
        )
    finally:
        for cal in opened:
            getattr(cal, "close", lambda: None)()
    report = result.as_dict()
    where = f" on {report['calendar_id']} (team {report['team']})" if report["team"] else ""
    head = "dry run" if result.dry_run and result.reason.startswith("would ") else result.action
    ctx.say(f"{head}{where}: {report['reason']}")
    return report


def _verify(booking: Booking, settings: Settings, clock: Clock) -> tuple[Booking, bool]:
    """With CALENDLY_TOKEN set, act on what the Calendly API says, not on the payload."""
    if not settings.verify or not settings.calendly_token or not booking.event_uri:
        return booking, False
    # imported here: the Calendly HTTP client is not loaded on the skip path
    from calsync.commands.verify import verify_booking

    return verify_booking(booking, settings, clock), True
