"""End to end: the CLI, the real Google client libraries, the fake Calendar server over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from builders import sample, trigger_wrap, webhook
from calsync.core.decide import event_id_for
from conftest import GLOBAL, ROOT, TEAM_MAP, USGOV, run_cli


def inserts(fake) -> list[tuple[str, str]]:
    return [r for r in fake.requests if r[0] == "POST" and "/events" in r[1]]


def test_create_replay_cancel(sync, fake_google):
    """A booking becomes one event; replays change nothing; the cancel removes it."""
    created = sync(sample("invitee_created"))
    assert (created.code, created.err) == (0, "")
    report = created.report
    assert report["action"] == "created"
    assert report["team"] == "global"
    assert report["calendar_id"] == GLOBAL
    assert report["event_id"] == event_id_for(report["calendly_event"])
    [event] = fake_google.live_events(GLOBAL)
    assert event["id"] == report["event_id"]
    assert event["summary"] == "Global Support Call"
    assert event["start"]["dateTime"] == "2026-11-26T16:00:00Z"
    assert event["location"] == "https://example.zoom.us/j/123456789"
    private = event["extendedProperties"]["private"]
    assert private["calendly_event"] == report["calendly_event"]
    assert "Pat Customer" not in json.dumps(event)
    assert "runners stopped" not in json.dumps(event)  # answers only when the map asks

    before = fake_google.events(GLOBAL, include_deleted=True)
    for _ in range(3):
        again = sync(sample("invitee_created"))
        assert (again.code, again.report["action"]) == (0, "unchanged")
    # each replay tries the insert first (the insert is the existence check): 409, then a read
    assert len(inserts(fake_google)) == 4
    assert fake_google.events(GLOBAL, include_deleted=True) == before

    canceled = sync(sample("invitee_canceled"))
    assert (canceled.code, canceled.report["action"]) == (0, "deleted")
    assert fake_google.live_events(GLOBAL) == []
    replay = sync(sample("invitee_canceled"))
    assert (replay.code, replay.report["action"]) == (0, "unchanged")
    late = sync(sample("invitee_created"))  # a stale create must not resurrect it
    assert (late.code, late.report["action"]) == (0, "unchanged")
    assert fake_google.live_events(GLOBAL) == []


def test_routes_to_us_government(sync, fake_google):
    result = sync(sample("invitee_created_usgov"))
    assert result.report["team"] == "us-government"
    assert len(fake_google.live_events(USGOV)) == 1
    assert fake_google.live_events(GLOBAL) == []


def test_trigger_wrapper_as_file(google_env, fake_google, tmp_path, sleeps):
    path = tmp_path / "trigger.json"
    path.write_text(json.dumps(trigger_wrap(sample("invitee_created"))))
    result = run_cli(["sync"], {**google_env, "TRIGGER_PAYLOAD": str(path)})
    assert result.report["action"] == "created"
    assert result.report["payload_source"].startswith("TRIGGER_PAYLOAD (GitLab trigger wrapper")


def test_skip_touches_nothing(sync, fake_google):
    result = sync(sample("invitee_created_sales"))
    assert (result.code, result.err) == (0, "")
    assert result.report["action"] == "skipped"
    assert fake_google.requests == []


def test_skip_does_not_import_google(tmp_path):
    """The skip path never imports the Google client (it costs more than the whole skip)."""
    code = (
        "import sys, io\n"
        "from calsync import cli\n"
        "env = {'CALSYNC_CONFIG': sys.argv[2]}\n"
        "rc = cli.main(['sync', '--payload', sys.argv[1]], env=env, stdout=io.StringIO())\n"
        "assert rc == 0, rc\n"
        "loaded = [m for m in sys.modules if m.startswith(('googleapiclient', 'google.', 'httplib2'))]\n"
        "assert not loaded, loaded\n"
    )
    sample_path = ROOT / "samples" / "invitee_created_sales.json"
    subprocess.run(
        [sys.executable, "-c", code, str(sample_path), str(TEAM_MAP)],
        check=True,
        cwd=ROOT / "scripts",
    )


def test_dry_run_writes_nothing(sync, fake_google):
    result = sync(sample("invitee_created"), "--dry-run")
    assert result.report["action"] == "created"
    assert result.report["dry_run"] is True
    assert result.report["reason"].startswith("would create: ")
    assert result.out.startswith("dry run on ")
    assert fake_google.events(GLOBAL, include_deleted=True) == []
    via_env = sync(sample("invitee_created"), env={"DRY_RUN": "true"})
    assert via_env.report["dry_run"] is True
    assert fake_google.events(GLOBAL, include_deleted=True) == []


def test_taken_id_is_read_not_duplicated(sync, fake_google):
    """409 on insert (the insert is the existence check): the event another run created is
    read and compared, never doubled."""
    sync(sample("invitee_created"))
    fake_google.reset_log()
    second = sync(sample("invitee_created"))
    assert second.code == 0
    assert second.report["action"] == "unchanged"
    assert "the event already existed" in second.report["reason"]
    assert fake_google.kinds() == ["token", "insert", "get"]  # the insert answered 409
    assert len(fake_google.events(GLOBAL, include_deleted=True)) == 1


def test_cancel_before_create_reserves_the_id(sync, fake_google):
    """Out of order: the cancel arrives first; the late create finds the id burnt."""
    canceled = sync(sample("invitee_canceled"))
    assert canceled.report["action"] == "deleted"
    created = sync(sample("invitee_created"))
    assert created.report["action"] == "unchanged"
    assert fake_google.live_events(GLOBAL) == []


def test_cancel_without_details_finds_the_event(sync, fake_google):
    """An older payload without scheduled_event still cancels, wherever the event is."""
    sync(sample("invitee_created_usgov"))
    body = sample("invitee_created_usgov")
    body["event"] = "invitee.canceled"
    body["created_at"] = "2026-11-21T00:00:00.000000Z"
    del body["payload"]["scheduled_event"]
    result = sync(body)
    assert (result.code, result.report["action"]) == (0, "deleted")
    assert result.report["calendar_id"] == USGOV
    assert fake_google.live_events(USGOV) == []


def test_lost_response_still_one_event(sync, fake_google):
    """The insert happened but its answer was lost: the retry's 409 is recognised as ours."""
    fake_google.fail(method="POST", path_contains="/events", kind="lost_response")
    result = sync(sample("invitee_created"))
    assert result.code == 0, result.err
    assert result.report["action"] == "unchanged"
    assert "insert whose answer was lost" in result.report["reason"]
    assert len(fake_google.events(GLOBAL, include_deleted=True)) == 1


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "backendError"),
        (503, "backendError"),
        (429, "rateLimitExceeded"),
        (403, "rateLimitExceeded"),
        (403, "userRateLimitExceeded"),
    ],
)
def test_transient_faults_are_retried(sync, fake_google, sleeps, status, reason):
    fake_google.fail(
        path_contains="/calendar/v3", status=status, reason=reason, times=2, retry_after=1
    )
    result = sync(sample("invitee_created"))
    assert (result.code, result.err) == (0, "")
    assert result.report["action"] == "created"
    assert len(sleeps) == 2
    assert len(fake_google.live_events(GLOBAL)) == 1


def test_persistent_fault_exits_1_and_rerun_completes(sync, fake_google):
    fake_google.fail(method="POST", path_contains="/calendar/v3", status=503, times=50)
    failed = sync(sample("invitee_created"), "--retries", "2")
    assert failed.code == 1
    assert failed.err.startswith("error: Google Calendar API 503 (backendError) after 2 retries")
    assert "Traceback" not in failed.err
    assert failed.report["action"] == "error"
    assert failed.report["exit_code"] == 1
    fake_google._faults.clear()
    rerun = sync(sample("invitee_created"))
    assert (rerun.code, rerun.report["action"]) == (0, "created")
    assert len(fake_google.live_events(GLOBAL)) == 1


def test_permission_denied_says_how_to_fix(sync, fake_google):
    fake_google.deny(GLOBAL, reason="forbidden")
    result = sync(sample("invitee_created"))
    assert result.code == 2
    assert result.err.splitlines()[0] == (
        f"error: Google Calendar API 403 (forbidden) on calendar {GLOBAL}: share it with "
        "sync@test-project.iam.gserviceaccount.com ('Make changes to events'), or set "
        "GOOGLE_DELEGATED_USER to a user who can, with domain-wide delegation"
    )


def test_unknown_calendar_is_a_config_error(sync, fake_google, tmp_path):
    config = tmp_path / "map.yaml"
    config.write_text(TEAM_MAP.read_text().replace(GLOBAL, "c_nope@group.calendar.google.com"))
    result = sync(sample("invitee_created"), "--config", str(config))
    assert result.code == 2
    assert "calendar c_nope@group.calendar.google.com not found, or not shared with" in result.err


def test_delegated_subject_reaches_the_token_request(sync, fake_google):
    result = sync(
        sample("invitee_created"), env={"GOOGLE_DELEGATED_USER": "calendar-bot@example.com"}
    )
    assert result.code == 0, result.err
    assert fake_google.subjects == ["calendar-bot@example.com"]


@pytest.mark.slow  # google-auth's own backoff sleeps for real (~3 s); it takes no clock
def test_token_endpoint_down_is_transient(sync, fake_google):
    fake_google.fail(kind="token", status=503, times=20)
    result = sync(webhook())
    assert result.code == 1, result.err
    assert "token" in result.err
    assert fake_google.events(GLOBAL, include_deleted=True) == []


def test_bad_credentials_file(sync, tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text('{"type": "service_account", "client_email": "x@y.iam.gserviceaccount.com"}')
    result = sync(webhook(), env={"GOOGLE_APPLICATION_CREDENTIALS": str(bad)})
    assert result.code == 2
    assert result.err == "error: GOOGLE_APPLICATION_CREDENTIALS: missing private_key, token_uri\n"


def test_purged_id_counts_as_deleted_not_a_loop(sync, fake_google):
    """Insert says 409 but get says 404 (a purged deleted event): a deleted meeting, no loop."""
    event_id = event_id_for(sample("invitee_created")["payload"]["event"])
    fake_google.fail(method="GET", path_contains=event_id, status=404, reason="notFound", times=20)
    fake_google.fail(
        method="POST", path_contains="/events", status=409, reason="duplicate", times=20
    )
    result = sync(sample("invitee_created"))
    assert (result.code, result.report["action"]) == (0, "unchanged"), result.err
    assert "deleted" in result.report["reason"]
    assert len(inserts(fake_google)) == 1  # one try, then the reads: no insert loop
    canceled = sync(sample("invitee_canceled"))  # a cancel has nothing left to do
    assert (canceled.code, canceled.report["action"]) == (0, "unchanged")
