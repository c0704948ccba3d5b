"""Each command's entry point, imported when the command runs: the Google and Calendly HTTP
clients load only for the commands that use them, so a skipped delivery starts fast."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from calsync.commands.context import Context

Handler = Callable[[argparse.Namespace, Context], dict[str, Any]]


def sync(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import sync

    return sync.run(args, ctx)


def validate_config(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import validate

    return validate.run(args, ctx)


def explain(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import explain

    return explain.run(args, ctx)


def doctor(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import doctor

    return doctor.run(args, ctx)


def reconcile(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import reconcile

    return reconcile.run(args, ctx)


def whoami(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import webhooks

    return webhooks.whoami(args, ctx)


def webhooks_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import webhooks

    return webhooks.webhooks_list(args, ctx)


def webhooks_create(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import webhooks

    return webhooks.webhooks_create(args, ctx)


def webhooks_delete(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import webhooks

    return webhooks.webhooks_delete(args, ctx)


def members_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import members

    return members.list_members(args, ctx)


def members_invite(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import members

    return members.invite(args, ctx)


def members_remove(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import members

    return members.remove(args, ctx)


def invitations_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import invitations

    return invitations.list_invitations(args, ctx)


def invitations_revoke(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import invitations

    return invitations.revoke(args, ctx)


def groups_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import groups

    return groups.list_groups(args, ctx)


def groups_members(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import groups

    return groups.members(args, ctx)


def event_types_list(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import event_types

    return event_types.list_types(args, ctx)


def event_types_show(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import event_types

    return event_types.show(args, ctx)


def event_types_create(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import event_types

    return event_types.create(args, ctx)


def team_map_resolve(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
    from calsync.commands import team_map_resolve

    return team_map_resolve.run(args, ctx)
