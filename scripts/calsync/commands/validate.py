"""`validate-config`: load and lint the team map, list every problem (exit 2), or say it is fine.

Lint (routes that can never match) runs only here: `sync` needs a valid map, not a tidy one.
"""

from __future__ import annotations

import argparse
from typing import Any

from calsync.adapters.files import load_team_map
from calsync.commands.context import Context
from calsync.core import redact
from calsync.core.errors import ConfigError
from calsync.core.team_map_lint import lint


def run(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    path = ctx.settings.config_path
    team_map = load_team_map(path)
    dead = lint(team_map)
    if dead:
        count = len(dead)
        raise ConfigError(
            f"{path}: {count} problem{'s' if count != 1 else ''} in the team map", tuple(dead)
        )
    redact.allow(cid for _, cid in team_map.calendars())
    ctx.say(f"{path}: OK, {len(team_map.teams)} teams, {len(team_map.routes)} routes")
    return {
        "action": "validated",
        "reason": "the team map is valid",
        "teams": {k: t.calendar_id for k, t in team_map.teams.items()},
    }
