"""`event-types list|show|create`: the organization's event types over Calendly's API.

The API creates and edits one-on-one event types only; round robin, collective and group event
types, and team event types, are made in Calendly (Scheduling > Create > Event type; team ones
under the team's page in the admin center).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from calsync.adapters.calendly import CalendlyClient
from calsync.commands.calendly_api import owner
from calsync.commands.calendly_org import (
    JSON,
    TOOL,
    admin_client,
    find_member,
    staff,
    table,
    user_of,
)
from calsync.commands.context import Context
from calsync.core.errors import InputError

_POOLING = {"round_robin": "round robin", "collective": "collective"}


def kind_of(et: JSON) -> str:
    """one-on-one, group, round robin or collective."""
    pooling = et.get("pooling_type")
    if isinstance(pooling, str) and pooling:
        return _POOLING.get(pooling, pooling.replace("_", " "))
    return "group" if et.get("kind") == "group" else "one-on-one"


def _row(et: JSON) -> JSON:
    return {
        "name": et.get("name"),
        "slug": et.get("slug"),
        "kind": kind_of(et),
        "duration": et.get("duration"),
        "active": et.get("active"),
        "scheduling_url": et.get("scheduling_url"),
        "uri": et.get("uri"),
    }


def _user_uri(api: CalendlyClient, org: str, email: str) -> str:
    staff([email])
    member = find_member(api.list_memberships(organization=org, email=email), email)
    if member is None:
        raise InputError(f"{email} is not a member of the Calendly organization")
    return str(user_of(member).get("uri"))


def list_types(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    scopes = ("event_types:read",) + (("organizations:read",) if args.user else ())
    with admin_client(ctx, "event-types list", scopes) as api:
        _, org = owner(api)
        active = True if args.active else None
        if args.user:
            found = api.list_event_types(user=_user_uri(api, org, args.user), active=active)
        else:
            found = api.list_event_types(organization=org, active=active)
    rows = [_row(et) for et in found]
    if args.json:
        ctx.say(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        lines = [
            (
                str(r["name"]),
                r["kind"],
                f"{r['duration']} min",
                "active" if r["active"] else "off",
                str(r["slug"]),
            )
            for r in rows
        ]
        for line in table(("NAME", "KIND", "DURATION", "STATE", "SLUG"), lines):
            ctx.say(line)
    return {"action": "listed", "reason": f"{len(rows)} event type(s)", "count": len(rows)}


def find_type(api: CalendlyClient, org: str, wanted: str) -> JSON:
    """An event type by URI, slug or name (case-insensitive); exit 2 when none or ambiguous."""
    if wanted.startswith(("http://", "https://")):
        return api.get_event_type(wanted)
    everything = api.list_event_types(organization=org)
    low = wanted.strip().lower()
    found = [
        e for e in everything if low in (str(e.get("slug")).lower(), str(e.get("name")).lower())
    ]
    if len(found) == 1:
        return found[0]
    if found:
        uris = ", ".join(str(e.get("uri")) for e in found)
        raise InputError(f"{len(found)} event types match {wanted!r}; pass one URI: {uris}")
    raise InputError(f"no event type named {wanted!r} (see: {TOOL} event-types list)")


def show(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with admin_client(ctx, "event-types show", ("event_types:read",)) as api:
        _, org = owner(api)
        et = find_type(api, org, args.event_type)
        hosts = [
            str((h.get("member") or {}).get("email") or "")
            for h in api.list_event_type_hosts(str(et.get("uri")))
            if isinstance(h.get("member"), dict)
        ]
    staff(hosts)
    row = _row(et) | {"hosts": hosts}
    ctx.say(f"name:           {row['name']}")
    ctx.say(f"kind:           {row['kind']}")
    ctx.say(f"hosts:          {', '.join(hosts) or '(none)'}")
    ctx.say(f"duration:       {row['duration']} min")
    ctx.say(f"scheduling URL: {row['scheduling_url']}")
    ctx.say(f"active:         {'yes' if row['active'] else 'no'}")
    ctx.say(f"uri:            {row['uri']}")
    return {"action": "shown", "reason": f"event type {row['name']}", "event_type": row}


def create(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    if not args.name.strip():
        raise InputError("--name must not be empty")
    if not 1 <= args.duration <= 720:
        raise InputError(f"--duration must be 1 to 720 minutes, got {args.duration}")
    scopes = ("event_types:write",) + (("organizations:read",) if args.host else ())
    with admin_client(ctx, "event-types create", scopes) as api:
        me, org = owner(api)
        host = _user_uri(api, org, args.host) if args.host else me
        same = [
            e
            for e in api.list_event_types(user=host)
            if str(e.get("name", "")).strip().lower() == args.name.strip().lower()
        ]
        if same:
            ctx.say(f"exists: {same[0].get('name')} ({same[0].get('uri')}); nothing created")
            return {
                "action": "exists",
                "reason": "the host has an event type of this name",
                "event_type": _row(same[0]),
            }
        et = api.create_event_type(
            name=args.name.strip(), owner=host, duration=args.duration, description=args.description
        )
    ctx.say(f"created: {et.get('name')} ({kind_of(et)}, {et.get('duration')} min) {et.get('uri')}")
    if not et.get("active"):
        ctx.say("note: Calendly creates it turned off; turn it on in Calendly when it is ready")
    return {"action": "created", "reason": "one-on-one event type created", "event_type": _row(et)}
