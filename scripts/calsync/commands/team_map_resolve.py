"""`team-map resolve`: write the member e-mails of each team's Calendly group to the lock file.

The lock file (`<map stem>.lock.yaml`, next to the map) is committed; sync, explain and
reconcile read it, so routing by group costs no Calendly call per delivery. An entry whose group
still has the same members is kept as it is (taken_at included): a scheduled refresh whose
groups did not change leaves the file byte for byte unchanged, and opens no merge request.
Group members count, group admins do not (they manage the group; they are not in it), and
pending invitations do not (they cannot host yet).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from calsync.adapters.files import load_team_map, lock_path, read_lock, write_lock
from calsync.commands.calendly_api import owner
from calsync.commands.calendly_org import admin_client, find_group, group_people, staff
from calsync.commands.context import Context
from calsync.core.errors import ConfigError, InputError
from calsync.core.team_lock import LockEntry, render_lock


def run(_args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    path = ctx.settings.config_path
    team_map = load_team_map(path, lock=False)
    wanted = {k: t.calendly_group for k, t in team_map.teams.items() if t.calendly_group}
    target = lock_path(path)
    if not wanted:
        ctx.say(f"{path}: no team names a calendly_group; no lock file needed")
        return {"action": "unchanged", "reason": "no team names a calendly_group"}
    try:
        old = read_lock(target) or {}
    except ConfigError:
        old = {}  # a broken lock file is what this command replaces
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries: dict[str, LockEntry] = {}
    changed: list[str] = []
    with admin_client(ctx, "team-map resolve", ("groups:read",)) as api:
        _, org = owner(api)
        groups = api.list_groups(organization=org)
        for key, name in wanted.items():
            try:
                group = find_group(groups, name)
            except InputError as err:
                problem = f"teams.{key}.calendly_group: {err}"
                raise ConfigError(
                    f"{path}: team {key!r}: {err}; lock file not written", (problem,)
                ) from None
            people = group_people(api, org, group)
            emails = tuple(
                sorted(
                    {
                        p["email"].lower()
                        for p in people
                        if p["role"] == "member" and not p["invited"] and p["email"]
                    }
                )
            )
            staff(emails)
            entry = LockEntry(name, str(group.get("uri")), emails, stamp)
            prev = old.get(key)
            if prev is not None and (prev.group, prev.group_uri, prev.members) == (
                entry.group,
                entry.group_uri,
                entry.members,
            ):
                entry = prev
            else:
                changed.append(key)
            entries[key] = entry
            ctx.say(
                f"{key}: group {name!r}, {len(emails)} member(s): {', '.join(emails) or '(none)'}"
            )
    text = render_lock(entries)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        write_lock(target, text)
        ctx.say(f"wrote {target}")
        action = "written"
    else:
        ctx.say(f"{target}: unchanged")
        action = "unchanged"
    return {
        "action": action,
        "reason": f"{len(entries)} group team(s), changed: {', '.join(changed) or 'none'}",
        "lock_file": str(target),
        "changed": changed,
    }
