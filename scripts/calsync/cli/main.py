"""Command line: parse flags, load Settings once, run one command, report once.

This is the only place that turns errors into a stderr line and an exit code, and the only
place that prints the JSON report that ends every run's stdout (`--help` and `--version`
print only themselves). A reader that closes stdout early (`| head -1`) changes nothing: the
command runs to its end and exits with its own code, quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

from calsync.cli import log_setup
from calsync.cli.parser import parse_args
from calsync.cli.settings import load_settings
from calsync.commands.context import Clock, Context
from calsync.core import redact
from calsync.core.errors import CalSyncError, ConfigError, ExitCode
from calsync.core.settings import Settings

log = logging.getLogger("calsync")


class Terminated(BaseException):
    """SIGTERM (GitLab cancelled the job or it timed out). A BaseException, like
    KeyboardInterrupt, so that no `except Exception` on the way can swallow it."""


def _on_sigterm(_signum: int, _frame: object) -> None:
    raise Terminated


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: IO[str] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    clock: Clock | None = None,
) -> int:
    """Run one command; return the exit code (0 done/skipped, 2 bad input, 1 transient).

    As the real process (`argv` None) a SIGTERM stops the run cleanly: report, exit 1.
    """
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if argv is None else None
    try:
        return _main(argv, env=env, stdin=stdin, stdout=stdout, stderr=stderr, clock=clock)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(
    argv: Sequence[str] | None,
    *,
    env: Mapping[str, str] | None,
    stdin: IO[str] | None,
    stdout: IO[str] | None,
    stderr: IO[str] | None,
    clock: Clock | None,
) -> int:
    ctx = Context(
        settings=Settings(),
        stdin=stdin or sys.stdin,
        stdout=stdout or sys.stdout,
        stderr=stderr or sys.stderr,
        clock=clock or Clock(),
    )
    log_setup.setup(0, ctx.stderr)
    redact.reset()
    args: argparse.Namespace | None = None
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        ctx.settings = load_settings(args, env)
        redact.reset(ctx.settings.secrets)
        log_setup.setup(args.verbose, ctx.stderr)
        action = getattr(args, "webhooks_command", None) or getattr(args, "action", None)
        ctx.report["command"] = args.command + (f" {action}" if action else "")
        report = {**ctx.report, **args.func(args, ctx)}
        code = ExitCode.OK
    except CalSyncError as err:
        code = err.exit_code
        message = _printable(redact.redact(str(err)))
        print(f"error: {message}", file=ctx.stderr)
        for problem in err.problems if isinstance(err, ConfigError) else ():
            print(f"  {redact.redact(problem)}", file=ctx.stderr)
        report = {**ctx.report, "action": "error", "reason": message}
    except SystemExit:  # --help or --version: argparse printed it, and that is the output
        return int(ExitCode.OK)  # usage errors come as UsageError, with a report
    except (KeyboardInterrupt, Terminated) as err:
        why = "terminated (SIGTERM)" if isinstance(err, Terminated) else "interrupted"
        print(f"error: {why}; the run stopped cleanly, a rerun finishes it", file=ctx.stderr)
        code = ExitCode.TRANSIENT
        report = {**ctx.report, "action": "error", "reason": why}
    except Exception as err:  # a bug: say so in one line, details only with -v
        log.debug("unexpected error", exc_info=True)
        name = type(err).__name__
        print(f"error: internal error ({name}); rerun with -vv for details", file=ctx.stderr)
        code = ExitCode.TRANSIENT
        report = {**ctx.report, "action": "error", "reason": f"internal error ({name})"}
    report["exit_code"] = int(code)
    # redacted field by field, then serialized: the line is always valid JSON
    line = json.dumps(redact.redact_report(report), sort_keys=False, ensure_ascii=False)
    report_file = getattr(args, "report_file", None) if args is not None else None
    if report_file is not None:
        _write_report(report_file, line, ctx)
    with contextlib.suppress(BrokenPipeError):  # `| head -1`: the reader left; the work stands
        print(line, file=ctx.stdout)
    return int(code)


def _printable(text: str) -> str:
    """Text that any UTF-8 stream can take (a lone surrogate becomes '?')."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _write_report(path: Path, line: str, ctx: Context) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(line + "\n", encoding="utf-8")
    except OSError as err:
        print(f"warning: cannot write the report file ({type(err).__name__})", file=ctx.stderr)
