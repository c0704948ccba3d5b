"""The CLI boundary: exit codes, one stderr line, the JSON report last, the .ics backend."""

from __future__ import annotations

import json
import subprocess
import sys

import icalendar
import pytest

from builders import sample
from conftest import ROOT, run_cli


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["sync", "--bogus"],
            "error: calendly_gcal.py: unrecognized arguments: --bogus (see --help)",
        ),
        ([], "error: calendly_gcal.py: the following arguments are required: COMMAND (see --help)"),
        (
            ["sync", "--backend", "outlook"],
            "error: calendly_gcal.py sync: argument --backend: invalid choice",
        ),
    ],
)
def test_usage_errors_exit_2_with_a_report(argv, message):
    result = run_cli(argv, {})
    assert result.code == 2
    assert result.err.startswith(message)
    assert len(result.err.splitlines()) == 1
    assert result.report == {"action": "error", "reason": result.err[7:].strip(), "exit_code": 2}


def test_no_payload_is_a_clear_error():
    result = run_cli(["sync"], {"CALENDLY_PAYLOAD": ""})
    assert result.code == 2
    assert result.err.startswith("error: no payload: pass --payload PATH|-")
    assert result.report["action"] == "error"


def test_ics_backend_round_trip(tmp_path):
    """create, replay, cancel on the embedded backend; the file stays valid iCalendar."""
    ics = tmp_path / "cal.ics"
    actions = []
    for name in ("invitee_created", "invitee_created", "invitee_canceled"):
        path = tmp_path / "p.json"
        path.write_text(json.dumps(sample(name)))
        result = run_cli(
            ["sync", "--payload", str(path), "--backend", "ics", "--ics-file", str(ics)], {}
        )
        assert result.code == 0, result.err
        actions.append(result.report["action"])
    assert actions == ["created", "unchanged", "deleted"]
    [event] = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == result.report["event_id"]


def test_report_file_and_validate_config(tmp_path):
    report = tmp_path / "out" / "report.json"
    result = run_cli(["validate-config", "--report-file", str(report)], {})
    assert result.code == 0
    assert result.out.splitlines()[0].endswith("team_map.yaml: OK, 2 teams, 2 routes")
    assert json.loads(report.read_text()) == result.report


def test_demo_runs(tmp_path):
    """`make demo`'s script works and shows the resulting calendar."""
    out = subprocess.run(["bash", "samples/demo.sh"], cwd=ROOT, capture_output=True, text=True,
                         env={"PY": sys.executable, "PATH": "/usr/bin:/bin"}, check=True)  # fmt: skip
    assert out.stderr == ""
    assert "CANCELLED  2026-11-26 16:00Z  Global Support Call" in out.stdout
    assert "CONFIRMED  2026-11-27 14:00Z  US Government Support Session" in out.stdout
