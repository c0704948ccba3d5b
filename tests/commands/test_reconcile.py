"""`reconcile` end to end: FakeCalendly and FakeGoogle over real HTTP, the real client libraries."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import iso, webhook
from calsync.core.decide import event_id_for
from conftest import GLOBAL, SECRET_TOKEN, TEAM_MAP, USGOV, Result, run_cli
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle, write_service_account_file

NOW = datetime.now(UTC).replace(microsecond=0)
AGENT = "agent.one@example.com"  # a US Government team member in tests/data/team_map.yaml
WRITES = ("POST", "PATCH", "PUT", "DELETE")


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=SECRET_TOKEN, page_size=100) as fake:
        yield fake


@pytest.fixture
def reconcile(google_env, calendly, sleeps):
    """reconcile(*flags, env=...) -> Result, --since=-2d unless flags say otherwise."""

    def run(*flags: str, env: dict[str, str] | None = None) -> Result:
        since = [] if any(f.startswith("--since") for f in flags) else ["--since=-2d"]
        full = {
            **google_env,
            "CALENDLY_TOKEN": SECRET_TOKEN,
            "CALENDLY_API_URL": calendly.base_url,
            **(env or {}),
        }
        result = run_cli(["reconcile", *since, "--timeout", "5", *flags], full)
        assert SECRET_TOKEN not in result.out + result.err
        return result

    return run


def meeting(
    calendly: FakeCalendly,
    hours: float,
    *,
    name: str = "Global Support Call",
    host: str = "support.engineer@example.com",
    limit: int = 1,
    active: int = 1,
    status: str = "active",
) -> dict[str, Any]:
    """A scheduled event (with one invitee) starting `hours` from now, stored in the fake."""
    start = NOW + timedelta(hours=hours)
    event = calendly.make_event(
        start_time=iso(start),
        name=name,
        status=status,
        updated_at=iso(NOW - timedelta(days=3)),
        invitees_counter={"total": max(active, 1), "active": active, "limit": limit},
        event_memberships=[
            {
                "user": f"{calendly.base_url}/users/U1",
                "user_email": host,
                "user_name": host.split("@", maxsplit=1)[0],
            }
        ],
    )
    calendly.add_scheduled_event(event)
    calendly.add_invitee(
        calendly.make_invitee(event, status="canceled" if status == "canceled" else "active")
    )
    return event


def change(calendly: FakeCalendly, event: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """The meeting changed in Calendly (its updated_at moves on)."""
    changed = {**copy.deepcopy(event), **fields, "updated_at": iso(NOW - timedelta(hours=1))}
    calendly.add_scheduled_event(changed)
    return changed


def on_calendar(fake_google, calendar_id: str, event: dict[str, Any]) -> dict[str, Any] | None:
    eid = event_id_for(event["uri"])
    found = [e for e in fake_google.events(calendar_id, include_deleted=True) if e["id"] == eid]
    return found[0] if found else None


def writes(fake_google) -> list[tuple[str, str]]:
    return [r for r in fake_google.requests if r[0] in WRITES and "/calendar/v3/" in r[1]]


def test_drift_is_repaired_and_a_second_run_changes_nothing(reconcile, calendly, fake_google):
    """Missing, canceled-but-still-there and moved-by-hand events are repaired; then all unchanged."""
    usgov = meeting(calendly, 5, name="US Federal onboarding", host=AGENT)
    keep = meeting(calendly, 6)
    cancel = meeting(calendly, 7)
    moved = meeting(calendly, 8)
    group = meeting(calendly, 9, name="Support office hours", limit=10, active=3)
    first = reconcile()
    assert (first.code, first.err) == (0, "")
    assert first.report["counts"] == {
        "created": 5,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert on_calendar(fake_google, USGOV, usgov)["summary"] == "US Federal onboarding"
    assert "Invitees: 3 of 10" in on_calendar(fake_google, GLOBAL, group)["description"]

    missed = meeting(calendly, 10)  # booked, but its webhook never arrived
    change(
        calendly, cancel, status="canceled", invitees_counter={"total": 1, "active": 0, "limit": 1}
    )
    by_hand = on_calendar(fake_google, GLOBAL, moved)
    by_hand["start"]["dateTime"] = iso(NOW + timedelta(hours=30))
    by_hand["end"]["dateTime"] = iso(NOW + timedelta(hours=31))
    fake_google.seed_event(GLOBAL, by_hand)

    second = reconcile()
    assert (second.code, second.err) == (0, "")
    report = second.report
    assert report["counts"] == {
        "created": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 3,
        "skipped": 0,
        "errors": 0,
    }
    assert {(d["action"], d["calendly_event"]) for d in report["drift"]} == {
        ("created", missed["uri"]),
        ("deleted", cancel["uri"]),
        ("updated", moved["uri"]),
    }
    assert on_calendar(fake_google, GLOBAL, missed)["status"] == "confirmed"
    assert on_calendar(fake_google, GLOBAL, cancel)["status"] == "cancelled"
    assert (
        on_calendar(fake_google, GLOBAL, moved)["start"]["dateTime"]
        == moved["start_time"][:19] + "Z"
    )
    assert on_calendar(fake_google, GLOBAL, keep)["sequence"] == 0

    fake_google.reset_log()
    third = reconcile()
    assert third.report["counts"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 6,
        "skipped": 0,
        "errors": 0,
    }
    assert third.report["drift"] == []
    assert writes(fake_google) == []
    assert [r[0] for r in fake_google.requests if r[1] != "/token"] == ["GET", "GET"]  # 1 list each


def test_stripped_deleted_events_cause_no_rewrites(calendly, tmp_path, sleeps):
    """Google may list a deleted event with its id alone: a canceled meeting's deleted event
    is then left as it is, not patched again on every run."""
    with FakeGoogle(strip_deleted=True) as google:
        google.add_calendar(GLOBAL)
        key = write_service_account_file(tmp_path / "sa.json", token_uri=google.token_uri)
        env = {
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "CALENDLY_TOKEN": SECRET_TOKEN,
            "GOOGLE_CALENDAR_API_ENDPOINT": google.base_url,
            "CALENDLY_API_URL": calendly.base_url,
        }
        canceled = meeting(calendly, 5)
        meeting(calendly, 6)
        assert run_cli(["reconcile", "--since=-2d"], env).report["counts"]["created"] == 2
        change(calendly, canceled, status="canceled")
        assert run_cli(["reconcile", "--since=-2d"], env).report["counts"]["deleted"] == 1
        google.reset_log()
        again = run_cli(["reconcile", "--since=-2d"], env)
        assert again.report["counts"]["unchanged"] == 2
        assert writes(google) == []


def test_dry_run_reports_drift_and_writes_nothing(reconcile, calendly, fake_google):
    """--dry-run: the same counts a real run would have, and not one write."""
    meeting(calendly, 5)
    canceled = meeting(calendly, 6)
    assert reconcile().report["counts"]["created"] == 2
    change(calendly, canceled, status="canceled")
    meeting(calendly, 7)
    fake_google.reset_log()
    dry = reconcile("--dry-run")
    assert (dry.code, dry.report["dry_run"]) == (0, True)
    assert dry.report["counts"] == {
        "created": 1,
        "updated": 0,
        "deleted": 1,
        "unchanged": 1,
        "skipped": 0,
        "errors": 0,
    }
    assert all(d["reason"].startswith("dry run: ") for d in dry.report["drift"])
    assert dry.out.startswith("dry run: 3 scheduled events in ")
    assert writes(fake_google) == []
    assert on_calendar(fake_google, GLOBAL, canceled)["status"] == "confirmed"


def test_dry_run_sees_an_event_moved_out_of_the_window(reconcile, calendly, fake_google):
    """An event dragged far away by hand is not in the window's listing: a dry run reads it
    by id (in a batch) and reports an update, not a create."""
    moved = meeting(calendly, 5)
    reconcile()
    by_hand = on_calendar(fake_google, GLOBAL, moved)
    by_hand["start"]["dateTime"], by_hand["end"]["dateTime"] = (
        "2031-01-01T10:00:00Z",
        "2031-01-01T11:00:00Z",
    )
    fake_google.seed_event(GLOBAL, by_hand)
    dry = reconcile("--dry-run")
    assert dry.report["counts"]["updated"] == 1
    assert dry.report["counts"]["created"] == 0


def test_event_moved_out_of_the_window_is_moved_back(reconcile, calendly, fake_google):
    """A real run inserts, meets the taken id (409), reads it and patches it back."""
    moved = meeting(calendly, 5)
    reconcile()
    by_hand = on_calendar(fake_google, GLOBAL, moved)
    by_hand["start"]["dateTime"], by_hand["end"]["dateTime"] = (
        "2031-01-01T10:00:00Z",
        "2031-01-01T11:00:00Z",
    )
    fake_google.seed_event(GLOBAL, by_hand)
    result = reconcile()
    assert result.report["counts"]["updated"] == 1
    [entry] = result.report["drift"]
    assert entry["reason"].endswith("; re-read after the calendar changed under us")
    assert (
        on_calendar(fake_google, GLOBAL, moved)["start"]["dateTime"]
        == moved["start_time"][:19] + "Z"
    )


def test_canceled_meeting_moved_away_by_hand_is_deleted(reconcile, calendly, fake_google):
    """An event dragged outside the listed span, whose meeting was then canceled: the listing
    does not show it, so it is read by id and deleted (a cancel is not inserted blindly)."""
    moved = meeting(calendly, 5)
    meeting(calendly, 6)
    reconcile()
    by_hand = on_calendar(fake_google, GLOBAL, moved)
    by_hand["start"]["dateTime"], by_hand["end"]["dateTime"] = (
        iso(NOW + timedelta(days=20)),
        iso(NOW + timedelta(days=20, hours=1)),
    )
    fake_google.seed_event(GLOBAL, by_hand)
    change(
        calendly, moved, status="canceled", invitees_counter={"total": 1, "active": 0, "limit": 1}
    )
    result = reconcile()
    assert (result.code, result.report["counts"]["deleted"]) == (0, 1)
    assert on_calendar(fake_google, GLOBAL, moved)["status"] == "cancelled"


def test_chunks_keep_counts_whole_and_drift_bounded(reconcile, calendly, monkeypatch):
    """Chunk by chunk: the counts cover every meeting, the drift list stops at MAX_DRIFT, and
    each chunk lists its calendar once (over its own span) and writes in batches."""
    from calsync.commands import reconcile as command

    monkeypatch.setattr(command, "MAX_DRIFT", 5)  # leaf constants: a small report, small chunks
    monkeypatch.setattr(command, "CHUNK", 100)
    for n in range(230):
        meeting(calendly, 3 + n / 4)
    report = reconcile().report
    assert (report["scheduled_events"], report["counts"]["created"]) == (230, 230)
    assert (len(report["drift"]), report["drift_truncated"]) == (5, 225)
    # per chunk (100, 100, 30): one listing, then the inserts in batches of 50
    assert report["google_requests"] == 3 + (2 + 2 + 1)
    again = reconcile().report
    assert (again["counts"]["unchanged"], again["google_requests"]) == (230, 3)


def test_requests_stay_far_below_the_bookings(reconcile, calendly, fake_google):
    """300 bookings: a handful of requests to each API, not one per booking."""
    for n in range(300):
        meeting(
            calendly,
            3 + n / 4,
            name="US Federal call" if n % 3 == 0 else "Support call",
            host=AGENT if n % 3 == 0 else "someone@example.com",
        )
    first = reconcile()
    assert first.report["counts"]["created"] == 300
    assert len(fake_google.live_events(USGOV)) == 100
    assert len(fake_google.live_events(GLOBAL)) == 200
    # token + 2 listings + 300 inserts in batches of 50
    assert fake_google.http_requests == 1 + 2 + 6
    assert len(calendly.requests) == 1 + 3  # /users/me + 3 pages of 100
    assert first.report["calendly_requests"] == 4
    assert first.report["google_requests"] == 8
    fake_google.reset_log()
    again = reconcile()
    assert again.report["counts"]["unchanged"] == 300
    assert fake_google.http_requests == 1 + 2


def test_webhook_synced_events_are_unchanged(reconcile, sync, calendly, fake_google):
    """What `sync` wrote from the webhook is exactly what reconcile would write."""
    bodies = [
        webhook(
            api=calendly.base_url,
            event=f"EVSYNC{n:08d}",
            invitee=f"INV{n:011d}",
            start=NOW + timedelta(days=n + 1),
            at=NOW - timedelta(days=1),
        )
        for n in range(3)
    ]
    bodies[2]["payload"]["scheduled_event"]["invitees_counter"] = {
        "total": 4,
        "active": 2,
        "limit": 6,
    }
    for body in bodies:
        invitee = copy.deepcopy(body["payload"])
        calendly.add_scheduled_event(invitee.pop("scheduled_event"))
        calendly.add_invitee(invitee)
        assert sync(body).report["action"] == "created"
    fake_google.reset_log()
    result = reconcile()
    assert result.report["counts"]["unchanged"] == 3
    assert writes(fake_google) == []


def test_invitee_is_fetched_only_when_the_team_shows_it(reconcile, calendly, fake_google, tmp_path):
    """A team that shows invitee names: one invitee listing per one-invitee meeting, none for
    group meetings; the name lands in the title."""
    config = tmp_path / "team_map.yaml"
    config.write_text(
        TEAM_MAP.read_text().replace(
            "    calendar_id: c_global@group.calendar.google.com",
            "    calendar_id: c_global@group.calendar.google.com\n    show_invitee_name: true",
        )
    )
    single = meeting(calendly, 5)
    meeting(calendly, 6, limit=5, active=2)
    result = reconcile("--config", str(config))
    assert result.report["counts"]["created"] == 2
    assert (
        on_calendar(fake_google, GLOBAL, single)["summary"] == "Global Support Call — Ada Lovelace"
    )
    assert "Ada Lovelace" not in result.out + result.err
    invitee_lists = [t for _, t in calendly.requests if t.split("?")[0].endswith("/invitees")]
    assert invitee_lists == [single["uri"].removeprefix(calendly.base_url) + "/invitees?count=100"]


def test_unrouted_meetings_are_skipped_without_google(reconcile, calendly, fake_google):
    meeting(calendly, 5, name="Sales demo")
    result = reconcile()
    assert (result.code, result.report["counts"]["skipped"]) == (0, 1)
    assert fake_google.requests == []


def test_window_bounds_the_listing(reconcile, calendly, fake_google):
    """Only meetings starting in [--since, --until) are reconciled."""
    meeting(calendly, -72)
    inside = meeting(calendly, 5)
    meeting(calendly, 24 * 10)
    result = reconcile("--since=-2d", "--until", "+7d")
    assert result.report["scheduled_events"] == 1
    assert result.report["counts"]["created"] == 1
    assert on_calendar(fake_google, GLOBAL, inside) is not None
    assert result.report["until"] > result.report["since"]


def test_transient_batch_part_failure_is_resent(reconcile, calendly, fake_google, sleeps):
    """A 503 on one call inside a batch: only that call is sent again, after a backoff."""
    meeting(calendly, 5)
    meeting(calendly, 6)
    fake_google.fail(method="POST", path_contains="/events", status=503, times=1)
    result = reconcile()
    assert (result.code, result.report["counts"]["created"]) == (0, 2)
    assert len(sleeps) == 1
    assert len(fake_google.live_events(GLOBAL)) == 2


def test_calendar_not_shared_fails_its_events_only(reconcile, calendly, fake_google):
    """A calendar we may not read: its events are errors (exit 2), the others are synced."""
    meeting(calendly, 5, name="US Federal call", host=AGENT)
    meeting(calendly, 6)
    fake_google.deny(USGOV)
    result = reconcile()
    assert result.code == 2
    assert result.err.startswith(
        "error: 1 of 2 scheduled events could not be reconciled (first: "
        "Google Calendar API 403 (forbidden) on calendar "
        f"{USGOV}: share it with"
    )
    report = result.report
    assert (report["action"], report["counts"]["created"], report["counts"]["errors"]) == (
        "error",
        1,
        1,
    )
    assert len(fake_google.live_events(GLOBAL)) == 1


def test_wrong_batch_endpoint_is_a_config_error(reconcile, calendly, fake_google):
    """A --batch-uri that is not a batch endpoint: one clear line, exit 2, no retry loop."""
    meeting(calendly, 5)
    wrong = fake_google.base_url + "/not/batch"
    result = reconcile("--batch-uri", wrong)
    assert result.code == 2
    assert result.err == (
        "error: 1 of 1 scheduled events could not be reconciled (first: Google batch endpoint "
        f"{wrong} answered HTTP 404; check --batch-uri); the report lists them\n"
    )
    assert [r for r in fake_google.requests if r[1] == "/not/batch"] == [("POST", "/not/batch")]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--since=yesterday"],
            (
                "error: --since: expected an ISO date or time (2026-01-31, "
                "2026-01-31T09:00Z) or a relative time (-2d, -12h, +90d), got 'yesterday'\n"
            ),
        ),
        (
            ["--since", "2030-01-02", "--until", "2030-01-01"],
            (
                "error: --until (2030-01-01T00:00:00.000000Z) must be after --since "
                "(2030-01-02T00:00:00.000000Z)\n"
            ),
        ),
    ],
)
def test_bad_window_is_exit_2(reconcile, calendly, flags, message):
    result = reconcile(*flags)
    assert (result.code, result.err) == (2, message)
    assert calendly.requests == []


def test_ics_backend_is_not_supported(reconcile, calendly):
    result = reconcile(env={"CALSYNC_BACKEND": "ics"})
    assert result.code == 2
    assert result.err == (
        "error: reconcile supports the google backend only (CALSYNC_BACKEND=ics); "
        "the .ics backend has no listing to compare with\n"
    )


def test_missing_token_is_a_config_error(reconcile, calendly):
    result = reconcile(env={"CALENDLY_TOKEN": ""})
    assert result.code == 2
    assert result.err.startswith("error: CALENDLY_TOKEN is not set: ")


def test_report_file_is_written(reconcile, calendly, tmp_path: Path):
    meeting(calendly, 5)
    path = tmp_path / "out" / "report.json"
    result = reconcile("--report-file", str(path))
    assert path.read_text().strip() == result.out.strip().splitlines()[-1]


def test_meeting_canceled_before_it_was_synced_causes_no_write(reconcile, calendly, fake_google):
    """Calendly says canceled and the calendar never had it: nothing to insert, then delete."""
    meeting(calendly, 5, status="canceled", active=0)
    result = reconcile()
    assert result.code == 0, result.err
    assert writes(fake_google) == []
    assert fake_google.events(GLOBAL, include_deleted=True) == []


@pytest.mark.slow
def test_2000_meetings_under_a_calendly_rate_limit(reconcile, calendly, fake_google, fake_time):
    """A budget of 5 Calendly requests a minute: reconcile paces itself by the rate-limit
    headers (waits on injected time) and still puts every meeting on its calendar."""
    for n in range(2000):
        meeting(calendly, 3 + n / 100, name="Support call", host="someone@example.com")
    calendly.rate_limit(5, per=60, clock=fake_time.monotonic)
    result = reconcile("--until=+30d")
    assert result.code == 0, result.err
    assert result.report["counts"]["created"] == 2000
    assert len(fake_google.live_events(GLOBAL)) == 2000
    assert result.report["calendly_requests"] == 1 + 20  # /users/me + 20 pages of 100
    assert sum(fake_time.slept) >= 3 * 60  # 21 requests at 5 a minute: at least 3 windows
    assert calendly.rejected <= 1  # paced: at most the first probe of an empty budget
