"""doctor's verdicts as values: lines, exit codes, summaries, errors and calendar access roles."""

from __future__ import annotations

import pytest

from calsync.core.doctor import (
    Check,
    calendar_check,
    exit_code,
    failed,
    from_error,
    passed,
    summary,
)
from calsync.core.errors import ConfigError, ExitCode, TransientError

FIX = (
    "fix: Google Calendar > the calendar's settings > Share with specific people > "
    "sync@p.iam.gserviceaccount.com > 'Make changes to events'"
)


def test_check_line_and_dict():
    ok, bad = passed("env", "all set"), failed("calendar x", "no access: fix: share it")
    assert ok == Check("env", True, "all set", ExitCode.OK)
    assert bad == Check("calendar x", False, "no access: fix: share it", ExitCode.BAD_INPUT)
    assert ok.line() == "ok   env: all set"
    assert bad.line() == "FAIL calendar x: no access: fix: share it"
    assert ok.as_dict() == {"name": "env", "ok": True, "detail": "all set"}
    assert bad.as_dict() == {
        "name": "calendar x",
        "ok": False,
        "detail": "no access: fix: share it",
    }


@pytest.mark.parametrize(
    ("err", "fix", "expected"),
    [
        (
            TransientError("Google said 503"),
            "",
            Check("g", False, "unreachable: Google said 503", ExitCode.TRANSIENT),
        ),
        (
            TransientError("Google said 503"),
            "wait",
            Check("g", False, "unreachable: Google said 503", ExitCode.TRANSIENT),
        ),
        (ConfigError("bad key"), "", Check("g", False, "bad key", ExitCode.BAD_INPUT)),
        (
            ConfigError("bad key"),
            "set it",
            Check("g", False, "bad key: fix: set it", ExitCode.BAD_INPUT),
        ),
    ],
)
def test_from_error(err, fix, expected):
    assert from_error("g", err, fix) == expected


def test_from_error_without_a_fix_argument():
    assert from_error("g", ConfigError("bad key")).detail == "bad key"


@pytest.mark.parametrize(
    ("checks", "code"),
    [
        ([], ExitCode.OK),
        ([passed("a", "x")], ExitCode.OK),
        ([passed("a", "x"), failed("b", "y", ExitCode.TRANSIENT)], ExitCode.TRANSIENT),
        ([failed("b", "y", ExitCode.TRANSIENT), failed("c", "z")], ExitCode.BAD_INPUT),
        ([failed("c", "z")], ExitCode.BAD_INPUT),
    ],
)
def test_exit_code(checks, code):
    assert exit_code(checks) is code


def test_summary():
    assert summary([passed("a", "x"), passed("b", "y")]) == "all 2 checks passed"
    checks = [failed("a", "x"), passed("b", "y"), failed("c", "z", ExitCode.TRANSIENT)]
    assert summary(checks) == "2 of 3 checks failed: a, c"


@pytest.mark.parametrize("role", ["owner", "writer"])
def test_calendar_check_write_roles(role):
    check = calendar_check("emea", "c@group.calendar.google.com", role, "sync@p")
    assert check == passed(
        "calendar emea", f"c@group.calendar.google.com: sync@p may write events (accessRole {role})"
    )


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        ("reader", "read-only ('See all event details')"),
        ("freeBusyReader", "for free/busy only ('See only free/busy (hide details)')"),
        ("none", "with accessRole none"),
        ("", "with accessRole unknown"),
    ],
)
def test_calendar_check_read_only_roles(role, shown):
    who = "sync@p.iam.gserviceaccount.com"
    check = calendar_check("emea", "c@group.calendar.google.com", role, who)
    assert check == failed(
        "calendar emea",
        f"team emea: calendar c@group.calendar.google.com is shared with {who} {shown}, so sync "
        f"cannot write to it: {FIX}",
    )
