"""`invitations list|revoke`: the organization's invitations, over Calendly's API."""

from __future__ import annotations

import argparse
import json
from typing import Any

from calsync.adapters.calendly_http import NotFound
from calsync.commands.calendly_api import owner
from calsync.commands.calendly_org import TOOL, admin_client, require_yes, staff, table
from calsync.commands.context import Context
from calsync.core.errors import InputError


def list_invitations(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    with admin_client(ctx, "invitations list", ("organizations:read",)) as api:
        _, org = owner(api)
        invitations = api.list_invitations(org, status=args.status)
    rows = [
        {
            "email": str(i.get("email") or ""),
            "status": str(i.get("status") or ""),
            "created_at": i.get("created_at"),
            "last_sent_at": i.get("last_sent_at"),
            "uri": i.get("uri"),
        }
        for i in invitations
    ]
    staff(str(r["email"]) for r in rows)
    if args.json:
        ctx.say(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        lines = [
            (r["email"], r["status"], str(r["last_sent_at"] or r["created_at"] or "")[:10])
            for r in rows
        ]
        for line in table(("EMAIL", "STATUS", "SENT"), lines):
            ctx.say(line)
    which = args.status or "any status"
    return {"action": "listed", "reason": f"{len(rows)} invitation(s), {which}", "count": len(rows)}


def revoke(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    staff([args.email])
    with admin_client(ctx, "invitations revoke", ("organizations:write",)) as api:
        _, org = owner(api)
        found = api.list_invitations(org, email=args.email)
        pending = [i for i in found if i.get("status") == "pending"]
        if not pending:
            states = ", ".join(sorted({str(i.get("status")) for i in found}))
            why = f" (its invitations are {states})" if states else ""
            raise InputError(
                f"no pending invitation for {args.email}{why}; see: {TOOL} invitations list"
            )
        ctx.report["invitation"] = args.email
        require_yes(ctx, args.yes, f"revoke the invitation of {args.email}", "revoke it")
        for inv in pending:
            try:
                api.revoke_invitation(str(inv.get("uri")))
            except NotFound:
                raise InputError(
                    f"the invitation of {args.email} is gone: nothing revoked"
                ) from None
    ctx.say(f"revoked: invitation of {args.email}")
    return {"action": "revoked", "reason": f"invitation of {args.email} revoked"}
