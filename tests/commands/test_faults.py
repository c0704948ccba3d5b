"""Google faults on every write of a booking's life, through the real client libraries.

Extends test_sync_google.py (faults on the first read, a persistent 503 on insert, a lost
insert answer, one 403, the token endpoint down): here the faults hit the insert, the cancel's
patch and delete, the token request and the connection itself. Transient faults are retried
with backoff and end with exactly one event in the right state; persistent ones exit 1 with
one clear line, and the rerun completes without a duplicate; refusals exit 2 and say the fix.
"""

from __future__ import annotations

from typing import Any

import pytest

from builders import canceled, webhook
from calsync.core.decide import event_id_for
from conftest import GLOBAL, Result

EVENT_URI = "https://api.calendly.com/scheduled_events/EV000000000001"
EVENT_ID = event_id_for(EVENT_URI)
INSERT = {"method": "POST", "path_contains": "/events"}
PATCH = {"method": "PATCH", "path_contains": EVENT_ID}
DELETE = {"method": "DELETE", "path_contains": EVENT_ID}
SA = "sync@test-project.iam.gserviceaccount.com"
TRANSIENT = [
    pytest.param({"status": 500, "reason": "backendError"}, id="500"),
    pytest.param({"status": 503, "reason": "backendError"}, id="503"),
    pytest.param({"status": 429, "reason": "rateLimitExceeded", "retry_after": 3}, id="429"),
    pytest.param({"status": 403, "reason": "rateLimitExceeded"}, id="403-rate"),
    pytest.param({"status": 403, "reason": "userRateLimitExceeded"}, id="403-user-rate"),
    pytest.param({"kind": "reset"}, id="reset"),
]


def created() -> dict[str, Any]:
    return webhook()


def one_event(fake, *, live: bool) -> dict[str, Any]:
    """The calendar holds exactly one event for the meeting, deleted or not."""
    [event] = fake.events(GLOBAL, include_deleted=True)
    assert event["id"] == EVENT_ID
    assert (event.get("status") != "cancelled") is live, event.get("status")
    return event


def assert_transient_failure(result: Result, start: str) -> None:
    assert result.code == 1, result.err
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith(f"error: {start}"), result.err
    assert "Traceback" not in result.err
    assert (result.report["action"], result.report["exit_code"]) == ("error", 1)


def assert_refused(result: Result, *fix: str) -> None:
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1, result.err
    for words in fix:
        assert words in result.err, result.err
    assert (result.report["action"], result.report["exit_code"]) == ("error", 2)


# -- transient faults: retried with backoff, one event in the end ------------------------------


@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_fault_on_insert_is_retried(sync, fake_google, sleeps, fault):
    fake_google.fail(**INSERT, times=2, **fault)
    result = sync(created())
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")
    assert len(sleeps) == 2
    assert sleeps[1] > 0
    one_event(fake_google, live=True)


@pytest.mark.parametrize("fault", TRANSIENT)
@pytest.mark.parametrize("verb", ["DELETE"])
def test_transient_fault_during_cancel_is_retried(sync, fake_google, sleeps, fault, verb):
    """The cancel is one conditional delete: a fault in it is retried."""
    assert sync(created()).report["action"] == "created"
    fake_google.fail(**(PATCH if verb == "PATCH" else DELETE), times=2, **fault)
    result = sync(canceled())
    assert (result.code, result.err, result.report["action"]) == (0, "", "deleted")
    assert len(sleeps) == 2
    one_event(fake_google, live=False)


def test_timeout_is_retried(sync, fake_google, sleeps):
    """A request that hangs past --timeout is abandoned and retried."""
    fake_google.timeout_sleep = 1.0
    fake_google.fail(**INSERT, kind="timeout")
    result = sync(created(), "--timeout", "0.5")
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")
    assert len(sleeps) == 1
    one_event(fake_google, live=True)


@pytest.mark.parametrize("verb", ["DELETE"])
def test_lost_answer_during_cancel(sync, fake_google, sleeps, verb):
    """The write happened but its answer was lost: the retry finds it done, nothing doubles."""
    sync(created())
    fake_google.fail(**(PATCH if verb == "PATCH" else DELETE), kind="lost_response")
    result = sync(canceled())
    assert (result.code, result.err, result.report["action"]) == (0, "", "deleted")
    one_event(fake_google, live=False)
    deletes = [p for m, p in fake_google.requests if m == "DELETE"]
    assert len(deletes) == (2 if verb == "DELETE" else 1)  # the retried one answered 410


def test_lost_write_races_back_off_on_the_runs_clock(sync, fake_google, sleeps):
    """Another job changed the event twice under us (412 on If-Match): re-read, re-plan; from
    the second lost race on, a short jitter first, waited on the run's clock, not real time."""
    sync(created())
    fake_google.fail(**DELETE, status=412, reason="conditionNotMet", times=2)
    result = sync(canceled())
    assert (result.code, result.err, result.report["action"]) == (0, "", "deleted")
    assert len(sleeps) == 1, sleeps
    assert 0 <= sleeps[0] <= 0.4, sleeps
    one_event(fake_google, live=False)


@pytest.mark.slow  # google-auth's own backoff sleeps for real (~1 s); it takes no clock
def test_transient_token_failure_is_retried(sync, fake_google):
    """google-auth retries a 503 from the token endpoint by itself."""
    fake_google.fail(kind="token", status=503, reason="temporarily_unavailable")
    result = sync(created())
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")
    assert fake_google.tokens_issued == 1
    one_event(fake_google, live=True)


def test_revoked_token_is_refreshed(sync, fake_google):
    """A 401 for an expired/revoked access token: refreshed once, then the call succeeds."""
    sync(created())
    fake_google.revoke_tokens()
    result = sync(canceled())
    assert (result.code, result.err, result.report["action"]) == (0, "", "deleted")
    one_event(fake_google, live=False)


# -- persistent faults: exit 1, one clear line, the rerun completes -----------------------------

PERSISTENT = [
    pytest.param(
        {"status": 503, "reason": "backendError"},
        "Google Calendar API 503 (backendError) after 2 retries; rerun the job",
        id="503",
    ),
    pytest.param(
        {"status": 429, "reason": "rateLimitExceeded"},
        "Google Calendar API 429 (rateLimitExceeded) after 2 retries; rerun the job",
        id="429",
    ),
    pytest.param(
        {"status": 403, "reason": "rateLimitExceeded"},
        "Google Calendar API 403 (rateLimitExceeded) after 2 retries; rerun the job",
        id="403-rate",
    ),
    pytest.param(
        {"kind": "reset"},
        "Google Calendar API unreachable after 2 retries (ConnectionResetError); rerun the job",
        id="reset",
    ),
]


@pytest.mark.parametrize(("fault", "message"), PERSISTENT)
def test_persistent_fault_on_insert_then_rerun(sync, fake_google, sleeps, fault, message):
    fake_google.fail(**INSERT, times=3, **fault)  # the first try and both retries
    failed = sync(created(), "--retries", "2")
    assert_transient_failure(failed, message)
    assert fake_google.events(GLOBAL, include_deleted=True) == []
    rerun = sync(created(), "--retries", "2")
    assert (rerun.code, rerun.report["action"]) == (0, "created")
    one_event(fake_google, live=True)


@pytest.mark.parametrize(("fault", "message"), PERSISTENT)
@pytest.mark.parametrize("verb", ["DELETE"])
def test_persistent_fault_during_cancel_then_rerun(sync, fake_google, sleeps, fault, message, verb):
    """A cancel is one conditional delete: cut short, the event is left exactly as it was (no
    changed-looking live meeting), and the rerun finishes it."""
    sync(created())
    [before] = fake_google.live_events(GLOBAL)
    fake_google.fail(**(PATCH if verb == "PATCH" else DELETE), times=3, **fault)
    failed = sync(canceled(), "--retries", "2")
    assert_transient_failure(failed, message)
    one_event(fake_google, live=True)  # still on the calendar: the job failed, visibly
    assert fake_google.live_events(GLOBAL) == [before]  # not touched at all
    rerun = sync(canceled(), "--retries", "2")
    assert (rerun.code, rerun.report["action"]) == (0, "deleted")
    one_event(fake_google, live=False)
    replay = sync(canceled())
    assert (replay.code, replay.report["action"]) == (0, "unchanged")


def test_persistent_timeout_then_rerun(sync, fake_google, sleeps):
    fake_google.timeout_sleep = 1.0
    fake_google.fail(**INSERT, kind="timeout", times=2)
    failed = sync(created(), "--timeout", "0.5", "--retries", "1")
    assert_transient_failure(
        failed, "Google Calendar API unreachable after 1 retry (TimeoutError); rerun the job"
    )
    rerun = sync(created(), "--timeout", "0.5", "--retries", "1")
    assert (rerun.code, rerun.report["action"]) == (0, "created")
    one_event(fake_google, live=True)


# -- refusals: exit 2 with the fix ----------------------------------------------------------------


def test_token_refused_says_what_to_check(sync, fake_google):
    """invalid_grant (a deleted key, a wrong delegated user): not retried, exit 2, the fix."""
    fake_google.fail(kind="token", status=400, reason="invalid_grant", message="Invalid JWT")
    result = sync(created(), env={"GOOGLE_DELEGATED_USER": "calendar-bot@example.com"})
    assert_refused(
        result,
        "Google token request refused (invalid_grant)",
        "check the service account key",
        "GOOGLE_DELEGATED_USER",
    )
    assert fake_google.events(GLOBAL, include_deleted=True) == []


def test_rejected_credentials(sync, fake_google):
    """401 on every call (even after a token refresh): the credentials themselves are wrong."""
    fake_google.fail(path_contains="/calendar/v3", status=401, reason="authError", times=20)
    result = sync(created())
    assert_refused(result, "Google Calendar API 401 (authError)", "GOOGLE_APPLICATION_CREDENTIALS")
    assert fake_google.events(GLOBAL, include_deleted=True) == []


@pytest.mark.parametrize(
    ("reason", "fix"),
    [
        ("forbidden", f"share it with {SA} ('Make changes to events')"),
        (
            "forbiddenForServiceAccounts",
            "GOOGLE_DELEGATED_USER to a user who can, with domain-wide",
        ),
        ("insufficientPermissions", f"share it with {SA}"),
    ],
)
def test_permission_denied_on_cancel(sync, fake_google, reason, fix):
    """Access withdrawn between the booking and its cancel: exit 2 and the fix, no retries."""
    sync(created())
    fake_google.deny(GLOBAL, reason=reason)
    result = sync(canceled())
    assert_refused(result, f"Google Calendar API 403 ({reason}) on calendar {GLOBAL}", fix)
    fake_google.allow(GLOBAL)
    one_event(fake_google, live=True)
    rerun = sync(canceled())
    assert (rerun.code, rerun.report["action"]) == (0, "deleted")
    one_event(fake_google, live=False)


def test_permission_denied_on_delete_only(sync, fake_google, sleeps):
    """Writer access to patch but not to delete (a 403 on DELETE only) is still exit 2."""
    sync(created())
    fake_google.fail(**DELETE, status=403, reason="forbidden", times=5)
    result = sync(canceled())
    assert_refused(result, "Google Calendar API 403 (forbidden)", f"share it with {SA}")
    assert sleeps == []  # a permission error is not retried


def test_retry_after_is_honoured(sync, fake_google, sleeps):
    fake_google.fail(**INSERT, status=429, reason="rateLimitExceeded", retry_after=7)
    assert sync(created()).code == 0
    assert sleeps[0] >= 7


def test_unknown_403_is_not_retried(sync, fake_google, sleeps):
    """A 403 that is not a rate limit will not heal by retrying: exit 2, no backoff."""
    fake_google.fail(**INSERT, status=403, reason="domainPolicy", times=5)
    result = sync(created())
    assert_refused(result, "Google Calendar API 403 (domainPolicy)")
    assert sleeps == []


def test_quota_403_is_transient(sync, fake_google, sleeps):
    fake_google.fail(**INSERT, status=403, reason="quotaExceeded", times=50)
    result = sync(created(), "--retries", "1")
    assert_transient_failure(
        result, "Google Calendar API 403 (quotaExceeded) after 1 retry; rerun the job"
    )


def test_retry_after_is_capped(sync, fake_google, sleeps):
    """A server asking for ten minutes gets one: longer waits are left to a rerun."""
    fake_google.fail(**INSERT, status=503, reason="backendError", retry_after=600)
    assert sync(created()).code == 0
    assert 60 <= sleeps[0] < 62
