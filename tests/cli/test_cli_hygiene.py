"""CLI hygiene: --version, a closed pipe, no ANSI codes off a terminal, truthful dry runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import calsync
from builders import webhook
from conftest import ROOT, run_cli

SCRIPT = ROOT / "scripts" / "calendly_gcal.py"
MAP = """\
version: 1
teams:
  global:
    calendar_id: {cal}
routes:
  - team: global
    event_name_contains: ["Support"]
"""


def test_version_is_single_and_agrees_with_pyproject(capsys):
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert calsync.__version__ == pyproject["project"]["version"]
    assert run_cli(["--version"], {}).code == 0
    assert capsys.readouterr().out == f"calendly_gcal.py {calsync.__version__}\n"


def test_closed_pipe_exits_quietly(tmp_path: Path):
    """`explain ... | head -1` with far more output than a pipe holds: no traceback."""
    routes = "".join(  # ~160 bytes of explanation each: 1000 make 2.5 times a 64 KiB pipe
        f'  - team: global\n    event_name_contains: ["Nothing {i}"]\n' for i in range(1000)
    )
    config = tmp_path / "map.yaml"
    config.write_text(MAP.format(cal="c_global@group.calendar.google.com") + routes)
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(webhook()))
    command = (
        f"set -o pipefail; {sys.executable} {SCRIPT} explain --payload {payload} "
        f"--config {config} | head -1"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout.startswith("invitee.created for meeting ")


def test_demo_bolds_only_on_a_terminal_without_no_color():
    text = (ROOT / "samples" / "demo.sh").read_text()
    assert re.search(r'\[\[ -t 1 && -z "\$\{NO_COLOR:-\}" \]\]', text)
    assert "\\033" not in text.split("then", 1)[1].split("\n", 1)[1]


def test_default_ics_file_is_ignored_by_git():
    assert "team-calendars.ics" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.fixture
def config(tmp_path: Path):
    def write(cal: str) -> Path:
        path = tmp_path / "map.yaml"
        path.write_text(MAP.format(cal=cal))
        return path

    return write


def test_dry_run_says_would_create(sync, config, fake_google):
    cal = "c_global@group.calendar.google.com"
    result = sync(webhook(), "--dry-run", "--config", str(config(cal)))
    assert result.code == 0, result.err
    assert result.report["action"] == "created"
    assert result.report["dry_run"] is True
    assert result.report["reason"].startswith("would create: booked in Calendly")
    assert result.out.startswith(f"dry run on {cal} (team global): would create: ")
    assert fake_google.events(cal, include_deleted=True) == []


def test_dry_run_fails_on_a_missing_calendar_like_the_real_run(sync, config, fake_google):
    """A calendar that does not exist or is not shared: exit 2 and the same message."""
    cal = "c_unshared@group.calendar.google.com"
    path = str(config(cal))
    dry = sync(webhook(), "--dry-run", "--config", path)
    real = sync(webhook(), "--config", path)
    assert (dry.code, real.code) == (2, 2), (dry.err, real.err)
    assert dry.err == real.err
    assert f"calendar {cal} not found, or not shared with" in dry.err
    for result in (dry, real):  # the error report keeps what was known
        assert (result.report["team"], result.report["calendar_id"]) == ("global", cal)


def test_dry_run_fails_on_a_calendar_that_refuses_us(sync, config, fake_google):
    cal = "c_readonly@group.calendar.google.com"
    fake_google.add_calendar(cal)
    fake_google.deny(cal)
    dry = sync(webhook(), "--dry-run", "--config", str(config(cal)))
    assert dry.code == 2
    assert f"Google Calendar API 403 (forbidden) on calendar {cal}" in dry.err
    assert (dry.report["team"], dry.report["calendar_id"]) == ("global", cal)
