"""`explain`: why a payload lands on a team calendar, or on none. No credentials, no network.

Prints every route in file order with its YAML line, whether it matched and why (condition
by condition), then the decision and what `sync` would do for this event kind. `--json` puts
the same as data in the report line instead.
"""

from __future__ import annotations

import argparse
from typing import Any

from calsync.adapters.files import load_payload, load_team_map
from calsync.commands.context import Context
from calsync.core import redact
from calsync.core.explain import Explanation, explain
from calsync.core.parse import parse_booking


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    raw = load_payload(arg=ctx.settings.payload_arg, pasted="", trigger="", stdin=ctx.stdin)
    redact.protect_invitee(raw.body.get("payload", raw.body))  # before anything can show it
    booking = parse_booking(raw.body)
    team_map = load_team_map(ctx.settings.config_path)
    # staff addresses may be shown: calendar ids, team members, hosts (never the invitee)
    redact.allow(cid for _, cid in team_map.calendars())
    redact.allow(m for t in team_map.teams.values() for m in t.members)
    redact.allow(h for r in team_map.routes for h in r.hosts)
    event = booking.scheduled_event
    redact.allow(h.email for h in (event.hosts if event is not None else ()) if h.email)
    result = explain(booking, team_map)
    data = result.as_dict()
    if args.json:
        return {"action": "explained", "reason": result.reason, **data}
    for line in _lines(result, booking.event_uri, event.name if event else ""):
        ctx.say(line)
    return {"action": "explained", "reason": result.reason, "decision": data["decision"]}


def _lines(result: Explanation, event_uri: str, name: str) -> list[str]:
    what = result.kind.value
    meeting = f" for meeting {event_uri}" if event_uri else ""
    titled = f' ("{name}")' if name else ""
    out = [f"{what}{meeting}{titled}"]
    if result.inferred:
        out.append(f"  note: {result.inferred}")
    for r in result.routes:
        out.append(f"route {r.route} (line {r.line}) -> team {r.team}: {_verdict(r.matched)}")
        out += [f"  - {why}" for why in r.reasons]
    if result.team:
        out.append(
            f"decision: {result.action} to team {result.team}, calendar {result.calendar_id}"
        )
    else:
        out.append(f"decision: {result.action}")
    out.append(f"  sync would: {result.effect}")
    out.append(f"  because: {result.reason}")
    return out


def _verdict(matched: bool) -> str:
    return "MATCH" if matched else "no match"
