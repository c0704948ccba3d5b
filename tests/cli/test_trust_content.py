"""Hostile content: report integrity, encoding, size, cancellation (SIGTERM), visibility.

Part of the rules in docs/security.md (tests/cli/test_trust.py has the others).
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from builders import webhook
from calsync import cli
from calsync.core import render
from calsync.core.booking import Host
from calsync.core.parse import parse_booking
from calsync.core.payload import MAX_PAYLOAD_BYTES
from calsync.core.team_map import Display
from conftest import GLOBAL, ROOT, Result
from fakes.google_server import FakeGoogle

REPORT_KEYS = {
    "command",
    "payload_source",
    "webhook_event",
    "calendly_event",
    "action",
    "reason",
    "team",
    "calendar_id",
    "event_id",
    "dry_run",
    "verified",
    "inferred_event",
    "inferred_reason",
    "exit_code",
}


def team_map(team: str = "    show_answers: true\n    show_invitee_name: true\n") -> str:
    return f"""\
version: 1
teams:
  global:
    calendar_id: {GLOBAL}
{team}routes:
  - team: global
    event_name_contains: ["Support"]
"""


@pytest.fixture
def config(tmp_path: Path):
    def write(team: str | None = None) -> str:
        path = tmp_path / "map.yaml"
        path.write_text(team_map() if team is None else team_map(team))
        return str(path)

    return write


def with_answers(*answers: str, name: str = "Zelda Sentinelperson") -> dict[str, Any]:
    body = webhook()
    body["payload"]["name"] = name
    body["payload"]["questions_and_answers"] = [
        {"question": f"Q{i}", "answer": a, "position": i} for i, a in enumerate(answers)
    ]
    return body


# -- report integrity ------------------------------------------------------------------------

HOSTILE = ["false", "0", GLOBAL, "https://api.calendly.com/scheduled_events/EV000000000001"]
HOSTILE += ["action", "created", "sync", "exit_code", '"}', "null", "true"]


@pytest.mark.parametrize("answer", HOSTILE)
def test_report_is_valid_json_whatever_the_answers(sync, fake_google, config, tmp_path, answer):
    """Answers (and the name) equal to report words: stdout's last line and the file stay
    valid JSON with the documented keys and our own values."""
    report_file = tmp_path / "report.json"
    body = with_answers(answer, answer, name=answer)
    result = sync(body, "--config", config(), "--report-file", str(report_file))
    assert result.code == 0, result.err
    for report in (result.report, json.loads(report_file.read_text())):
        assert set(report) == REPORT_KEYS
        assert (report["action"], report["calendar_id"], report["team"]) == (
            "created",
            GLOBAL,
            "global",
        )
        assert (report["dry_run"], report["exit_code"], report["command"]) == (False, 0, "sync")


def test_report_still_hides_personal_data(sync, fake_google, config):
    """Field-wise redaction still masks the invitee's data inside free text."""
    from calsync.core import redact

    redact.reset()
    redact.protect(["Zelda Sentinelperson"])
    cleaned = redact.redact_report({"reason": "for Zelda Sentinelperson", "action": "created"})
    assert cleaned == {"reason": "for <redacted>", "action": "created"}


# -- encoding --------------------------------------------------------------------------------


def _bytes_stdin(data: bytes) -> io.TextIOWrapper:
    """A stdin like the real one: a text stream over bytes, decoding bad bytes leniently."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")


def run(argv: list[str], env: dict[str, str], stdin: Any) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, env=env, stdin=stdin, stdout=out, stderr=err)
    return Result(code, out.getvalue(), err.getvalue())


BAD_UTF8 = json.dumps(webhook()).encode().replace(b"Global Support", b"Global \xff\xfe Support")
SURROGATE = json.dumps(with_answers("x")).replace('"x"', '"\\ud800 lone"')


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("file", "--payload: not UTF-8 text"),
        ("stdin", "--payload -: not UTF-8 text"),
        ("env", "CALENDLY_PAYLOAD: not valid UTF-8 text"),
        ("surrogate-file", "a lone surrogate"),
        ("surrogate-env", "a lone surrogate"),
    ],
)
def test_bad_encoding_is_bad_input(google_env, fake_google, config, tmp_path, source, message):
    """Invalid UTF-8 or a lone surrogate: exit 2, the report written, nothing written."""
    report_file = tmp_path / "report.json"
    argv = ["sync", "--backend", "google", "--config", config(), "--report-file", str(report_file)]
    env, stdin = dict(google_env), io.StringIO("")
    path = tmp_path / "payload.json"
    if source == "file":
        path.write_bytes(BAD_UTF8)
        argv += ["--payload", str(path)]
    elif source == "stdin":
        argv += ["--payload", "-"]
        stdin = _bytes_stdin(BAD_UTF8)
    elif source == "env":  # what os.environ holds for bytes that are not UTF-8
        env["CALENDLY_PAYLOAD"] = BAD_UTF8.decode("utf-8", "surrogateescape")
    elif source == "surrogate-file":
        path.write_text(SURROGATE)
        argv += ["--payload", str(path)]
    else:
        env["CALENDLY_PAYLOAD"] = SURROGATE
    result = run(argv, env, stdin)
    assert result.code == 2, result.err
    assert message in result.err
    assert json.loads(report_file.read_text())["exit_code"] == 2
    assert result.report["action"] == "error"
    assert fake_google.requests == []


# -- size ------------------------------------------------------------------------------------


def test_payload_over_1_mb_is_refused_before_parsing(sync, fake_google, config):
    """A body over 1 MB (even valid JSON) is refused: exit 2, nothing written."""
    body = with_answers("a" * (MAX_PAYLOAD_BYTES + 1))
    result = sync(body, "--config", config())
    assert result.code == 2
    assert "larger than 1 MB" in result.err
    assert fake_google.requests == []


def test_huge_answer_is_cut_not_fatal(sync, fake_google: FakeGoogle, config):
    """A 240 KB answer: the event is written with a description of at most 8,000 characters."""
    result = sync(with_answers("b" * 240_000, "short"), "--config", config())
    assert result.code == 0, result.err
    (event,) = fake_google.live_events(GLOBAL)
    assert len(event["description"]) <= render.DESCRIPTION_LIMIT
    assert "(truncated)" in event["description"]
    assert "Calendly meeting: " in event["description"]  # the links survive the cut


def _booking(*answers: str, name: str = "Support", invitee: str = "") -> Any:
    body = with_answers(*answers, name=invitee)
    body["payload"]["scheduled_event"]["name"] = name
    return parse_booking(body)


def test_description_cut_per_answer_and_in_total():
    """Each answer at most 2,000 characters; all together within 8,000, cut visibly."""
    booking = _booking(*(["<" * 5000] * 10))
    display = Display(show_answers=True)
    assert booking.scheduled_event is not None
    text = render.description(booking, booking.scheduled_event, display)
    raw = text.replace("&lt;", "<")  # the limit holds before escaping
    assert len(raw) <= render.DESCRIPTION_LIMIT
    lines = raw.split("\n")
    answers = [line for line in lines if line.startswith("Q")]
    assert all(len(line) <= render.ANSWER_LIMIT + 10 for line in answers)
    assert all(line.endswith("(truncated)") for line in answers)
    assert lines[-1] == render.MANAGED_NOTE


def test_short_answers_are_not_marked():
    booking = _booking("fine")
    assert booking.scheduled_event is not None
    text = render.description(booking, booking.scheduled_event, Display(show_answers=True))
    assert "Q0: fine" in text
    assert "truncated" not in text


def test_summary_at_most_1024_characters():
    """Even with every character escaped and a no-show prefix, the summary fits 1,024."""
    booking = _booking(name="<" * 2000, invitee=">" * 2000)
    assert booking.scheduled_event is not None
    display = Display(show_invitee_name=True)
    summary = render.base_summary(booking, booking.scheduled_event, display)
    summary = render.with_no_show(summary, 99999, 100000, True)
    assert len(summary) <= render.SUMMARY_LIMIT
    assert not summary.endswith(("&", "&l", "&lt", "&g", "&gt"))


def test_hosts_line_is_capped():
    event = _booking().scheduled_event
    assert event is not None
    many = tuple(Host(user_uri="", email=f"h{i}@x.com", name="n" * 90) for i in range(200))
    object.__setattr__(event, "hosts", many)
    text = render.description(_booking(), event, Display())
    assert len(text) <= render.DESCRIPTION_LIMIT
    assert "(truncated)" in text


# -- visibility ------------------------------------------------------------------------------


def test_private_team_events_are_private(sync, fake_google: FakeGoogle, config, tmp_path):
    """`visibility: private` puts visibility=private on the team's events; back to default
    updates them."""
    result = sync(webhook(), "--config", config("    visibility: private\n"))
    assert result.code == 0, result.err
    assert fake_google.live_events(GLOBAL)[0]["visibility"] == "private"
    again = sync(webhook(), "--config", config(""))
    assert again.report["action"] == "updated"
    assert fake_google.live_events(GLOBAL)[0]["visibility"] == "default"


def test_unknown_visibility_is_a_config_error(sync, fake_google, config):
    result = sync(webhook(), "--config", config("    visibility: secret\n"))
    assert result.code == 2
    assert "teams.global.visibility: expected one of default, private" in result.err


# -- SIGTERM ---------------------------------------------------------------------------------


def test_sigterm_stops_cleanly_and_a_rerun_finishes(tmp_path, config):
    """SIGTERM mid-run (GitLab cancels the job): report with exit_code 1, exit 1; rerun works."""
    ics, report = tmp_path / "team.ics", tmp_path / "report.json"
    argv = [sys.executable, str(ROOT / "scripts" / "calendly_gcal.py"), "sync", "-vv"]
    argv += ["--backend", "ics", "--ics-file", str(ics), "--config", config()]
    argv += ["--report-file", str(report)]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "scripts")}
    proc = subprocess.Popen(
        [*argv, "--payload", "-"],
        stdin=subprocess.PIPE,  # never closed: the run waits for the payload
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    seen = b""
    while b"reading the payload" not in seen and time.monotonic() < deadline:
        seen += proc.stderr.readline()
    assert b"reading the payload" in seen, seen
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert b"terminated (SIGTERM)" in err
    assert b"Traceback" not in err
    assert json.loads(out.decode().splitlines()[-1])["exit_code"] == 1
    assert json.loads(report.read_text())["exit_code"] == 1
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(webhook()))
    rerun = subprocess.run(
        [*argv, "--payload", str(payload)], capture_output=True, env=env, timeout=60, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(report.read_text())["action"] == "created"
