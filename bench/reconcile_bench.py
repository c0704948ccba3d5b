"""Benchmark: `reconcile` of 2,000 bookings against the local fakes (Calendly and Google on loopback).

Two runs over the same window: a cold one (every event is missing, so everything is created) and a
steady-state one (nothing changed, nothing written). For each: wall time, HTTP requests received by
the fake Google (token, listings, batches) and by the fake Calendly, and the report's counts.

    python bench/reconcile_bench.py [N]
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "scripts", ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

TOKEN = "bench-calendly-token"
CALENDARS = ("c_usgov@group.calendar.google.com", "c_global@group.calendar.google.com")


def _seed(calendly: Any, n: int) -> None:
    """n scheduled events over the next 60 days: a third US Government calls hosted by a team
    member, every 10th a group meeting, every 20th canceled, every 25th routed to no team."""
    now = datetime.now(UTC)
    for i in range(n):
        start = (now + timedelta(minutes=30 * i % (60 * 24 * 60), hours=1)).replace(microsecond=0)
        usgov = i % 3 == 0
        name = "Sales demo" if i % 25 == 0 else "US Federal call" if usgov else "Support call"
        host = "agent.one@example.com" if usgov else "engineer@example.com"
        group = i % 10 == 0
        canceled = i % 20 == 0
        event = calendly.make_event(
            start_time=start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            name=name,
            status="canceled" if canceled else "active",
            invitees_counter={"total": 3, "active": 2, "limit": 8} if group else None,
            event_memberships=[
                {
                    "user": f"{calendly.base_url}/users/U{i % 7}",
                    "user_email": host,
                    "user_name": host.split("@", maxsplit=1)[0],
                }
            ],
        )
        if not group:
            event["invitees_counter"] = {"total": 1, "active": 0 if canceled else 1, "limit": 1}
        calendly.add_scheduled_event(event)


def _reconcile(env: dict[str, str], calendly: Any, google: Any) -> dict[str, Any]:
    from calsync import cli

    google_before, calendly_before = google.http_requests, len(calendly.requests)
    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    code = cli.main(
        ["reconcile", "--since=-1d", "--until", "+61d"],
        env=env,
        stdin=io.StringIO(),
        stdout=out,
        stderr=err,
    )
    wall = time.perf_counter() - started
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    if code != 0:
        raise RuntimeError(f"reconcile failed ({code}): {err.getvalue().strip()}")
    return {
        "wall_s": round(wall, 3),
        "google_http_requests": google.http_requests - google_before,
        "calendly_requests": len(calendly.requests) - calendly_before,
        "counts": report["counts"],
    }


def run(n: int = 2000) -> dict[str, Any]:
    """Reconcile n bookings twice (cold, then steady state); return the figures."""
    from fakes.calendly_server import FakeCalendly
    from fakes.google_server import FakeGoogle, write_service_account_file

    with (
        FakeCalendly(token=TOKEN, page_size=100) as calendly,
        FakeGoogle() as google,
        tempfile.TemporaryDirectory() as tmp,
    ):
        for calendar_id in CALENDARS:
            google.add_calendar(calendar_id)
        key = write_service_account_file(Path(tmp) / "sa.json", token_uri=google.token_uri)
        env = {
            "CALENDLY_TOKEN": TOKEN,
            "CALENDLY_API_URL": calendly.base_url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_CALENDAR_API_ENDPOINT": google.base_url,
        }
        _seed(calendly, n)
        cold = _reconcile(env, calendly, google)
        steady = _reconcile(env, calendly, google)
    return {"bookings": n, "cold": cold, "steady_state": steady}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    result = run(n)
    print(f"reconcile of {result['bookings']} bookings against the local fakes")
    for label in ("cold", "steady_state"):
        fig = result[label]
        counts = ", ".join(f"{v} {k}" for k, v in fig["counts"].items())
        print(
            f"  {label:<12} wall {fig['wall_s']:.2f} s, Google HTTP requests "
            f"{fig['google_http_requests']}, Calendly requests {fig['calendly_requests']} "
            f"({counts})"
        )


if __name__ == "__main__":
    main()
