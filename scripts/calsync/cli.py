"""Command line: parse flags and environment, wire the I/O, run one command, report once.

This is the only place that turns errors into a stderr line and an exit code, and the only
place that prints the JSON report that ends every run's stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NoReturn

from calsync import logs
from calsync.errors import CalSyncError, ConfigError, ExitCode

log = logging.getLogger("calsync")
DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config" / "team_map.yaml"
DEFAULT_API = "https://api.calendly.com"
SYNC_EVENTS = ("invitee.created", "invitee.canceled", "invitee_no_show.created",
               "invitee_no_show.deleted")  # fmt: skip


@dataclass
class Context:
    """What a command may touch: the environment and the three standard streams."""

    env: Mapping[str, str]
    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    report: dict[str, Any] = field(default_factory=dict)  # filled in as facts become known

    def say(self, line: str) -> None:
        """A human line on stdout (before the JSON report)."""
        print(logs.redact(line), file=self.stdout)


Handler = Callable[[argparse.Namespace, Context], dict[str, Any]]


def _handler(module: str, name: str) -> Handler:
    """Import a command's module only when it runs, so `sync` stays cheap to start."""

    def run(args: argparse.Namespace, ctx: Context) -> dict[str, Any]:
        import importlib

        func: Handler = getattr(importlib.import_module(module), name)
        return func(args, ctx)

    return run


class UsageError(CalSyncError):
    """Wrong flags or arguments (argparse's complaint, as one line)."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # `--since -2d` is a value, not an option: widen what argparse reads as a negative
        # number (a relative time such as -2d, -12h) so no `=` is needed.
        self._negative_number_matcher = re.compile(r"^-\d+(\.\d+)?[smhdw]?$")

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="calendly_gcal.py",
        description="Put Calendly bookings on team Google Calendars, exactly once.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more detail on stderr (-vv for debug); never personal data")  # fmt: skip
    # -v also after the command (`sync -vv`); SUPPRESS keeps an absent one from resetting it
    common = _Parser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sync = sub.add_parser("sync", parents=[common], help="process one Calendly webhook delivery")
    sync.add_argument("--payload", metavar="PATH|-",
                      help="webhook JSON file, or - for stdin (default: $CALENDLY_PAYLOAD, "
                           "then $TRIGGER_PAYLOAD)")  # fmt: skip
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
    sync.set_defaults(func=_handler("calsync.commands", "sync"))

    check = sub.add_parser(
        "validate-config", parents=[common], help="check the team map and list every problem"
    )
    _config_arg(check)
    _report_arg(check)
    check.set_defaults(func=_handler("calsync.commands", "validate_config"))

    who = sub.add_parser(
        "whoami", parents=[common], help="the Calendly user and organization of CALENDLY_TOKEN"
    )
    who.set_defaults(func=_handler("calsync.calendly_cmds", "whoami"))

    hooks = sub.add_parser("webhooks", parents=[common], help="list, create or delete Calendly webhook "
                           "subscriptions").add_subparsers(dest="webhooks_command",
                                                           required=True, metavar="ACTION")  # fmt: skip
    listing = hooks.add_parser(
        "list", parents=[common], help="every subscription, following pagination"
    )
    _scope_arg(listing)
    listing.add_argument("--json", action="store_true", help="print the raw subscriptions")
    listing.set_defaults(func=_handler("calsync.calendly_cmds", "webhooks_list"))
    create = hooks.add_parser("create", parents=[common], help="subscribe a URL (idempotent)")
    create.add_argument("--url", required=True, help="the GitLab pipeline trigger URL")
    _scope_arg(create)
    create.add_argument("--events", nargs="+", default=list(SYNC_EVENTS), metavar="EVENT",
                        help="default: the events sync handles")  # fmt: skip
    create.add_argument("--signing-key", default=None, help="optional webhook signing key")
    create.set_defaults(func=_handler("calsync.calendly_cmds", "webhooks_create"))
    delete = hooks.add_parser("delete", parents=[common], help="delete one subscription")
    delete.add_argument("subscription", metavar="URI|UUID")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(func=_handler("calsync.calendly_cmds", "webhooks_delete"))

    rec = sub.add_parser("reconcile", parents=[common], help="bring team calendars in line with Calendly's "
                         "scheduled events in a time window")  # fmt: skip
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
    rec.set_defaults(func=_handler("calsync.reconcile", "command"))
    return parser


def _config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="team map YAML (default: $CALSYNC_CONFIG or config/team_map.yaml)",
    )


def _scope_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", choices=("organization", "user"), default="organization")


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


def main(argv: Sequence[str] | None = None, *, env: Mapping[str, str] | None = None,
         stdin: IO[str] | None = None, stdout: IO[str] | None = None,
         stderr: IO[str] | None = None) -> int:  # fmt: skip
    """Run one command; return the exit code (0 done/skipped, 2 bad input, 1 transient)."""
    ctx = Context(env=os.environ if env is None else env, stdin=stdin or sys.stdin,
                  stdout=stdout or sys.stdout, stderr=stderr or sys.stderr)  # fmt: skip
    logs.setup(0, ctx.stderr)
    logs.protect_env(ctx.env)
    args: argparse.Namespace | None = None
    try:
        args = build_parser().parse_args(argv)
        logs.setup(args.verbose, ctx.stderr)
        ctx.report["command"] = args.command + (
            f" {args.webhooks_command}" if args.command == "webhooks" else ""
        )
        report = {**ctx.report, **args.func(args, ctx)}
        code = ExitCode.OK
    except CalSyncError as err:
        code = err.exit_code
        message = logs.redact(str(err))
        print(f"error: {message}", file=ctx.stderr)
        for problem in err.problems if isinstance(err, ConfigError) else ():
            print(f"  {logs.redact(problem)}", file=ctx.stderr)
        report = {**ctx.report, "action": "error", "reason": message}
    except SystemExit:  # --help (argparse printed it); usage errors come as UsageError
        code, report = ExitCode.OK, {**ctx.report, "action": "help", "reason": "usage shown"}
    except KeyboardInterrupt:
        print("error: interrupted", file=ctx.stderr)
        code, report = (
            ExitCode.TRANSIENT,
            {**ctx.report, "action": "error", "reason": "interrupted"},
        )
    except Exception as err:  # a bug: say so in one line, details only with -v
        log.debug("unexpected error", exc_info=True)
        print(f"error: internal error ({type(err).__name__}); rerun with -vv for details",
              file=ctx.stderr)  # fmt: skip
        code = ExitCode.TRANSIENT
        report = {
            **ctx.report,
            "action": "error",
            "reason": f"internal error ({type(err).__name__})",
        }
    report["exit_code"] = int(code)
    line = logs.redact(json.dumps(report, sort_keys=False, ensure_ascii=False))
    report_file = getattr(args, "report_file", None) if args is not None else None
    if report_file is not None:
        _write_report(report_file, line, ctx)
    print(line, file=ctx.stdout)
    return int(code)


def _write_report(path: Path, line: str, ctx: Context) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(line + "\n", encoding="utf-8")
    except OSError as err:
        print(f"warning: cannot write the report file ({type(err).__name__})", file=ctx.stderr)
