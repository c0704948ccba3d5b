"""The options more than one command takes, each added the same way wherever it appears."""

from __future__ import annotations

import argparse
from pathlib import Path


def config_arg(p: argparse.ArgumentParser) -> None:
    _path_arg(p, "--config", "team map YAML (default: $CALSYNC_CONFIG or config/team_map.yaml)")


def report_arg(p: argparse.ArgumentParser) -> None:
    _path_arg(p, "--report-file", "also write the JSON report here (a CI artifact)")


def _path_arg(p: argparse.ArgumentParser, flag: str, text: str) -> None:
    p.add_argument(flag, type=Path, default=None, help=text)


def scope_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", choices=("organization", "user", "group"), default="organization")
    p.add_argument(
        "--group", metavar="URI", default=None, help="the Calendly group URI (with --scope group)"
    )


def google_args(p: argparse.ArgumentParser, *, batch_uri: bool = False) -> None:
    """The last options of a command that calls Google: --timeout, --retries, (reconcile)
    --batch-uri, then --report-file."""
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
    if batch_uri:
        p.add_argument(
            "--batch-uri",
            default=None,
            help="Google batch endpoint (default: derived from the API endpoint)",
        )
    report_arg(p)
