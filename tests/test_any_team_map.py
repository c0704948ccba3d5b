"""The suite passes with any valid map as the shipped team map: tests own their maps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

# Other team keys, calendar ids and routes than the tests' map, routes that match most of the
# tests' bookings ("Call", "Support", "Session"): a test that read this map would notice.
OPERATOR_MAP = """\
version: 1
teams:
  emea-billing:
    name: EMEA Billing
    calendar_id: emea.billing@corp.example
    members: [billing.lead@corp.example]
  apac:
    calendar_id: c_apac_9f2@group.calendar.google.com
routes:
  - team: emea-billing
    event_name_contains: ["Invoice", "Support"]
  - team: apac
    event_name_contains: ["Call", "Session", "Sales"]
"""


def checkout_copy(dest):
    """This checkout's tracked and new files (no .venv, .cache, .git), copied to dest."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if name.startswith((".venv", ".cache/")) or "__pycache__" in name or not source.is_file():
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name)
    return dest


@pytest.mark.slow
def test_suite_passes_with_an_operators_own_map(tmp_path):
    """Swap the shipped team map for a different valid map: the fast suite stays green."""
    repo = checkout_copy(tmp_path / "repo")
    (repo / "config" / "team_map.yaml").write_text(OPERATOR_MAP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALSYNC_", "PYTEST_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not pipeline and not slow", "-q", "-x"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
    validate = subprocess.run(
        [sys.executable, "scripts/calendly_gcal.py", "validate-config"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.stdout.startswith(f"{repo / 'config' / 'team_map.yaml'}: OK, 2 teams")
