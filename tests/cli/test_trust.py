"""What a trigger caller may not change: endpoints, verification, delegated user, times.

See docs/security.md for the threat model; each rule there names its tests here. The team
maps are the tests' own (tests/cli/test_trust_content.py covers report, encoding, size, SIGTERM).
"""

from __future__ import annotations

import http.server
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import T0, iso, trigger_wrap, webhook
from calsync.core import trust
from calsync.core.errors import ConfigError, InputError
from calsync.core.team_map import parse_team_map
from conftest import GLOBAL, SECRET_TOKEN, run_cli
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle
from fakes.serving import Serving

DELEGATE = "calendar.robot@example.com"


def team_map(extra: str = "", team: str = "") -> str:
    return f"""\
version: 1
teams:
  global:
    calendar_id: {GLOBAL}
{team}routes:
  - team: global
    event_name_contains: ["Support"]
{extra}"""


@pytest.fixture
def config(tmp_path: Path):
    """config(extra_top_level_yaml, team_yaml) -> path of a team map owned by the test."""

    def write(extra: str = "", team: str = "") -> str:
        path = tmp_path / "map.yaml"
        path.write_text(team_map(extra, team))
        return str(path)

    return write


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=SECRET_TOKEN) as fake:
        yield fake


def publish(calendly: FakeCalendly, body: dict[str, Any]) -> None:
    invitee = json.loads(json.dumps(body["payload"]))
    calendly.add_scheduled_event(invitee.pop("scheduled_event"))
    calendly.add_invitee(invitee)


def body_for(calendly: FakeCalendly, **kw: Any) -> dict[str, Any]:
    return webhook(api=calendly.base_url, **kw)


# -- endpoints -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.googleapis.com", True),
        ("https://calendar.googleapis.com/calendar/v3", True),
        ("http://127.0.0.1:8080", True),
        ("http://127.5.6.7", True),
        ("http://[::1]:9000", True),
        ("http://localhost:1", True),
        ("http://www.googleapis.com", False),  # no plain http beyond loopback
        ("https://googleapis.com.evil.example", False),
        ("https://evilgoogleapis.com", False),
        ("https://10.0.0.5", False),
        ("https://user@www.googleapis.com", False),
        ("ftp://127.0.0.1", False),
        ("https://localhost.evil.example", False),
    ],
)
def test_google_url_allowlist(url, ok):
    """Google URLs: https on *.googleapis.com, or loopback; anything else names the variable."""
    if ok:
        trust.check_google_url("GOOGLE_CALENDAR_API_ENDPOINT", url)
    else:
        with pytest.raises(ConfigError, match=r"^GOOGLE_CALENDAR_API_ENDPOINT: (refusing|not a)"):
            trust.check_google_url("GOOGLE_CALENDAR_API_ENDPOINT", url)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.calendly.com", True),
        ("http://127.0.0.1:5000", True),
        ("http://api.calendly.com", False),
        ("https://api.calendly.com.evil.example", False),
        ("https://api.calendly.com:8443", False),
        ("https://api.calendly.com/v2/proxy", False),
        ("https://calendly.com", False),
    ],
)
def test_calendly_url_allowlist(url, ok):
    """CALENDLY_API_URL: exactly https://api.calendly.com, or loopback."""
    if ok:
        trust.check_calendly_url("CALENDLY_API_URL", url)
    else:
        with pytest.raises(ConfigError, match=r"^CALENDLY_API_URL: "):
            trust.check_calendly_url("CALENDLY_API_URL", url)


def _local_addresses() -> list[str]:
    """IPv4 addresses of this machine's own interfaces that are not loopback (at import,
    before the loopback guard is installed)."""
    try:
        out = subprocess.run(
            ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return []
    found = [line.split()[3].split("/")[0] for line in out.splitlines() if " inet " in line]
    return [a for a in found if not a.startswith("127.")]


LOCAL = _local_addresses()


@pytest.fixture
def outside() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on a non-loopback address of this machine: (base URL, requests seen)."""
    if not LOCAL:
        pytest.skip("this machine has no non-loopback IPv4 address to listen on")
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def handle(self) -> None:  # any connection at all counts
            seen.append(str(self.client_address))
            super().handle()

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer((LOCAL[0], 0), Handler)
    serving = Serving(server, name="foreign-endpoint")
    try:
        yield f"{LOCAL[0]}:{server.server_address[1]}", seen
    finally:
        serving.stop()
        server.server_close()


COMMANDS = [
    ["sync", "--payload", "-", "--backend", "google"],
    ["validate-config"],
    ["whoami"],
    ["webhooks", "list"],
    ["reconcile", "--since=-1d"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("GOOGLE_CALENDAR_API_ENDPOINT", "http://{hostport}"),
        ("GOOGLE_CALENDAR_API_ENDPOINT", "https://{hostport}/calendar/v3"),
        ("CALENDLY_API_URL", "http://{hostport}"),
        ("CALENDLY_API_URL", "https://{hostport}"),
    ],
)
def test_foreign_endpoint_refused_before_any_request(
    argv, variable, url, outside, key_file, config, tmp_path
):
    """Every command refuses a foreign endpoint (exit 2, naming it); the host hears nothing."""
    hostport, seen = outside
    argv = [*argv]
    if argv[0] in ("sync", "validate-config", "reconcile"):
        argv += ["--config", config(), "--report-file", str(tmp_path / "r.json")]
    env = {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
        "CALENDLY_TOKEN": SECRET_TOKEN,
        variable: url.format(hostport=hostport),
    }
    result = run_cli(argv, env, stdin=json.dumps(webhook()))
    assert result.code == 2, result.err
    assert result.err.startswith(f"error: {variable}: refusing"), result.err
    assert result.report["exit_code"] == 2
    assert seen == []
    if "--report-file" in argv:
        assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == 2


def test_foreign_batch_uri_refused(outside, key_file, config):
    """reconcile --batch-uri is held to the same allowlist."""
    hostport, seen = outside
    argv = ["reconcile", "--since=-1d", "--config", config(), "--batch-uri", f"http://{hostport}"]
    result = run_cli(argv, {"CALENDLY_TOKEN": SECRET_TOKEN})
    assert (result.code, seen) == (2, [])
    assert result.err.startswith("error: --batch-uri: refusing")


def test_foreign_token_uri_in_key_file_refused(outside, fake_google, tmp_path, config):
    """A key file whose token_uri is not Google's gets no signed assertion sent anywhere."""
    from fakes.google_server import write_service_account_file

    hostport, seen = outside
    key = write_service_account_file(tmp_path / "k.json", token_uri=f"http://{hostport}/token")
    env = {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        "GOOGLE_CALENDAR_API_ENDPOINT": fake_google.base_url,
    }
    argv = ["sync", "--payload", "-", "--backend", "google", "--config", config()]
    result = run_cli(argv, env, stdin=json.dumps(webhook()))
    assert (result.code, seen) == (2, [])
    assert "GOOGLE_APPLICATION_CREDENTIALS: token_uri: refusing" in result.err
    assert fake_google.requests == []


# -- trigger variables -----------------------------------------------------------------------


def test_trigger_variables_refused_by_name(google_env, fake_google, tmp_path, config):
    """A trigger request that set variables: exit 2 naming them, never their values."""
    wrapped = trigger_wrap(webhook())
    wrapped["variables"] = {"CALENDLY_TOKEN": "", "GOOGLE_DELEGATED_USER": "ceo@example.com"}
    path = tmp_path / "trigger.json"
    path.write_text(json.dumps(wrapped))
    env = {**google_env, "TRIGGER_PAYLOAD": str(path)}
    result = run_cli(["sync", "--backend", "google", "--config", config()], env)
    assert result.code == 2
    assert "CALENDLY_TOKEN, GOOGLE_DELEGATED_USER" in result.err
    assert "ceo@example.com" not in result.out + result.err
    assert fake_google.requests == []


def test_empty_trigger_variables_are_fine():
    """GitLab always writes `variables: {}`: that alone is no reason to refuse."""
    trust.trigger_variables({})
    trust.trigger_variables(None)
    with pytest.raises(InputError, match=r"\(\[odd name\]\)"):
        trust.trigger_variables({"a b": "x"})


# -- verification in trigger pipelines -------------------------------------------------------

TRIGGER = {"CI_PIPELINE_SOURCE": "trigger"}


@pytest.mark.parametrize(
    ("env", "flags"),
    [
        (TRIGGER, ()),
        ({"CI_PIPELINE_TRIGGERED": "true"}, ()),
        ({**TRIGGER, "CALENDLY_TOKEN": SECRET_TOKEN}, ("--no-verify",)),
    ],
    ids=["no-token", "triggered-flag", "no-verify"],
)
def test_unverified_trigger_delivery_refused(sync, fake_google, config, env, flags):
    """Trigger pipeline without verification: exit 2 saying how to fix it, nothing written."""
    result = sync(webhook(), "--config", config(), *flags, env=env)
    assert result.code == 2
    assert "trigger pipeline without payload verification" in result.err
    assert "CALENDLY_TOKEN" in result.err
    assert trust.UNSAFE_KEY in result.err
    assert fake_google.requests == []


def test_committed_key_accepts_unverified_trigger(sync, fake_google, config):
    """The one escape hatch is a reviewed team-map key; the report says not verified."""
    result = sync(webhook(), "--config", config(f"{trust.UNSAFE_KEY}: true\n"), env=TRIGGER)
    assert (result.code, result.report["action"], result.report["verified"]) == (
        0,
        "created",
        False,
    )


def test_manual_web_run_keeps_todays_rules(sync, fake_google, config):
    """A web rerun without a token still syncs the pasted payload unverified."""
    result = sync(webhook(), "--config", config(), env={"CI_PIPELINE_SOURCE": "web"})
    assert (result.code, result.report["action"]) == (0, "created")


def test_trigger_with_token_is_verified(sync, fake_google, calendly, config):
    """The normal trigger run: verified against the Calendly API, then written."""
    body = body_for(calendly)
    publish(calendly, body)
    env = {**TRIGGER, "CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}
    result = sync(body, "--config", config(), env=env)
    assert (result.code, result.report["verified"]) == (0, True), result.err


@pytest.mark.parametrize(
    ("yaml", "problem"),
    [
        (f"{trust.UNSAFE_KEY}: 'yes'\n", f"{trust.UNSAFE_KEY}: expected true or false"),
        ("google: []\n", "google: expected a mapping"),
        ("google: {delegated_user: nobody}\n", "google.delegated_user: expected an email"),
        ("google: {subject: a@b.com}\n", "google.subject: unknown key"),
    ],
)
def test_trust_keys_validated(yaml, problem):
    """The team map's trust keys are checked like every other key."""
    with pytest.raises(ConfigError) as info:
        parse_team_map(team_map(yaml))
    assert any(p.partition(": ")[2].startswith(problem) for p in info.value.problems), (
        info.value.problems
    )


# -- delegated subject -----------------------------------------------------------------------

ROBOT = trust.Committed(delegated_user=DELEGATE)


@pytest.mark.parametrize(
    ("env_value", "committed", "triggered", "expected"),
    [
        ("", ROBOT, True, DELEGATE),
        (DELEGATE.upper(), ROBOT, True, DELEGATE),
        ("", trust.Committed(), True, ""),
        ("ceo@example.com", ROBOT, False, "ceo@example.com"),  # web/schedule: as before
        ("", ROBOT, False, DELEGATE),
        ("ceo@example.com", ROBOT, True, ConfigError),
        ("ceo@example.com", trust.Committed(), True, ConfigError),
    ],
)
def test_delegated_user_rule(env_value, committed, triggered, expected):
    """In trigger pipelines the subject comes from the committed map; a different one fails."""
    if expected is ConfigError:
        with pytest.raises(ConfigError, match="GOOGLE_DELEGATED_USER differs"):
            trust.delegated_user(env_value, committed, triggered=triggered)
    else:
        assert trust.delegated_user(env_value, committed, triggered=triggered) == expected


def test_trigger_acts_as_committed_subject_only(sync, fake_google, calendly, config):
    """End to end: the token request names the committed subject; an override is refused."""
    body = body_for(calendly)
    publish(calendly, body)
    env = {**TRIGGER, "CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}
    path = config(f"google:\n  delegated_user: {DELEGATE}\n")
    forged = sync(body, "--config", path, env={**env, "GOOGLE_DELEGATED_USER": "ceo@example.com"})
    assert forged.code == 2
    assert "GOOGLE_DELEGATED_USER differs" in forged.err
    assert fake_google.subjects == []
    result = sync(body, "--config", path, env=env)
    assert result.code == 0, result.err
    assert fake_google.subjects == [DELEGATE]


# -- times -----------------------------------------------------------------------------------

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ahead", "ok"),
    [(timedelta(minutes=-60), True), (timedelta(minutes=5), True), (timedelta(minutes=6), False)],
)
def test_future_created_at(ahead, ok):
    """created_at more than 5 minutes ahead of the (injected) clock is bad input."""
    if ok:
        trust.check_not_future(NOW + ahead, NOW)
    else:
        with pytest.raises(InputError, match=r"^created_at: more than 5 minutes in the future"):
            trust.check_not_future(NOW + ahead, NOW)


def test_forged_future_delivery_writes_nothing(sync, fake_google, config):
    """A delivery dated 2100 would freeze the event: refused, exit 2, nothing written."""
    result = sync(webhook(at=datetime(2100, 1, 1, tzinfo=UTC)), "--config", config())
    assert result.code == 2
    assert "created_at: more than 5 minutes" in result.err
    assert fake_google.requests == []


def test_verified_delivery_is_ordered_by_the_api_time(
    sync, fake_google: FakeGoogle, calendly, config
):
    """Verified: the event's stamp is the API's updated_at, not the payload's created_at."""
    body = body_for(calendly)
    publish(calendly, body)
    body["created_at"] = iso(datetime.now(UTC) + timedelta(minutes=4))  # forged, within slack
    env = {"CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}
    result = sync(body, "--config", config(), env=env)
    assert result.code == 0, result.err
    (event,) = fake_google.live_events(GLOBAL)
    assert event["extendedProperties"]["private"]["cg_at"] == iso(T0)
