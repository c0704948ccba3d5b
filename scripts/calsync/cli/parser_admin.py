"""Parser builders of the Calendly administration commands: members, invitations, groups,
event-types and team-map. Each help ends with what Calendly's API cannot do, and where in
Calendly's admin center that is done instead."""

from __future__ import annotations

import argparse
from typing import Any

from calsync.cli import handlers
from calsync.cli.handlers import Handler
from calsync.cli.parser_args import config_arg

ADMIN = "Calendly > Admin center"
NOT_IN_API = {
    "members": (
        "Not in Calendly's API: changing a member's role ({a} > Users > the user > Change role), "
        "and moving a member between teams or groups ({a} > Groups / Teams)."
    ),
    "invitations": "Invitations are sent by Calendly; resending one is done in {a} > Users.",
    "groups": (
        "Calendly's API reads groups only: creating, renaming or editing a group and adding or "
        "removing people is done in {a} > Groups."
    ),
    "event-types": (
        "Calendly's API creates and edits one-on-one event types only: round robin, collective "
        "and group event types, and team event types, are made in Calendly (Scheduling > Create, "
        "or {a} > Teams > the team > Event types); team membership in {a} > Teams."
    ),
    "team-map": (
        "Group membership itself is edited in {a} > Groups; this reads it. Needs token scopes "
        "users:read, groups:read."
    ),
}


def _epilog(key: str, scopes: str) -> str:
    return NOT_IN_API[key].format(a=ADMIN) + f"\nToken scopes: {scopes}."


def _group(sub: Any, common: argparse.ArgumentParser, name: str, text: str, scopes: str) -> Any:
    parser = sub.add_parser(
        name,
        parents=[common],
        help=text,
        epilog=_epilog(name, scopes),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def _leaf(
    actions: Any,
    common: argparse.ArgumentParser,
    name: str,
    text: str,
    func: Handler,
    key: str,
    scopes: str,
) -> argparse.ArgumentParser:
    """An action that runs `func`; its epilog: NOT_IN_API[key], then the token scopes it needs."""
    leaf: argparse.ArgumentParser = actions.add_parser(
        name,
        parents=[common],
        help=text,
        description=text,
        epilog=_epilog(key, scopes),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    leaf.set_defaults(func=func)
    return leaf


def _confirmed(
    actions: Any,
    common: argparse.ArgumentParser,
    verb: str,
    text: str,
    func: Handler,
    key: str,
    scopes: str,
) -> None:
    """An action on one address that only writes with --yes (remove, revoke)."""
    leaf = _leaf(actions, common, verb, text, func, key, scopes)
    leaf.add_argument("email", metavar="EMAIL")
    leaf.add_argument(
        "--yes",
        action="store_true",
        help=f"really {verb} (without it: say what would happen, exit 2)",
    )


def add_admin(sub: Any, common: argparse.ArgumentParser) -> None:
    _add_members(sub, common)
    _add_invitations(sub, common)
    _add_groups(sub, common)
    _add_event_types(sub, common)
    _add_team_map(sub, common)


def _json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _add_members(sub: Any, common: argparse.ArgumentParser) -> None:
    read, write = "users:read, organizations:read, groups:read", "users:read, organizations:write"
    actions = _group(sub, common, "members", "the Calendly organization's members", read)
    text = "every member: name, e-mail, role, groups"
    listing = _leaf(actions, common, "list", text, handlers.members_list, "members", read)
    listing.add_argument("--role", choices=("user", "admin", "owner"), default=None)
    _json(listing)
    text = "invite new addresses (members and pending ones are skipped)"
    inv = _leaf(actions, common, "invite", text, handlers.members_invite, "members", write)
    inv.add_argument("emails", nargs="+", metavar="EMAIL")
    inv.add_argument("--dry-run", action="store_true", help="send no invitation")
    text = "remove one member (never the token's user or the owner)"
    _confirmed(actions, common, "remove", text, handlers.members_remove, "members", write)


def _add_invitations(sub: Any, common: argparse.ArgumentParser) -> None:
    read, write = "users:read, organizations:read", "users:read, organizations:write"
    actions = _group(sub, common, "invitations", "the Calendly organization's invitations", read)
    text = "invitations (all statuses by default)"
    listing = _leaf(actions, common, "list", text, handlers.invitations_list, "invitations", read)
    listing.add_argument(
        "--status", choices=("pending", "accepted", "declined", "revoked"), default=None
    )
    _json(listing)
    text = "revoke the pending invitation of one address"
    _confirmed(actions, common, "revoke", text, handlers.invitations_revoke, "invitations", write)


def _add_groups(sub: Any, common: argparse.ArgumentParser) -> None:
    scopes = "users:read, groups:read"
    actions = _group(
        sub, common, "groups", "the Calendly organization's groups (read only)", scopes
    )
    text = "every group with its member count"
    listing = _leaf(actions, common, "list", text, handlers.groups_list, "groups", scopes)
    _json(listing)
    text = "a group's members and admins (marked)"
    people = _leaf(actions, common, "members", text, handlers.groups_members, "groups", scopes)
    people.add_argument("group", metavar="GROUP", help="the group's name or URI")
    _json(people)


def _add_event_types(sub: Any, common: argparse.ArgumentParser) -> None:
    read, write = "users:read, event_types:read", "users:read, event_types:write"
    actions = _group(sub, common, "event-types", "the Calendly organization's event types", read)
    listing = _leaf(
        actions,
        common,
        "list",
        "event types: name, kind, duration, state",
        handlers.event_types_list,
        "event-types",
        read + " (and organizations:read with --user)",
    )
    listing.add_argument(
        "--user", metavar="EMAIL", default=None, help="only those this member hosts"
    )
    listing.add_argument("--active", action="store_true", help="only active ones")
    _json(listing)
    text = "one event type: kind, hosts, duration, URL, active"
    show = _leaf(actions, common, "show", text, handlers.event_types_show, "event-types", read)
    show.add_argument("event_type", metavar="NAME|SLUG|URI")
    create = _leaf(
        actions,
        common,
        "create",
        "create a one-on-one event type (idempotent by name and host)",
        handlers.event_types_create,
        "event-types",
        write + " (and organizations:read with --host)",
    )
    create.add_argument("--name", required=True)
    create.add_argument("--duration", type=int, required=True, metavar="MIN")
    create.add_argument("--host", metavar="EMAIL", default=None, help="default: the token's user")
    create.add_argument("--description", metavar="TEXT", default=None)


def _add_team_map(sub: Any, common: argparse.ArgumentParser) -> None:
    scopes = "users:read, groups:read"
    actions = _group(sub, common, "team-map", "the team map's Calendly groups", scopes)
    text = "write each calendly_group's member e-mails to <map stem>.lock.yaml next to the map"
    resolve = _leaf(actions, common, "resolve", text, handlers.team_map_resolve, "team-map", scopes)
    config_arg(resolve)
