"""`members list|invite|remove`: the organization's members, over Calendly's API.

Role changes are not in the API: Calendly admin center > Users > (user) > Change role.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from calsync.adapters.calendly import CalendlyClient
from calsync.adapters.calendly_http import NotFound
from calsync.commands.calendly_api import owner
from calsync.commands.calendly_org import (
    EMAIL,
    JSON,
    TOOL,
    admin_client,
    email_of,
    find_member,
    owner_of,
    require_yes,
    staff,
    table,
    user_of,
)
from calsync.commands.context import Context
from calsync.core.errors import CalSyncError, InputError


def list_members(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with admin_client(ctx, "members list", ("organizations:read", "groups:read")) as api:
        _, org = owner(api)
        members = api.list_memberships(organization=org, role=args.role)
        groups = _groups_by_member(api, org, members)
    rows: list[JSON] = [
        {
            "name": str(user_of(m).get("name") or ""),
            "email": email_of(m),
            "role": str(m.get("role") or ""),
            "groups": groups.get(str(m.get("uri")), []),
            "uri": m.get("uri"),
        }
        for m in members
    ]
    rows.sort(key=lambda r: r["email"].lower())
    staff(r["email"] for r in rows)
    if args.json:
        ctx.say(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        lines = [(r["name"], r["email"], r["role"], ", ".join(r["groups"])) for r in rows]
        for line in table(("NAME", "EMAIL", "ROLE", "GROUPS"), lines):
            ctx.say(line)
    role = f" with role {args.role}" if args.role else ""
    return {"action": "listed", "reason": f"{len(rows)} member(s){role}", "count": len(rows)}


def _groups_by_member(api: CalendlyClient, org: str, members: list[JSON]) -> dict[str, list[str]]:
    """Membership URI -> names of its groups (admin groups marked)."""
    names = {str(g.get("uri")): str(g.get("name")) for g in api.list_groups(organization=org)}
    by_uri = {str(m.get("uri")): m for m in members}
    out: dict[str, list[str]] = {}
    for rel in api.list_group_relationships(organization=org):
        who = rel.get("owner")
        uri = str(who.get("uri") if isinstance(who, dict) else who)
        if uri not in by_uri or owner_of(rel, by_uri)[2] != "member":
            continue
        name = names.get(str(rel.get("group")), str(rel.get("group")))
        out.setdefault(uri, []).append(name + (" (admin)" if rel.get("role") == "admin" else ""))
    return {k: sorted(v) for k, v in out.items()}


def invite(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    wanted = list(dict.fromkeys(e.strip() for e in args.emails))
    staff(wanted)
    results: dict[str, str] = {}
    failed: list[str] = []
    scopes = ("organizations:read",) if args.dry_run else ("organizations:write",)
    with admin_client(ctx, "members invite", scopes) as api:
        _, org = owner(api)
        members = api.list_memberships(organization=org)
        pending = {
            str(i.get("email", "")).lower(): i for i in api.list_invitations(org, status="pending")
        }
        for email in wanted:
            if not EMAIL.match(email):
                results[email] = "not an e-mail address"
                failed.append(email)
            elif (m := find_member(members, email)) is not None:
                results[email] = f"already a member ({m.get('role')}); skipped"
            elif email.lower() in pending:
                sent = str(pending[email.lower()].get("last_sent_at") or "")[:10]
                results[email] = f"already invited (pending since {sent}); skipped"
            elif args.dry_run:
                results[email] = "would invite (dry run)"
            else:
                try:
                    api.create_invitation(org, email)
                except CalSyncError as err:
                    if err.exit_code != 2:
                        raise
                    results[email] = f"not invited: {err}"
                    failed.append(email)
                else:
                    results[email] = "invited"
    for email, outcome in results.items():
        ctx.say(f"{email}: {outcome}")
    ctx.report.update(results=results, dry_run=args.dry_run)
    if failed:
        raise InputError(
            f"{len(failed)} of {len(wanted)} address(es) could not be invited: " + ", ".join(failed)
        )
    invited = sum(1 for o in results.values() if o in ("invited", "would invite (dry run)"))
    verb = "would be invited" if args.dry_run else "invited"
    return {
        "action": "invited",
        "reason": f"{invited} {verb}, {len(wanted) - invited} already present",
    }


def remove(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    staff([args.email])
    with admin_client(ctx, "members remove", ("organizations:write",)) as api:
        me, org = owner(api)
        member = find_member(api.list_memberships(organization=org, email=args.email), args.email)
        if member is None:
            hint = ""
            if api.list_invitations(org, status="pending", email=args.email):
                hint = f"; it has a pending invitation: {TOOL} invitations revoke {args.email}"
            raise InputError(f"{args.email} is not a member of the Calendly organization{hint}")
        staff([email_of(member)])
        who = f"{user_of(member).get('name')} <{email_of(member)}> ({member.get('role')})"
        if user_of(member).get("uri") == me:
            raise InputError(f"refusing to remove {who}: it is the user of CALENDLY_TOKEN")
        if member.get("role") == "owner":
            raise InputError(
                f"refusing to remove {who}: the owner; transfer ownership in Calendly's admin "
                "center first"
            )
        ctx.report["member"] = email_of(member)
        require_yes(ctx, args.yes, f"remove {who} from the organization", f"remove {args.email}")
        try:
            api.delete_membership(str(member.get("uri")))
        except NotFound:
            raise InputError(f"{args.email} is no longer a member: nothing removed") from None
    ctx.say(f"removed: {who}")
    return {"action": "removed", "reason": f"{email_of(member)} removed from the organization"}
