"""Benchmark: Google requests per delivery, by scenario, against the local fake Google server.

Each scenario is one `sync` run of the CLI (in this process, a fresh token each time) on the
shipped team map; the fake server's request log names each request (token, insert, get, ...).
Targets (issue "Cost per delivery"): new booking 2, replay <= 3, update <= 3, cancel <= 3,
skipped booking 0. Printed, never asserted (tests/commands/test_sync_requests.py asserts them).

    python bench/requests_bench.py
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "scripts", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

CALENDARS = ("c_usgov@group.calendar.google.com", "c_global@group.calendar.google.com")
TARGETS = {"new booking": 2, "replay": 3, "update": 3, "cancel": 3, "skip": 0}


def scenarios() -> list[tuple[str, str, dict[str, Any]]]:
    """(target, label, webhook body), in the order they are sent."""
    from builders import T0, webhook

    def at(minutes: int) -> dict[str, Any]:
        return {"at": T0 + timedelta(minutes=minutes)}

    group = {"event": "EVBENCHGROUP01", "name": "Support office hours", "limit": 5}
    second = {**group, "invitee": "INVBENCH000002"}
    new = webhook(event="EVBENCHSINGLE1")
    return [
        ("new booking", "one-on-one booking", new),
        ("new booking", "first invitee of a group meeting", webhook(**group, active=1)),
        ("replay", "the one-on-one booking again", new),
        ("update", "a second invitee joins the group", webhook(**second, active=2, **at(5))),
        (
            "update",
            "the second invitee cancels (meeting stays)",
            webhook("invitee.canceled", **second, active=1, **at(9)),
        ),
        (
            "update",
            "no-show mark",
            webhook("invitee_no_show.created", event="EVBENCHSINGLE1", no_show=True, **at(5)),
        ),
        (
            "cancel",
            "one-on-one canceled",
            webhook("invitee.canceled", event="EVBENCHSINGLE1", **at(10)),
        ),
        ("skip", "a booking no route wants", webhook(event="EVBENCHSALES01", name="Sales demo")),
    ]


def run() -> list[tuple[str, str, str, list[str]]]:
    """(target, label, action, request kinds) per scenario."""
    from calsync import cli
    from fakes.google_server import FakeGoogle, write_service_account_file

    rows = []
    with FakeGoogle() as google, tempfile.TemporaryDirectory() as tmp:
        for calendar_id in CALENDARS:
            google.add_calendar(calendar_id)
        key = write_service_account_file(Path(tmp) / "sa.json", token_uri=google.token_uri)
        env = {
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_CALENDAR_API_ENDPOINT": google.base_url,
            "CALSYNC_BACKEND": "google",
        }
        payload = Path(tmp) / "payload.json"
        config = str(ROOT / "config" / "team_map.yaml")
        for target, label, body in scenarios():
            payload.write_text(json.dumps(body), encoding="utf-8")
            google.reset_log()
            out, err = io.StringIO(), io.StringIO()
            argv = ["sync", "--payload", str(payload), "--config", config]
            code = cli.main(argv, env=env, stdin=io.StringIO(), stdout=out, stderr=err)
            if code != 0:
                raise RuntimeError(f"{label}: exit {code}: {err.getvalue().strip()}")
            action = json.loads(out.getvalue().strip().splitlines()[-1])["action"]
            rows.append((target, label, action, google.kinds()))
    return rows


def main() -> None:
    print("Google requests per delivery (fake Google server, a fresh token each run):")
    for target, label, action, kinds in run():
        goal = TARGETS[target]
        mark = "ok" if len(kinds) <= goal else f"OVER (target {goal})"
        shown = ", ".join(kinds) or "none"
        print(f"  {target:<11} {label:<42} {action:<9} {len(kinds)} [{shown}] {mark}")


if __name__ == "__main__":
    main()
