"""doctor's pure rules: exit code of a set of checks, trigger URLs, the subscription verdict."""

from __future__ import annotations

import pytest

from calsync.core.doctor import exit_code, failed, passed
from calsync.core.doctor_webhooks import (
    is_trigger_url,
    needed_events,
    same_trigger,
    subscription_check,
)
from calsync.core.errors import ExitCode

URL = "https://gitlab.example.com/api/v4/projects/42/ref/main/trigger/pipeline?token=t0k3n-abcdef"


def show(url: str) -> str:
    return url.replace("t0k3n-abcdef", "<redacted>")


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([passed("a", "x"), passed("b", "y")], ExitCode.OK),
        ([passed("a", "x"), failed("b", "y")], ExitCode.BAD_INPUT),
        ([failed("a", "x", ExitCode.TRANSIENT)], ExitCode.TRANSIENT),
        ([failed("a", "x", ExitCode.TRANSIENT), failed("b", "y")], ExitCode.BAD_INPUT),
        ([], ExitCode.OK),
    ],
)
def test_exit_code(checks, expected):
    """0 all passed; 2 as soon as something is misconfigured; 1 only for unreachable."""
    assert exit_code(checks) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (URL, True),
        ("https://gitlab.example.com/api/v4/projects/group%2Fproj/ref/main/trigger/pipeline", True),
        (
            "https://example.com/gitlab/api/v4/projects/7/ref/release/v1/trigger/pipeline?token=x",
            True,
        ),
        ("http://gitlab.example.com/api/v4/projects/42/ref/main/trigger/pipeline?token=x", False),
        ("https://gitlab.example.com/api/v4/projects/42/trigger/pipeline?token=x", False),
        ("https://hooks.example.com/calendly", False),
        (None, False),
    ],
)
def test_is_trigger_url(url, expected):
    assert is_trigger_url(url) is expected


@pytest.mark.parametrize(
    ("expected", "match"),
    [
        (URL, True),
        (URL.replace("t0k3n-abcdef", "other-token"), False),
        (
            URL.split("?", maxsplit=1)[0],
            True,
        ),  # no token in CALSYNC_TRIGGER_URL: host and path only
        (URL.split("?", maxsplit=1)[0].replace("/42/", "/43/"), False),
    ],
)
def test_same_trigger(expected, match):
    assert same_trigger(URL, expected) is match


def test_no_show_events_needed_whenever_there_is_a_team():
    assert needed_events(0) == ("invitee.created", "invitee.canceled")
    assert needed_events(2)[2:] == ("invitee_no_show.created", "invitee_no_show.deleted")


def sub(**fields):
    base = {
        "uri": "https://api.calendly.com/webhook_subscriptions/SUB1",
        "callback_url": URL,
        "events": list(needed_events(1)),
        "scope": "organization",
        "state": "active",
        "retry_started_at": None,
    }
    return base | fields


@pytest.mark.parametrize(
    ("subs", "ok", "fragment"),
    [
        ([sub()], True, "organization subscription SUB1 -> "),
        ([sub(state="disabled")], False, "is disabled (Calendly disables"),
        ([sub(state="disabled"), sub(uri="x/SUB2")], True, "1 other trigger subscription"),
        ([sub(), sub(uri="x/SUB2")], True, "2 active subscriptions deliver every booking"),
        ([sub(callback_url=URL.split("?", maxsplit=1)[0])], False, "carries no trigger token"),
        ([sub(retry_started_at="2026-11-30T10:00:00Z")], False, "retrying failed deliveries"),
        ([sub(events=["invitee.created"])], False, "does not deliver invitee.canceled"),
        ([sub(callback_url="https://hooks.example.com/x")], False, "(1 deliver elsewhere)"),
        ([], False, "no organization or group webhook subscription"),
    ],
)
def test_subscription_check(subs, ok, fragment):
    check = subscription_check(subs, needed=needed_events(1), expected="", show=show)
    assert check.ok is ok
    assert fragment in check.detail
    assert "t0k3n-abcdef" not in check.detail
    assert check.ok or "fix: " in check.detail
