"""`doctor` against the fake Google and Calendly servers: one line per check, the fix in the
line, exit 0 / 2 / 1, and never a write (every request logged by the fakes is a read)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import GLOBAL, SECRET_TOKEN, USGOV, Result, run_cli
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle

TRIGGER_TOKEN = "glptt-trigger-sentinel-93c1"
HOOK = (
    f"https://gitlab.example.com/api/v4/projects/42/ref/main/trigger/pipeline?token={TRIGGER_TOKEN}"
)
EVENTS = [
    "invitee.created",
    "invitee.canceled",
    "invitee_no_show.created",
    "invitee_no_show.deleted",
]
NAMES = [
    "team map",
    "google credentials",
    "calendar us-government",
    "calendar global",
    "calendly account",
    "calendly scheduled events",
    "calendly webhook subscriptions",
    "webhook subscription",
]


def team_map(path: Path, calendars: dict[str, str]) -> Path:
    teams = "".join(f"  {k}:\n    calendar_id: {v}\n" for k, v in calendars.items())
    routes = "".join(f"  - team: {k}\n    event_name_contains: ['{k} call']\n" for k in calendars)
    path.write_text(f"version: 1\nteams:\n{teams}routes:\n{routes}", encoding="utf-8")
    return path


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=SECRET_TOKEN) as fake:
        yield fake


@pytest.fixture
def env(google_env: dict[str, str], calendly: FakeCalendly, tmp_path: Path) -> dict[str, str]:
    config = team_map(tmp_path / "team_map.yaml", {"us-government": USGOV, "global": GLOBAL})
    return {
        **google_env,
        "CALENDLY_TOKEN": SECRET_TOKEN,
        "CALENDLY_API_URL": calendly.base_url,
        "CALSYNC_CONFIG": str(config),
    }


def subscribe(env: dict[str, str], url: str = HOOK, events: list[str] = EVENTS) -> str:
    """Subscribe `url` through the CLI; return the subscription's UUID."""
    done = run_cli(["webhooks", "create", "--url", url, "--events", *events], env)
    assert done.code == 0, done.err
    return str(done.report["subscription"]["uri"]).rsplit("/", 1)[-1]


def doctor(env: dict[str, str], *flags: str) -> Result:
    return run_cli(["doctor", "--timeout", "2", "--retries", "0", *flags], env)


def lines(result: Result) -> dict[str, str]:
    """check name -> its line (the human lines, before the report)."""
    found = {}
    for line in result.out.splitlines()[:-1]:
        verdict, _, rest = line.partition(" ")
        name = rest.strip().split(":", 1)[0]
        found[name] = f"{verdict} {rest.strip()}"
    return found


def assert_read_only(google: FakeGoogle, calendly: FakeCalendly, before: int = 0) -> None:
    """Nothing created, changed or deleted: Google saw tokens and reads, Calendly GETs."""
    assert set(google.kinds()) <= {"token", "list"}, google.kinds()
    writes = [r for r in calendly.request_log[before:] if r.method != "GET"]
    assert writes == []
    for calendar_id in (USGOV, GLOBAL):
        assert google.events(calendar_id, include_deleted=True) == []


@pytest.fixture
def subscribed(env: dict[str, str], calendly: FakeCalendly) -> int:
    """An active organization subscription to the trigger; the Calendly log length after it."""
    subscribe(env)
    return len(calendly.request_log)


def test_all_checks_pass(env, fake_google, calendly, subscribed):
    result = doctor(env)

    assert result.code == 0, result.out + result.err
    assert result.err == ""
    found = lines(result)
    assert list(found) == NAMES
    assert all(line.startswith("ok ") for line in found.values()), found
    assert "may write events (accessRole owner)" in found["calendar global"]
    assert "active, delivers invitee.created" in found["webhook subscription"]
    report = result.report
    assert (report["command"], report["action"], report["exit_code"]) == ("doctor", "checked", 0)
    assert [c["name"] for c in report["checks"]] == NAMES
    assert TRIGGER_TOKEN not in result.out + result.err
    assert_read_only(fake_google, calendly, subscribed)
    assert fake_google.count("list") == 2  # one events.list (maxResults=1) per team calendar
    assert all("maxResults=1" in q for m, p, q in fake_google.request_log() if m == "GET")


@pytest.mark.parametrize(
    ("role", "shown"),
    [("reader", "read-only ('See all event details')"), ("freeBusyReader", "free/busy only")],
)
def test_read_only_calendar_fails_naming_team_calendar_and_setting(
    env, fake_google, calendly, subscribed, tmp_path, role, shown
):
    readonly = "c_readonly@group.calendar.google.com"
    fake_google.add_calendar(readonly, role)
    env["CALSYNC_CONFIG"] = str(
        team_map(tmp_path / "m.yaml", {"global": GLOBAL, "sales": readonly})
    )

    result = doctor(env)

    assert result.code == 2, result.out
    line = lines(result)["calendar sales"]
    assert line.startswith("FAIL calendar sales: team sales: calendar " + readonly), line
    assert shown in line
    assert "fix: " in line
    assert "'Make changes to events'" in line
    assert lines(result)["calendar global"].startswith("ok ")
    assert result.err == "error: doctor: 1 of 8 checks failed: calendar sales\n"
    assert result.report["exit_code"] == 2
    assert_read_only(fake_google, calendly, subscribed)
    assert fake_google.events(readonly, include_deleted=True) == []


def test_missing_or_unshared_calendar_fails(env, fake_google, calendly, subscribed, tmp_path):
    missing = "c_missing@group.calendar.google.com"
    env["CALSYNC_CONFIG"] = str(team_map(tmp_path / "m.yaml", {"global": GLOBAL, "gone": missing}))

    result = doctor(env)

    assert result.code == 2
    line = lines(result)["calendar gone"]
    assert f"team gone: calendar {missing} not found, or not shared with " in line
    assert "fix: check teams.gone.calendar_id in the team map, and share the calendar" in line
    assert_read_only(fake_google, calendly, subscribed)


def test_refused_credentials_fail_and_calendars_are_not_tried(
    env, fake_google, calendly, subscribed
):
    fake_google.fail(kind="token", status=400, reason="invalid_grant", times=5)

    result = doctor(env)

    assert result.code == 2
    found = lines(result)
    assert found["google credentials"].startswith(
        "FAIL google credentials: Google token request refused"
    )
    assert "(the team calendars were not checked)" in found["google credentials"]
    assert "calendar global" not in found
    assert fake_google.kinds() == ["token"]
    assert found["webhook subscription"].startswith("ok ")  # the other checks still run


def test_missing_key_file_fails(env, fake_google, calendly, subscribed, tmp_path):
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(tmp_path / "nowhere.json")

    result = doctor(env)

    assert result.code == 2
    assert "GOOGLE_APPLICATION_CREDENTIALS: file not found" in lines(result)["google credentials"]
    assert fake_google.requests == []


def test_unreachable_google_exits_1(env, fake_google, calendly, subscribed):
    fake_google.fail(path_contains="/calendar/v3/", status=503, times=10)

    result = doctor(env)

    assert result.code == 1, result.out
    line = lines(result)["calendar global"]
    assert line.startswith(
        "FAIL calendar global: team global: unreachable: Google Calendar API 503"
    )
    assert result.report["exit_code"] == 1


def test_misconfiguration_wins_over_unreachable(env, fake_google, calendly, subscribed):
    fake_google.fail(path_contains="/calendar/v3/", status=503, times=10)
    calendly.disable_subscription(calendly.subscriptions[0]["uri"])

    assert doctor(env).code == 2


@pytest.mark.parametrize(
    ("granted", "name", "scope"),
    [
        ({"users:read", "webhooks:read"}, "calendly scheduled events", "scheduled_events:read"),
        (
            {"users:read", "scheduled_events:read"},
            "calendly webhook subscriptions",
            "webhooks:read",
        ),
        ({"scheduled_events:read", "webhooks:read"}, "calendly account", "users:read"),
    ],
)
def test_missing_calendly_scope_is_named(
    env, fake_google, calendly, subscribed, granted, name, scope
):
    calendly.grant(SECRET_TOKEN, granted)

    result = doctor(env)

    assert result.code == 2
    line = lines(result)[name]
    assert line.startswith(f"FAIL {name}: the token lacks scope {scope}: fix: create a personal")
    assert SECRET_TOKEN not in result.out + result.err
    assert_read_only(fake_google, calendly, subscribed)


def test_no_subscription_fails_with_the_create_command(env, fake_google, calendly):
    result = doctor(env)

    assert result.code == 2
    line = lines(result)["webhook subscription"]
    assert "no organization or group webhook subscription delivers to a GitLab pipeline" in line
    assert "fix: python scripts/calendly_gcal.py webhooks create --url" in line
    assert_read_only(fake_google, calendly)


def test_disabled_subscription_fails_with_how_to_recreate_it(
    env, fake_google, calendly, subscribed
):
    uuid = calendly.subscriptions[0]["uri"].rsplit("/", 1)[-1]
    calendly.disable_subscription(uuid)

    result = doctor(env)

    assert result.code == 2
    line = lines(result)["webhook subscription"]
    assert f"subscription {uuid} -> " in line
    assert "is disabled (Calendly disables a subscription after 24 hours" in line
    assert f"fix: python scripts/calendly_gcal.py webhooks delete {uuid} --yes, then" in line
    assert "webhooks create --url 'https://gitlab.example.com/api/v4/projects/42/ref/main/" in line
    assert TRIGGER_TOKEN not in result.out + result.err
    assert_read_only(fake_google, calendly, subscribed)


def test_subscription_without_no_show_events_fails(env, fake_google, calendly):
    subscribe(env, events=EVENTS[:2])

    line = lines(doctor(env))["webhook subscription"]

    assert "does not deliver invitee_no_show.created, invitee_no_show.deleted" in line


def test_trigger_url_mismatch_fails_without_printing_tokens(env, fake_google, calendly, subscribed):
    other = HOOK.replace("projects/42", "projects/43").replace(TRIGGER_TOKEN, "other-token-5c2b")
    env["CALSYNC_TRIGGER_URL"] = other

    result = doctor(env)

    assert result.code == 2
    line = lines(result)["webhook subscription"]
    assert "no organization or group webhook subscription delivers to CALSYNC_TRIGGER_URL" in line
    assert "projects/43/ref/main/trigger/pipeline?token=<redacted>" in line
    assert "deliver to https://gitlab.example.com/api/v4/projects/42/" in line
    for secret in (TRIGGER_TOKEN, "other-token-5c2b", SECRET_TOKEN):
        assert secret not in result.out + result.err


def test_trigger_url_match_passes(env, fake_google, calendly, subscribed):
    env["CALSYNC_TRIGGER_URL"] = HOOK

    result = doctor(env)

    assert result.code == 0, result.out
    assert TRIGGER_TOKEN not in result.out + result.err


def test_group_subscription_counts(env, fake_google, calendly):
    group = calendly.add_group("Support")
    argv = ["webhooks", "create", "--url", HOOK, "--scope", "group", "--group", group["uri"]]
    assert run_cli(argv, env).code == 0

    line = lines(doctor(env))["webhook subscription"]

    assert line.startswith("ok webhook subscription: group subscription "), line


def test_without_calendly_token_trigger_runs_would_refuse(env, fake_google):
    del env["CALENDLY_TOKEN"]

    result = doctor(env)

    assert result.code == 2
    line = lines(result)["calendly account"]
    assert line.startswith("FAIL calendly account: CALENDLY_TOKEN is not set, so trigger runs")
    assert "webhook subscription" not in lines(result)


def test_without_calendly_token_but_unverified_deliveries_accepted(env, fake_google, tmp_path):
    del env["CALENDLY_TOKEN"]
    path = Path(env["CALSYNC_CONFIG"])
    path.write_text(
        "unsafe_accept_unverified_trigger_deliveries: true\n" + path.read_text(), encoding="utf-8"
    )

    result = doctor(env)

    assert result.code == 0, result.out
    assert "accepted unverified" in lines(result)["calendly account"]


def test_invalid_team_map_fails_and_the_rest_still_runs(env, fake_google, calendly, subscribed):
    path = Path(env["CALSYNC_CONFIG"])
    path.write_text(path.read_text().replace("- team: global", "- team: nobody"), encoding="utf-8")

    result = doctor(env)

    assert result.code == 2
    line = lines(result)["team map"]
    assert "1 problem in the team map (first: " in line
    assert "routes.1.team: unknown team 'nobody'" in line
    assert "fix: python scripts/calendly_gcal.py validate-config --config" in line
    assert lines(result)["google credentials"].startswith("ok ")
    assert lines(result)["webhook subscription"].startswith("ok ")


def test_json_is_the_report_line(env, fake_google, calendly, subscribed):
    calendly.disable_subscription(calendly.subscriptions[0]["uri"])

    result = doctor(env, "--json")

    assert result.code == 2
    assert len(result.out.splitlines()) == 1  # no human lines: the JSON is the output
    report = json.loads(result.out)
    assert report["exit_code"] == 2
    assert [sorted(c) for c in report["checks"]] == [["detail", "name", "ok"]] * len(NAMES)
    assert [(c["name"], c["ok"]) for c in report["checks"]] == [
        (name, name != "webhook subscription") for name in NAMES
    ]
    assert all(isinstance(c["detail"], str) and c["detail"] for c in report["checks"])
    assert TRIGGER_TOKEN not in result.out + result.err
    assert_read_only(fake_google, calendly, subscribed)


def test_help_says_what_it_checks(capsys):
    assert run_cli(["doctor", "--help"], {}).code == 0

    text = " ".join(capsys.readouterr().out.split())
    assert "one line per check, ok or FAIL with the fix" in text
    assert "Exit 0 all passed, 2 misconfigured, 1 a service unreachable" in text
