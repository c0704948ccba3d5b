"""Command line of the fake Calendly API, for runs of the real pipeline (`make pipeline`).

Run it as ``python tests/fakes/calendly_server.py ...``: once it listens it prints its base URL
and writes ``{"base_url", "organization", "user"}`` as JSON to --ready-file (atomically), then
serves until SIGINT/SIGTERM.

--booking PATH (repeatable): a webhook body whose meeting and invitee the fake then knows, so
that a delivery of it passes verification. Its ``https://api.calendly.com`` URIs are moved to
the fake's base URL: the caller moves the delivery it sends the same way.
--subscription URL (repeatable): an active organization webhook subscription to URL, for the
events sync handles (what `webhooks create` makes), so that `doctor` finds one.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path
from types import FrameType

from fakes.calendly_server import FakeCalendly

REAL_API = "https://api.calendly.com"
SYNC_EVENTS = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
]


def learn_booking(fake: FakeCalendly, path: Path) -> None:
    """Make the fake know the meeting and the invitee of the webhook body at `path`."""
    text = path.read_text(encoding="utf-8").replace(REAL_API, fake.base_url)
    invitee = json.loads(text)["payload"]
    fake.add_scheduled_event(invitee.pop("scheduled_event"))
    fake.add_invitee(invitee)


def subscribe(fake: FakeCalendly, url: str) -> None:
    body = {
        "url": url,
        "events": SYNC_EVENTS,
        "organization": fake.organization_uri,
        "scope": "organization",
    }
    with fake.lock:
        fake._create_subscription(body)  # seeding, as a POST would


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fake Calendly API v2 on loopback.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--ready-file", type=Path, help="write the base URL here once listening")
    parser.add_argument("--booking", type=Path, action="append", default=[], help="webhook body")
    parser.add_argument("--subscription", action="append", default=[], metavar="URL")
    args = parser.parse_args(argv)
    fake = FakeCalendly(token=args.token, page_size=args.page_size, port=args.port)
    for path in args.booking:
        learn_booking(fake, path)
    for url in args.subscription:
        subscribe(fake, url)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with fake:
        print(fake.base_url, flush=True)
        if args.ready_file is not None:
            tmp = args.ready_file.with_name(args.ready_file.name + ".tmp")
            ready = {
                "base_url": fake.base_url,
                "organization": fake.organization_uri,
                "user": fake.user["uri"],
            }
            tmp.write_text(json.dumps(ready) + "\n")
            tmp.replace(args.ready_file)
        while not stop.wait(0.2):
            pass
