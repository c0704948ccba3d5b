"""`groups list|members`: the organization's Calendly groups (read only in the API).

Group edits (create, rename, add or remove people) are admin-center only: Calendly admin
center > Groups.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from calsync.commands.calendly_api import owner
from calsync.commands.calendly_org import admin_client, find_group, group_people, staff, table
from calsync.commands.context import Context


def list_groups(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with admin_client(ctx, "groups list", ("groups:read",)) as api:
        _, org = owner(api)
        groups = api.list_groups(organization=org)
    rows = [
        {"name": str(g.get("name")), "members": g.get("member_count"), "uri": g.get("uri")}
        for g in groups
    ]
    if getattr(args, "json", False):
        ctx.say(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        lines = [(r["name"], str(r["members"]), str(r["uri"])) for r in rows]
        for line in table(("NAME", "MEMBERS", "URI"), lines):
            ctx.say(line)
    return {"action": "listed", "reason": f"{len(rows)} group(s)", "count": len(rows)}


def members(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with admin_client(ctx, "groups members", ("groups:read",)) as api:
        _, org = owner(api)
        group = find_group(api.list_groups(organization=org), args.group)
        people = group_people(api, org, group)
    staff(p["email"] for p in people)
    if getattr(args, "json", False):
        ctx.say(json.dumps(people, indent=2, ensure_ascii=False))
    else:
        ctx.say(f"group: {group.get('name')} ({group.get('uri')})")
        lines = [
            (p["email"], p["name"], p["role"] + (" (invited)" if p["invited"] else ""))
            for p in people
        ]
        for line in table(("EMAIL", "NAME", "ROLE"), lines):
            ctx.say(line)
    admins = sum(1 for p in people if p["role"] == "admin")
    return {
        "action": "listed",
        "reason": f"{len(people) - admins} member(s), {admins} admin(s) in {group.get('name')}",
        "group": group.get("uri"),
        "count": len(people),
    }
