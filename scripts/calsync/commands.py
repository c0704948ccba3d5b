"""The `sync` and `validate-config` commands: wiring only, the work is in the modules below."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calsync import logs
from calsync.booking import Booking, parse_booking
from calsync.payload import load_payload
from calsync.sync import process
from calsync.team_map import TeamMap, load_team_map

if TYPE_CHECKING:
    from calsync.backend import Calendar
    from calsync.cli import Context

log = logging.getLogger(__name__)
_TRUE = ("1", "true", "yes", "on")


def config_path(args: argparse.Namespace, env: Mapping[str, str]) -> Path:
    from calsync.cli import DEFAULT_CONFIG

    if args.config is not None:
        return Path(args.config)
    return Path(env["CALSYNC_CONFIG"]) if env.get("CALSYNC_CONFIG") else DEFAULT_CONFIG


def dry_run(args: argparse.Namespace, env: Mapping[str, str]) -> bool:
    return bool(args.dry_run) or env.get("DRY_RUN", "").strip().lower() in _TRUE


def sync(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    raw = load_payload(arg=args.payload, env=ctx.env, stdin=ctx.stdin)
    ctx.report["payload_source"] = raw.source
    logs.protect_invitee(raw.body.get("payload"))  # before anything can log it
    log.info("payload from %s", raw.source)
    booking = parse_booking(raw.body)
    ctx.report.update(webhook_event=booking.event_name, calendly_event=booking.event_uri)
    team_map = load_team_map(config_path(args, ctx.env))
    logs.allow(cid for _, cid in team_map.calendars())
    booking, verified = _verify(booking, args, ctx)
    opened: list[Calendar] = []

    def calendar() -> Calendar:
        opened.append(open_calendar(args, ctx.env))
        return opened[-1]

    try:
        result = process(booking, team_map, calendar, dry_run=dry_run(args, ctx.env),
                         verified=verified, payload_source=raw.source)  # fmt: skip
    finally:
        for cal in opened:
            getattr(cal, "close", lambda: None)()
    report = result.as_dict()
    where = f" on {report['calendar_id']} (team {report['team']})" if report["team"] else ""
    ctx.say(f"{report['action']}{where}: {report['reason']}")
    return report


def _verify(booking: Booking, args: argparse.Namespace, ctx: Context) -> tuple[Booking, bool]:
    """With CALENDLY_TOKEN set, act on what the Calendly API says, not on the payload."""
    if args.no_verify or not ctx.env.get("CALENDLY_TOKEN", "").strip() or not booking.event_uri:
        return booking, False
    from calsync.verify import verify_booking

    return verify_booking(booking, ctx.env), True


def open_calendar(args: argparse.Namespace, env: Mapping[str, str]) -> Calendar:
    backend = args.backend or env.get("CALSYNC_BACKEND", "google")
    if backend == "ics":
        from calsync.ics import IcsCalendar

        return IcsCalendar(args.ics_file)
    from calsync.gcal import build_calendar

    return build_calendar(env, timeout=args.timeout, num_retries=args.retries)


def validate_config(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    path = config_path(args, ctx.env)
    team_map: TeamMap = load_team_map(path)
    logs.allow(cid for _, cid in team_map.calendars())
    ctx.say(f"{path}: OK, {len(team_map.teams)} teams, {len(team_map.routes)} routes")
    return {"action": "validated", "reason": "the team map is valid",
            "teams": {k: t.calendar_id for k, t in team_map.teams.items()}}  # fmt: skip
