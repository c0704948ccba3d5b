"""The CLI boundary: exit codes, one stderr line, the JSON report last, the .ics backend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest

from builders import GLOBAL, USGOV, sample
from conftest import ROOT, TEAM_MAP, run_cli


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
    """`make demo`'s script works and shows the resulting calendar; into a pipe, with no ANSI
    codes (bold only on a terminal: tests/cli/test_cli_hygiene.py)."""
    env = {"PY": sys.executable, "PATH": "/usr/bin:/bin", "CALSYNC_CONFIG": str(TEAM_MAP)}
    out = subprocess.run(
        ["bash", "samples/demo.sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**env, "DEMO_OUT": str(tmp_path / "demo-out")},
        check=True,
    )
    assert out.stderr == ""
    assert "\x1b" not in out.stdout
    assert "== 1." in out.stdout
    shown = [line.split() for line in out.stdout.splitlines() if "Z  " in line]
    assert [(row[0], row[1], " ".join(row[4:])) for row in shown] == [
        (GLOBAL, "CANCELLED", "Global Support Call"),
        (USGOV, "CONFIRMED", "US Government Support Session"),
    ]


def _sync_ics(tmp_path, ics):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(sample("invitee_created")))
    return run_cli(["sync", "--payload", str(path), "--backend", "ics", "--ics-file", str(ics)], {})


FOREIGN = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//other//EN\r\nBEGIN:VEVENT\r\n"
    b"SUMMARY:Dentist\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (FOREIGN, "holds events this tool did not write"),
        (b"not a calendar at all", "not an iCalendar file"),
        ("damaged", "is damaged (edited by hand?)"),
    ],
)
def test_ics_file_that_is_not_ours_is_left_alone(tmp_path, content, message):
    """A foreign or damaged .ics file: exit 2, one line, the file untouched."""
    ics = tmp_path / "cal.ics"
    if content == "damaged":
        assert _sync_ics(tmp_path, ics).code == 0
        content = ics.read_bytes().replace(
            b"X-CALSYNC-DATA;VALUE=TEXT:{", b"X-CALSYNC-DATA;VALUE=TEXT:["
        )
    ics.write_bytes(content)
    result = _sync_ics(tmp_path, ics)
    assert result.code == 2, result.err
    assert message in result.err
    assert result.err.count("\n") == 1
    assert ics.read_bytes() == content


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("under-a-file", "cannot write the .ics file ("),
        ("/proc/calsync-test/cal.ics", "cannot write the .ics file ("),  # no directory can be made
    ],
)
def test_ics_file_that_cannot_be_used(tmp_path, where, message):
    blocker = tmp_path / "file"
    blocker.write_text("")
    ics = blocker / "cal.ics" if where == "under-a-file" else Path(where)
    result = _sync_ics(tmp_path, ics)
    assert result.code == 2, result.err
    assert message in result.err
    assert result.err.count("\n") == 1


@pytest.mark.parametrize("argv", [["-v", "sync"], ["sync", "-v"]])
def test_verbose_before_or_after_the_command(tmp_path, argv):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(sample("invitee_created_sales")))
    result = run_cli([*argv, "--payload", str(path)], {})
    assert result.code == 0, result.err
    assert "INFO calsync.commands.sync: payload from --payload file" in result.err


@pytest.mark.parametrize("since", [["--since", "-2d"], ["--since=-2d"], ["--since", "-12h"]])
def test_relative_since_needs_no_equals_sign(since):
    """`--since -2d` is read as a value, not as an unknown option."""
    from calsync.cli.parser import parse_args

    args = parse_args(["reconcile", *since])
    assert args.since == since[-1].removeprefix("--since=")


def test_python_version_notices_stay_off_stderr(tmp_path):
    """The Google libraries' end-of-support FutureWarning is not a job-log warning."""
    code = (
        "import io, sys, warnings\n"
        "from calsync import cli\n"
        "from calsync.cli import parser\n"
        "class Noisy(parser._Parser):\n"
        "    def parse_args(self, *a, **k):\n"
        "        ns = super().parse_args(*a, **k)\n"
        "        warnings.warn('You are using a Python version (3.11) past its end', FutureWarning)\n"
        "        return ns\n"
        "parser._Parser = Noisy\n"
        f"env = {{'CALSYNC_CONFIG': {str(TEAM_MAP)!r}}}\n"
        "sys.exit(cli.main(['validate-config'], env=env, stdout=io.StringIO()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "scripts",
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stderr == ""


def test_help_ends_with_the_usage_text(capsys):
    """--help prints the usage and nothing after it: no JSON report."""
    result = run_cli(["sync", "--help"], {})
    assert result.code == 0
    out = capsys.readouterr().out
    assert "usage: calendly_gcal.py sync" in out
    assert out.rstrip().endswith("also write the JSON report here (a CI artifact)")
    assert result.out == ""
