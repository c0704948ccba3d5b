"""Many deliveries of one meeting at the same time: no lock, and the calendar still ends where
in-order delivery ends. Real processes (the CLI) against the fake Google server with added
latency, and against one .ics file; every trial starts them all at once.

A job that exits 1 (it lost too many races) is rerun, as GitLab's `retry:` would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import GLOBAL, ROOT, run_cli
from histories import GROUP, Action, Meeting, deliveries

pytestmark = pytest.mark.slow
TRIALS = int(os.environ.get("CONCURRENCY_TRIALS", "3"))
TEAM_MAP = """
version: 1
teams:
  support:
    calendar_id: {calendar}
routes:
  - team: support
    event_name_contains: ["Support"]
"""
FLOW = [
    Action("book", "G1", "A"),
    Action("book", "G1", "B"),
    Action("book", "G1", "C"),
    Action("cancel", "G1", "B"),
    Action("no_show", "G1", "C"),
    Action("book", "G1", "D"),
]


def _bodies() -> list[dict[str, Any]]:
    meetings = {"G1": Meeting("G1", GROUP, 5, name="Support Office Hours")}
    bodies = deliveries(FLOW, meetings)
    return bodies + bodies[:3]  # and some duplicates


def _run_all(paths: list[Path], argv: list[str], env: dict[str, str]) -> None:
    """Start one CLI process per payload at once; rerun those that exit 1 until done."""
    todo = list(paths)
    for _ in range(5):
        procs = [
            subprocess.Popen(
                [sys.executable, "scripts/calendly_gcal.py", "sync", "--payload", str(p), *argv],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for p in todo
        ]
        again = []
        for path, proc in zip(todo, procs, strict=True):
            _, err = proc.communicate(timeout=120)
            assert proc.returncode in (0, 1), err
            if proc.returncode == 1:
                again.append(path)
        todo = again
        if not todo:
            return
    pytest.fail(f"{len(todo)} deliveries kept failing")


def _in_order(paths: list[Path], argv: list[str], env: dict[str, str]) -> None:
    """The same deliveries one after another, in this process: what the trials must end in."""
    for path in paths:
        result = run_cli(["sync", "--payload", str(path), *argv], env)
        assert result.code == 0, result.err


def _shown(events: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    keys = ("id", "summary", "description", "location")
    return sorted(
        tuple(str(e.get(k)) for k in keys) for e in events if e.get("status") != "cancelled"
    )


def _write(tmp_path: Path, bodies: list[dict[str, Any]]) -> list[Path]:
    paths = []
    for i, body in enumerate(bodies):
        path = tmp_path / f"delivery-{i}.json"
        path.write_text(json.dumps(body))
        paths.append(path)
    return paths


def _base_env(tmp_path: Path, calendar: str = GLOBAL) -> dict[str, str]:
    config = tmp_path / f"team_map-{calendar}.yaml"
    config.write_text(TEAM_MAP.format(calendar=calendar))
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {**keep, "PYTHONPATH": str(ROOT / "scripts"), "CALSYNC_CONFIG": str(config)}


def test_concurrent_deliveries_on_one_ics_file(tmp_path):
    """The .ics backend holds its file lock across read-plan-write."""
    from calsync.adapters.ics import IcsCalendar

    bodies = _bodies()
    env = _base_env(tmp_path)
    paths = _write(tmp_path, bodies)
    expected_file = tmp_path / "in-order.ics"
    _in_order(paths, ["--backend", "ics", "--ics-file", str(expected_file)], env)
    expected = _shown(IcsCalendar(expected_file).events(GLOBAL))
    assert expected, "the in-order run shows the meeting"
    for trial in range(TRIALS):
        ics = tmp_path / f"trial-{trial}.ics"
        _run_all(paths, ["--backend", "ics", "--ics-file", str(ics)], env)
        assert _shown(IcsCalendar(ics).events(GLOBAL)) == expected, trial


def test_concurrent_deliveries_on_google(tmp_path, fake_google, key_file):
    """Google: etags and If-Match (412 -> re-read, re-plan), client-chosen ids (409)."""
    bodies = _bodies()
    env = {
        **_base_env(tmp_path),
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "GOOGLE_CALENDAR_API_ENDPOINT": fake_google.base_url,
    }
    paths = _write(tmp_path, bodies)
    _in_order(paths, ["--backend", "google"], env)
    expected = _shown(fake_google.events(GLOBAL, include_deleted=True))
    assert expected, "the in-order run shows the meeting"
    fake_google.latency = 0.2  # wide read-plan-write windows: the jobs overlap
    for trial in range(TRIALS):
        calendar = f"c_trial{trial}@group.calendar.google.com"
        fake_google.add_calendar(calendar)
        env = {**env, **_base_env(tmp_path, calendar)}
        _run_all(paths, ["--backend", "google"], env)
        assert _shown(fake_google.events(calendar, include_deleted=True)) == expected, trial
