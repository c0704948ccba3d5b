"""The argument parser: one small builder per command, wired to the handlers in cli.handlers."""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from calsync import __version__
from calsync.cli import handlers
from calsync.cli.handlers import Handler
from calsync.cli.parser_admin import add_admin
from calsync.cli.parser_args import config_arg, google_args, report_arg, scope_arg
from calsync.core.errors import CalSyncError

SYNC_EVENTS = (
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
)
_RELATIVE = re.compile(r"-\d+(\.\d+)?[smhdw]")
_TAKES_TIME = ("--since", "--until")


class UsageError(CalSyncError):
    """Wrong flags or arguments (argparse's complaint, as one line)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line; `--since -2d` is read as `--since=-2d` (a value, not an option)."""
    joined: list[str] = []
    for arg in argv:
        if joined and joined[-1] in _TAKES_TIME and _RELATIVE.fullmatch(arg):
            joined[-1] = f"{joined[-1]}={arg}"
        else:
            joined.append(arg)
    # `sync` runs on every delivery: build its subcommand only (the others cost ~10 ms)
    return build_parser(only_sync=joined[:1] == ["sync"]).parse_args(joined)


@functools.cache  # built once per process (argparse spends ~10 ms on it; tests run it often)
def build_parser(*, only_sync: bool = False) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="calendly_gcal.py",
        description="Put Calendly bookings on team Google Calendars, exactly once.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbose = "more detail on stderr (-vv for debug); never personal data"
    parser.add_argument("-v", "--verbose", action="count", default=0, help=verbose)
    # -v also after the command (`sync -vv`); SUPPRESS keeps an absent one from resetting it
    common = _Parser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="count", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sync(sub, common)
    if only_sync:
        return parser
    _add_validate(sub, common)
    _add_explain(sub, common)
    _add_doctor(sub, common)
    _add_calendly(sub, common)
    _add_reconcile(sub, common)
    add_admin(sub, common)
    return parser


def _command(
    parent: Any, common: argparse.ArgumentParser, name: str, func: Handler, text: str, **more: Any
) -> argparse.ArgumentParser:
    """A (sub)command that runs `func`; `text` is its line in the parent's --help."""
    cmd: argparse.ArgumentParser = parent.add_parser(name, parents=[common], help=text, **more)
    cmd.set_defaults(func=func)
    return cmd


def _add_sync(sub: Any, common: argparse.ArgumentParser) -> None:
    sync = _command(sub, common, "sync", handlers.sync, "process one Calendly webhook delivery")
    sync.add_argument(
        "--payload",
        metavar="PATH|-",
        help="webhook JSON file, or - for stdin (default: $CALENDLY_PAYLOAD, then $TRIGGER_PAYLOAD)",
    )
    config_arg(sync)
    sync.add_argument(
        "--backend",
        choices=("google", "ics"),
        default=None,
        help="where the team calendars live (default: $CALSYNC_BACKEND or google)",
    )
    sync.add_argument(
        "--ics-file",
        type=Path,
        default=Path("team-calendars.ics"),
        help="the .ics file of the ics backend (default: %(default)s)",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        default=None,
        help="read and decide, write nothing (also $DRY_RUN=true)",
    )
    sync.add_argument(
        "--no-verify", action="store_true", help="trust the payload even when CALENDLY_TOKEN is set"
    )
    google_args(sync)


def _add_validate(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "check the team map and list every problem"
    check = _command(sub, common, "validate-config", handlers.validate_config, text)
    config_arg(check)
    check.add_argument(
        "--online",
        action="store_true",
        help="also check against Calendly (CALENDLY_TOKEN; scopes users:read, "
        "organizations:read, groups:read, event_types:read): members active, groups exist, "
        "event_name_contains phrases in some active event type's name",
    )
    report_arg(check)


def _add_explain(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "show which route a payload matches and why (no credentials, no network)"
    why = _command(sub, common, "explain", handlers.explain, text)
    why.add_argument(
        "--payload", metavar="PATH|-", required=True, help="webhook JSON file, or - for stdin"
    )
    config_arg(why)
    why.add_argument(
        "--json", action="store_true", help="routes and decision as data in the report line"
    )


def _add_doctor(sub: Any, common: argparse.ArgumentParser) -> None:
    doc = _command(
        sub,
        common,
        "doctor",
        handlers.doctor,
        "check the deployment before the first booking (writes nothing)",
        description="Check the team map, the Google credentials, every team calendar's "
        "sharing, CALENDLY_TOKEN and the webhook subscription; one line per check, ok or "
        "FAIL with the fix. Exit 0 all passed, 2 misconfigured, 1 a service unreachable.",
    )
    config_arg(doc)
    doc.add_argument(
        "--json", action="store_true", help="the checks as data in the report line, no lines"
    )
    google_args(doc)


def _add_calendly(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "the Calendly user and organization of CALENDLY_TOKEN"
    _command(sub, common, "whoami", handlers.whoami, text)
    hooks = sub.add_parser(
        "webhooks", parents=[common], help="list, create or delete Calendly webhook subscriptions"
    ).add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    text = "every subscription, following pagination"
    listing = _command(hooks, common, "list", handlers.webhooks_list, text)
    scope_arg(listing)
    listing.add_argument("--json", action="store_true", help="print the raw subscriptions")
    text = "subscribe a URL (idempotent)"
    create = _command(hooks, common, "create", handlers.webhooks_create, text)
    create.add_argument("--url", required=True, help="the GitLab pipeline trigger URL")
    scope_arg(create)
    create.add_argument(
        "--events",
        nargs="+",
        default=list(SYNC_EVENTS),
        metavar="EVENT",
        help="default: the events sync handles",
    )
    create.add_argument("--signing-key", default=None, help="optional webhook signing key")
    delete = _command(hooks, common, "delete", handlers.webhooks_delete, "delete one subscription")
    delete.add_argument("subscription", metavar="URI|UUID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _add_reconcile(sub: Any, common: argparse.ArgumentParser) -> None:
    text = "bring team calendars in line with Calendly's scheduled events in a time window"
    rec = _command(sub, common, "reconcile", handlers.reconcile, text)
    rec.add_argument(
        "--since", required=True, help="window start: ISO date/time, or relative like -2d, -12h"
    )
    rec.add_argument("--until", default=None, help="window end (default: +90d)")
    rec.add_argument("--dry-run", action="store_true", default=None, help="report drift only")
    config_arg(rec)
    google_args(rec, batch_uri=True)
