"""`validate-config`: load the team map and list every problem (exit 2), or say it is fine."""

from __future__ import annotations

import argparse
from typing import Any

from calsync.adapters.files import load_team_map
from calsync.commands.context import Context
from calsync.core import redact


def run(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    path = ctx.settings.config_path
    team_map = load_team_map(path)
    redact.allow(cid for _, cid in team_map.calendars())
    ctx.say(f"{path}: OK, {len(team_map.teams)} teams, {len(team_map.routes)} routes")
    return {
        "action": "validated",
        "reason": "the team map is valid",
        "teams": {k: t.calendar_id for k, t in team_map.teams.items()},
    }
