"""`validate-config`: load and lint the team map, list every problem (exit 2), or say it is fine.

Lint (routes that can never match) runs only here: `sync` needs a valid map, not a tidy one.
With `--online` (and CALENDLY_TOKEN) it also checks the map against Calendly: member e-mails
are active members, every calendly_group exists, every event_name_contains phrase is part of
some active event type's name.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from calsync.adapters.files import load_team_map
from calsync.commands.context import Context
from calsync.core import redact
from calsync.core.errors import ConfigError
from calsync.core.team_map import TeamMap
from calsync.core.team_map_lint import lint


def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    path = ctx.settings.config_path
    team_map = checked_map(path)
    redact.allow(cid for _, cid in team_map.calendars())
    checked = ""
    if getattr(args, "online", False):
        problems = _online(team_map, ctx)
        if problems:
            count = len(problems)
            raise ConfigError(
                f"{path}: {count} problem{'s' if count != 1 else ''} found against Calendly",
                tuple(problems),
            )
        checked = ", checked against Calendly"
    ctx.say(f"{path}: OK, {len(team_map.teams)} teams, {len(team_map.routes)} routes{checked}")
    return {
        "action": "validated",
        "reason": "the team map is valid" + checked,
        "teams": {k: t.calendar_id for k, t in team_map.teams.items()},
    }


def checked_map(path: Path) -> TeamMap:
    """The team map at `path`, loaded (with its lock file) and linted; ConfigError listing
    every problem otherwise. What validate-config checks offline (doctor checks it too)."""
    team_map = load_team_map(path)
    dead = lint(team_map)
    if dead:
        count = len(dead)
        raise ConfigError(
            f"{path}: {count} problem{'s' if count != 1 else ''} in the team map", tuple(dead)
        )
    return team_map


def _online(team_map: TeamMap, ctx: Context) -> list[str]:
    # imported here: the Calendly HTTP client loads only for --online
    from calsync.commands.calendly_api import owner
    from calsync.commands.calendly_org import admin_client, email_of, staff
    from calsync.core.team_online import online_problems

    staff(e for t in team_map.teams.values() for e in t.listed)
    staff(h for r in team_map.routes for h in r.hosts)
    scopes = ("organizations:read", "groups:read", "event_types:read")
    with admin_client(ctx, "validate-config --online", scopes) as api:
        _, org = owner(api)
        members = {email_of(m).lower() for m in api.list_memberships(organization=org)}
        groups = {str(g.get("name")) for g in api.list_groups(organization=org)}
        names = [
            str(e.get("name", "")) for e in api.list_event_types(organization=org, active=True)
        ]
    return online_problems(team_map, members=members, groups=groups, event_type_names=names)
