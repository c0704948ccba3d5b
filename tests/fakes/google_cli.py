"""Command line of the fake Google server, for pipeline tests.

Run it as ``python tests/fakes/google_server.py ...`` (see that module's docstring):
prints base_url, serves until SIGTERM/SIGINT, writes --dump at exit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

try:
    from . import google_server as server
except ImportError:  # run as a script: python tests/fakes/google_server.py
    import google_server as server  # type: ignore[import-not-found,no-redef]


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake Google Calendar + OAuth server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--calendar", action="append", default=[], help="ID or ID=ROLE; repeatable")
    parser.add_argument("--ready-file", type=Path, help="gets base_url once serving")
    parser.add_argument("--dump", type=Path, help="JSON of events + request log, at exit")
    parser.add_argument("--service-account-file", type=Path, help="write a key for us")
    parser.add_argument("--strip-deleted", action="store_true")
    parser.add_argument(
        "--strict-deleted",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"default: {server.STRICT_DELETED_DEFAULT}",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    args = parser.parse_args(argv)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    fake = server.FakeGoogle(
        strict_deleted=args.strict_deleted,
        strip_deleted=args.strip_deleted,
        latency=args.latency,
        port=args.port,
    ).start()
    try:
        for calendar in args.calendar:
            calendar_id, _, role = calendar.partition("=")
            fake.add_calendar(calendar_id, role or "owner")
        if args.service_account_file:
            server.write_service_account_file(args.service_account_file, token_uri=fake.token_uri)
        print(fake.base_url, flush=True)
        if args.ready_file:
            _write_atomic(args.ready_file, fake.base_url + "\n")
        while not done.wait(0.2):
            pass
    finally:
        if args.dump:
            _write_atomic(args.dump, json.dumps(fake.dump(), indent=2))
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
