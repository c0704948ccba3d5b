"""What the Calendly administration commands share: the client with the scopes a command needs,
the --yes guard, finding a member or group, group relationship owners, a plain table.

These are staff listings the operator asked for: staff e-mails are shown in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from calsync.adapters.calendly import CalendlyClient, Forbidden
from calsync.commands.calendly_api import open_client
from calsync.commands.context import Context
from calsync.core import redact
from calsync.core.errors import InputError, PermissionDenied

JSON = dict[str, Any]
TOOL = "python scripts/calendly_gcal.py"
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,}$")


@contextmanager
def admin_client(ctx: Context, command: str, scopes: tuple[str, ...]) -> Iterator[CalendlyClient]:
    """The run's Calendly client; a 403 also says which token scopes `command` needs."""
    needs = ", ".join(dict.fromkeys(("users:read", *scopes)))
    try:
        with open_client(ctx.settings, clock=ctx.clock) as api:
            yield api
    except Forbidden as err:
        raise PermissionDenied(f"{err}; `{command}` needs token scopes: {needs}") from None


def staff(emails: Iterable[str]) -> None:
    """Staff e-mails (members, hosts, invited colleagues) are shown in full by these commands."""
    redact.allow(e for e in emails if e)


def require_yes(ctx: Context, yes: bool, would: str, flag_hint: str) -> None:
    """Without --yes: say what would happen, write nothing, exit 2 (a script notices)."""
    if not yes:
        ctx.say(f"would {would}")
        raise InputError(f"nothing done: pass --yes to {flag_hint}")


def user_of(membership: JSON) -> JSON:
    user = membership.get("user")
    return user if isinstance(user, dict) else {}


def email_of(membership: JSON) -> str:
    return str(user_of(membership).get("email") or "")


def find_member(members: list[JSON], email: str) -> JSON | None:
    wanted = email.strip().lower()
    return next((m for m in members if email_of(m).lower() == wanted), None)


def owner_of(rel: JSON, members_by_uri: dict[str, JSON]) -> tuple[str, str, str]:
    """(e-mail, name, "member"|"invited") of a group relationship's owner.

    Calendly's owner is an organization membership or an invitation (embedded, or its URI).
    """
    who: Any = rel.get("owner")
    if isinstance(who, str):
        who = members_by_uri.get(who, {"uri": who})
    if not isinstance(who, dict):
        return "", "", "member"
    if "email" in who and "user" not in who:  # an invitation
        return str(who.get("email") or ""), "", "invited"
    user = user_of(who)
    return str(user.get("email") or ""), str(user.get("name") or ""), "member"


def group_people(api: CalendlyClient, org: str, group: JSON) -> list[JSON]:
    """The group's members and admins: {email, name, role, invited}, sorted by e-mail."""
    members: dict[str, JSON] = {}
    people = []
    for rel in api.list_group_relationships(group=str(group.get("uri"))):
        if isinstance(rel.get("owner"), str) and not members:  # owners given as URIs only
            members = {str(m.get("uri")): m for m in api.list_memberships(organization=org)}
        email, name, kind = owner_of(rel, members)
        role = str(rel.get("role") or "member")
        people.append({"email": email, "name": name, "role": role, "invited": kind == "invited"})
    return sorted(people, key=lambda p: (p["email"].lower(), p["role"]))


def find_group(groups: list[JSON], wanted: str) -> JSON:
    """A group by URI or name (exact, then case-insensitive); exit 2 when none or ambiguous."""
    exact = [g for g in groups if wanted in (g.get("uri"), g.get("name"))]
    found = exact or [g for g in groups if str(g.get("name", "")).lower() == wanted.lower()]
    if len(found) == 1:
        return found[0]
    known = ", ".join(repr(str(g.get("name"))) for g in groups) or "none"
    if found:
        raise InputError(f"{len(found)} Calendly groups are named {wanted!r}; pass the group URI")
    raise InputError(f"no Calendly group {wanted!r} (groups: {known}; see: {TOOL} groups list)")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Left-aligned columns, one row a line."""
    cells = [list(header), *([str(c) for c in row] for row in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
