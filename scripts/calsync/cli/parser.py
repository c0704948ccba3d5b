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
from calsync.cli.parser_admin import add_admin
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


def _add_sync(sub: Any, common: argparse.ArgumentParser) -> None:
    sync = sub.add_parser("sync", parents=[common], help="process one Calendly webhook delivery")
    sync.add_argument(
        "--payload",
        metavar="PATH|-",
        help="webhook JSON file, or - for stdin (default: $CALENDLY_PAYLOAD, then $TRIGGER_PAYLOAD)",
    )
    _config_arg(sync)
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
    _google_args(sync)
    _report_arg(sync)
    sync.set_defaults(func=handlers.sync)


def _add_validate(sub: Any, common: argparse.ArgumentParser) -> None:
    check = sub.add_parser(
        "validate-config", parents=[common], help="check the team map and list every problem"
    )
    _config_arg(check)
    check.add_argument(
        "--online",
        action="store_true",
        help="also check against Calendly (CALENDLY_TOKEN; scopes users:read, "
        "organizations:read, groups:read, event_types:read): members active, groups exist, "
        "event_name_contains phrases in some active event type's name",
    )
    _report_arg(check)
    check.set_defaults(func=handlers.validate_config)


def _add_explain(sub: Any, common: argparse.ArgumentParser) -> None:
    why = sub.add_parser(
        "explain",
        parents=[common],
        help="show which route a payload matches and why (no credentials, no network)",
    )
    why.add_argument(
        "--payload", metavar="PATH|-", required=True, help="webhook JSON file, or - for stdin"
    )
    _config_arg(why)
    why.add_argument(
        "--json", action="store_true", help="routes and decision as data in the report line"
    )
    why.set_defaults(func=handlers.explain)


def _add_doctor(sub: Any, common: argparse.ArgumentParser) -> None:
    doc = sub.add_parser(
        "doctor",
        parents=[common],
        help="check the deployment before the first booking (writes nothing)",
        description="Check the team map, the Google credentials, every team calendar's "
        "sharing, CALENDLY_TOKEN and the webhook subscription; one line per check, ok or "
        "FAIL with the fix. Exit 0 all passed, 2 misconfigured, 1 a service unreachable.",
    )
    _config_arg(doc)
    doc.add_argument(
        "--json", action="store_true", help="the checks as data in the report line, no lines"
    )
    _google_args(doc)
    _report_arg(doc)
    doc.set_defaults(func=handlers.doctor)


def _add_calendly(sub: Any, common: argparse.ArgumentParser) -> None:
    who = sub.add_parser(
        "whoami", parents=[common], help="the Calendly user and organization of CALENDLY_TOKEN"
    )
    who.set_defaults(func=handlers.whoami)
    hooks = sub.add_parser(
        "webhooks", parents=[common], help="list, create or delete Calendly webhook subscriptions"
    ).add_subparsers(dest="webhooks_command", required=True, metavar="ACTION")
    listing = hooks.add_parser(
        "list", parents=[common], help="every subscription, following pagination"
    )
    _scope_arg(listing)
    listing.add_argument("--json", action="store_true", help="print the raw subscriptions")
    listing.set_defaults(func=handlers.webhooks_list)
    create = hooks.add_parser("create", parents=[common], help="subscribe a URL (idempotent)")
    create.add_argument("--url", required=True, help="the GitLab pipeline trigger URL")
    _scope_arg(create)
    create.add_argument(
        "--events",
        nargs="+",
        default=list(SYNC_EVENTS),
        metavar="EVENT",
        help="default: the events sync handles",
    )
    create.add_argument("--signing-key", default=None, help="optional webhook signing key")
    create.set_defaults(func=handlers.webhooks_create)
    delete = hooks.add_parser("delete", parents=[common], help="delete one subscription")
    delete.add_argument("subscription", metavar="URI|UUID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=handlers.webhooks_delete)


def _add_reconcile(sub: Any, common: argparse.ArgumentParser) -> None:
    rec = sub.add_parser(
        "reconcile",
        parents=[common],
        help="bring team calendars in line with Calendly's scheduled events in a time window",
    )
    rec.add_argument(
        "--since", required=True, help="window start: ISO date/time, or relative like -2d, -12h"
    )
    rec.add_argument("--until", default=None, help="window end (default: +90d)")
    rec.add_argument("--dry-run", action="store_true", default=None, help="report drift only")
    _config_arg(rec)
    _google_args(rec)
    rec.add_argument(
        "--batch-uri",
        default=None,
        help="Google batch endpoint (default: derived from the API endpoint)",
    )
    _report_arg(rec)
    rec.set_defaults(func=handlers.reconcile)


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="team map YAML (default: $CALSYNC_CONFIG or config/team_map.yaml)",
    )


def _scope_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", choices=("organization", "user", "group"), default="organization")
    p.add_argument(
        "--group", metavar="URI", default=None, help="the Calendly group URI (with --scope group)"
    )


def _report_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--report-file",
        type=Path,
        default=None,
        help="also write the JSON report here (a CI artifact)",
    )


def _google_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds per HTTP request (default: %(default)s)",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=5,
        help="retries of a failing Google request, with backoff (default: %(default)s)",
    )
