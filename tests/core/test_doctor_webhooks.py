"""doctor's webhook subscription rule: which subscription delivers what sync needs, and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from calsync.core.doctor import failed, passed
from calsync.core.doctor_webhooks import (
    BOOKING_EVENTS,
    NAME,
    NO_SHOW_EVENTS,
    is_trigger_url,
    needed_events,
    same_trigger,
    subscription_check,
    tokens,
)

TOOL = "python scripts/calendly_gcal.py"
HOOK = "https://gitlab.example/api/v4/projects/42/ref/main/trigger/pipeline"
ALL = BOOKING_EVENTS + NO_SHOW_EVENTS


def mask(url: str) -> str:
    return url.replace("SECRET", "<redacted>")


def sub(uuid: str = "U1", url: str = HOOK + "?token=SECRET", **over: Any) -> dict[str, Any]:
    return {
        "uri": f"https://api.calendly.com/webhook_subscriptions/{uuid}",
        "callback_url": url,
        "scope": "organization",
        "state": "active",
        "events": list(ALL),
        "retry_started_at": None,
        **over,
    }


def check(subs: list[dict[str, Any]], expected: str = "", needed: tuple[str, ...] = ALL):
    return subscription_check(subs, needed=needed, expected=expected, show=mask)


def again(uuid: str = "U1") -> str:
    return (
        f"{TOOL} webhooks delete {uuid} --yes, then {TOOL} webhooks create --url "
        f"'{HOOK}?token=TOKEN' (with the trigger token for TOKEN)"
    )


WHICH = f"organization subscription U1 -> {HOOK}?token=<redacted>"
GOOD = f"{WHICH}: active, delivers {', '.join(ALL)}"


def test_needed_events():
    assert needed_events(0) == ("invitee.created", "invitee.canceled")
    assert needed_events(1) == (
        "invitee.created",
        "invitee.canceled",
        "invitee_no_show.created",
        "invitee_no_show.deleted",
    )


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (HOOK, True),
        (HOOK + "/", True),
        (HOOK + "?token=x", True),
        ("https://g.example/prefix/api/v4/projects/a%2Fb/ref/release/1/trigger/pipeline", True),
        ("http" + HOOK.removeprefix("https"), False),
        (HOOK + "s", False),
        (HOOK.replace("/ref/main", ""), False),
        ("https://g.example/api/v4/projects//ref/main/trigger/pipeline", False),
        (None, False),
        (5, False),
    ],
)
def test_is_trigger_url(url, ok):
    assert is_trigger_url(url) is ok


def test_tokens():
    assert tokens(HOOK + "?a=1&TOKEN=x&token=y") == ["x", "y"]
    assert tokens(HOOK) == []


@pytest.mark.parametrize(
    ("callback", "expected", "same"),
    [
        (HOOK + "?token=a", HOOK + "?token=a", True),
        (" " + HOOK + "?token=a ", HOOK + "?token=a", True),
        (HOOK + "?token=b", HOOK + "?token=a", False),
        (HOOK + "?token=b", HOOK, True),
        (HOOK.replace("gitlab.example", "GitLab.Example") + "/", HOOK, True),
        (HOOK, HOOK + "/", True),
        (HOOK + "//", HOOK, True),
        (HOOK.replace("https", "http"), HOOK, False),
        (HOOK.replace("gitlab.example", "other.example"), HOOK, False),
        (HOOK.replace("42", "43"), HOOK, False),
        (HOOK.replace("/api", "//api"), HOOK, False),
        (HOOK + "X/", HOOK + "X", True),
        (HOOK + "XX", HOOK, False),
    ],
)
def test_same_trigger(callback, expected, same):
    assert same_trigger(callback, expected) is same


def test_a_good_subscription_passes():
    assert check([sub()]) == passed(NAME, GOOD)


def test_no_subscription_at_all():
    assert check([]) == failed(
        NAME,
        "no organization or group webhook subscription delivers to a GitLab pipeline trigger "
        f"URL: fix: {TOOL} webhooks create --url "
        "'https://GITLAB/api/v4/projects/PROJECT_ID/ref/main/trigger/pipeline?token=TOKEN'",
    )


def test_subscriptions_elsewhere_are_counted():
    subs = [sub(url="https://hooks.example/a"), sub(url="https://hooks.example/b")]
    assert check(subs).detail.startswith(
        "no organization or group webhook subscription delivers to a GitLab pipeline trigger "
        "URL (2 deliver elsewhere): fix: "
    )


def test_expected_url_matched_among_several():
    subs = [sub("U0", HOOK.replace("42", "7") + "?token=SECRET"), sub()]
    assert check(subs, expected=HOOK) == passed(NAME, GOOD)


def test_expected_url_without_a_matching_subscription():
    expected = HOOK.replace("42", "7") + "?token=SECRET"
    want = (
        "no organization or group webhook subscription delivers to CALSYNC_TRIGGER_URL "
        f"({mask(expected)}){{}}: fix: {TOOL} webhooks create --url "
        '"$CALSYNC_TRIGGER_URL" (and delete a subscription that is no longer wanted)'
    )
    assert check([], expected=expected) == failed(NAME, want.format(""))
    two = [sub(), sub("U2", HOOK + "/?token=SECRET")]
    found = f"; the trigger subscriptions deliver to {HOOK}?token=<redacted>, {HOOK}/?token=<redacted> instead"
    assert check(two, expected=expected) == failed(NAME, want.format(found))


def test_two_good_subscriptions_are_noted():
    assert check([sub(), sub("U2")]) == passed(
        NAME,
        f"{GOOD}; note: 2 active subscriptions deliver every booking, so each one runs that many "
        "pipelines (harmless but wasteful): delete the extra ones",
    )


def test_an_unused_trigger_subscription_is_noted():
    assert check([sub("U0", state="disabled"), sub()]) == passed(
        NAME, f"{GOOD}; note: 1 other trigger subscription(s) not in use"
    )


def test_the_first_bad_verdict_is_shown_when_none_is_good():
    first = check([sub(state="disabled"), sub("U2", url=HOOK)])
    assert first.detail.startswith(f"{WHICH} is disabled ")


def test_no_token():
    assert check([sub(url=HOOK)]) == failed(
        NAME,
        f"organization subscription U1 -> {HOOK} carries no trigger token (?token=...), so GitLab "
        f"refuses every delivery: fix: {TOOL} webhooks delete U1 --yes, then {TOOL} webhooks "
        f"create --url '{HOOK}' (with the trigger token for TOKEN)",
    )


@pytest.mark.parametrize(
    ("state", "shown"), [("disabled", "disabled"), (None, "not active"), ("", "not active")]
)
def test_not_active(state, shown):
    assert check([sub(state=state)]) == failed(
        NAME,
        f"{WHICH} is {shown} (Calendly disables a subscription after 24 hours of failed "
        f"deliveries and never re-enables it): fix: {again()}; then {TOOL} reconcile "
        "--since=-7d repairs what was missed",
    )


def test_missing_events():
    result = check([sub(events=["invitee.created", 5, "invitee_no_show.created"])])
    assert result == failed(
        NAME,
        f"{WHICH} does not deliver invitee.canceled, invitee_no_show.deleted: fix: {again()} "
        "(create subscribes the four events sync handles)",
    )


def test_missing_events_list():
    assert check([sub(events=None)]).detail.startswith(
        f"{WHICH} does not deliver {', '.join(ALL)}: fix: "
    )


def test_only_the_needed_events_count():
    result = check([sub(events=list(BOOKING_EVENTS))], needed=BOOKING_EVENTS)
    assert result == passed(NAME, f"{WHICH}: active, delivers invitee.created, invitee.canceled")


def test_retrying():
    assert check([sub(retry_started_at="2025-01-31T12:00:00Z")]) == failed(
        NAME,
        f"{WHICH} is active, but Calendly has been retrying failed deliveries since "
        "2025-01-31T12:00:00Z and disables it 24 hours after that: fix: check that the trigger "
        "token still exists (Settings > CI/CD > Pipeline trigger tokens) and that trigger "
        "pipelines run (Build > Pipelines)",
    )


@pytest.mark.parametrize(
    ("over", "which"),
    [
        (
            {"uri": "https://api.calendly.com/webhook_subscriptions/U9/"},
            "organization subscription U9",
        ),
        ({"uri": "U9"}, "organization subscription U9"),
        ({"uri": None}, "organization subscription None"),
        ({"scope": None}, "? subscription U1"),
        ({"scope": "group"}, "group subscription U1"),
    ],
)
def test_the_subscription_is_named(over, which):
    s = sub(**over)
    if "uri" in over and over["uri"] is None:
        del s["uri"]
        which = "organization subscription "
    assert check([s]).detail.startswith(f"{which} -> {HOOK}?token=<redacted>: active")
