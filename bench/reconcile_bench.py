"""Benchmark: `reconcile` of 2,000 and 10,000 bookings against the local fakes (loopback).

For each size, two runs over the same window: a cold one (every event is missing, so everything
is created) and a steady-state one (nothing changed, nothing written). Each run is a child
process (the fakes stay in this one), which reports its wall time, its own CPU time, its peak
resident memory (VmHWM); a third run, steady state again with tracemalloc (tracing slows it
and costs memory itself), gives the peak of the Python allocations made during the run (the libraries loaded before). The
fakes count the requests they received.
Wall time includes the fakes' own work (they scan every stored event on each request, so they
grow faster than linearly); the child's CPU time is the script's own cost.

    python bench/reconcile_bench.py [N ...]
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
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
ARGV = ["reconcile", "--since=-1d", "--until", "+61d"]


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


def child(trace: bool) -> None:
    """In the child process: one reconcile run; print its figures as one JSON line."""
    import tracemalloc

    from calsync import cli

    if trace:  # the Google client's import is not the run's working memory: load it first
        import calsync.adapters.google_batch  # noqa: F401

        tracemalloc.start()
    out, err = io.StringIO(), io.StringIO()
    cpu, started = time.process_time(), time.perf_counter()
    code = cli.main(ARGV, env=dict(os.environ), stdin=io.StringIO(), stdout=out, stderr=err)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if code != 0:
        raise SystemExit(f"reconcile failed ({code}): {err.getvalue().strip()}")
    report = json.loads(out.getvalue().strip().splitlines()[-1])
    figures = {"wall_s": wall, "cpu_s": cpu, "maxrss_mib": _peak_rss_kib() / 1024}
    print(json.dumps({**figures, "traced_peak_mib": peak / 2**20, "counts": report["counts"]}))


def _peak_rss_kib() -> int:
    """This process's peak resident memory. Linux's ru_maxrss survives exec, so a child started
    by a big parent would report the parent's; VmHWM belongs to the process's own memory map."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        return int(
            next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reconcile(env: dict[str, str], calendly: Any, google: Any, *, trace: bool) -> dict[str, Any]:
    google_before, calendly_before = google.http_requests, len(calendly.requests)
    argv = [sys.executable, __file__, "--child"] + (["--trace"] if trace else [])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip()[-2000:])
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["google_requests"] = google.http_requests - google_before
    figures["calendly_requests"] = len(calendly.requests) - calendly_before
    return figures


def run(n: int) -> dict[str, Any]:
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
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "PYTHONPATH": os.pathsep.join([str(ROOT / "scripts"), str(ROOT / "tests")]),
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
            "CALENDLY_TOKEN": TOKEN,
            "CALENDLY_API_URL": calendly.base_url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_CALENDAR_API_ENDPOINT": google.base_url,
        }
        _seed(calendly, n)
        cold = _reconcile(env, calendly, google, trace=False)
        steady = _reconcile(env, calendly, google, trace=False)
        steady["traced_peak_mib"] = _reconcile(env, calendly, google, trace=True)["traced_peak_mib"]
    return {"bookings": n, "cold": cold, "steady state": steady}


def main(sizes: list[int]) -> None:
    print("reconcile against the local fakes (each run a child process):")
    print(
        f"  {'bookings':>8} {'run':<12} {'wall s':>7} {'cpu s':>6} {'Calendly':>8} {'Google':>6}"
        f" {'peak RSS MiB':>12} {'traced peak MiB':>15}  counts"
    )
    for n in sizes:
        result = run(n)
        for label in ("cold", "steady state"):
            fig = result[label]
            counts = ", ".join(f"{v} {k}" for k, v in fig["counts"].items() if v)
            peak = f"{fig['traced_peak_mib']:.1f}" if fig["traced_peak_mib"] else "-"
            print(
                f"  {n:>8} {label:<12} {fig['wall_s']:7.2f} {fig['cpu_s']:6.2f} "
                f"{fig['calendly_requests']:>8} {fig['google_requests']:>6} "
                f"{fig['maxrss_mib']:>12.1f} {peak:>15}  {counts}"
            )


if __name__ == "__main__":
    if "--child" in sys.argv:
        child(trace="--trace" in sys.argv)
    else:
        main([int(a) for a in sys.argv[1:]] or [2000, 10000])
