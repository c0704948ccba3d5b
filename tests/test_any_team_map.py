"""The suite passes with any valid map as the shipped team map: tests own their maps.

In this process, conftest's `shipped_map_untouched` fails any test that opens the shipped map.
The processes tests start (the CLI, the demo, check-jsonschema) are out of its sight: here the
test modules that start processes run again in a copy whose shipped map is an operator's own.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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
    """This checkout's tracked and new files (no .venv, .cache, .git, team map), copied to dest."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        skip = name.startswith((".venv", ".cache/", "config/team_map.")) or "__pycache__" in name
        if skip or not source.is_file():  # the copy gets its own map
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, dest / name)
    return dest


def modules_starting_processes(tests: Path) -> list[str]:
    """The test modules that start processes (they use subprocess), relative to their repo;
    not the tests of the fake servers (their one process is a fake server, not the CLI)."""
    found = [
        path.relative_to(tests.parent).as_posix()
        for path in sorted(tests.rglob("test_*.py"))
        if re.search(r"^import subprocess|^from subprocess ", path.read_text(), re.MULTILINE)
        and not path.name.startswith("test_fake_")  # the fakes' own tests start only fakes
    ]
    assert "tests/cli/test_cli.py" in found  # the demo and the script run there
    return found


@pytest.mark.slow
def test_suite_passes_with_an_operators_own_map(tmp_path):
    """Swap the shipped team map for a different valid map: the tests that start processes
    stay green (the others cannot read it: conftest's shipped_map_untouched)."""
    repo = checkout_copy(tmp_path / "repo")
    (repo / "config").mkdir(exist_ok=True)
    (repo / "config" / "team_map.yaml").write_text(OPERATOR_MAP)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CALSYNC_", "PYTEST_"))}
    modules = modules_starting_processes(repo / "tests")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "not pipeline and not slow", "-q", "-x", *modules],
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
