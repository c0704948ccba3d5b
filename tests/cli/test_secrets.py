"""No secret and no invitee personal data in anything we print, write or raise.

Every command and scenario (sync create/replay/cancel/skip/error on both backends, dry-run,
validate-config, the Calendly commands, faults, -v/-vv, --report-file) runs with sentinel
values: a CALENDLY_TOKEN and a signing key (used only where harmless), the service-account
key of the fixture (its private key, searched for in chunks) and the invitee's email, name and
answers from builders. None may appear on stdout, stderr, in a report file, or in the message of
an exception raised by the modules that parse, validate, render and log.
"""

from __future__ import annotations

import copy
import itertools
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from builders import (
    DISPLAY_MAP,
    SENTINEL_ANSWER,
    SENTINEL_EMAIL,
    SENTINEL_NAME,
    body,
    canceled,
    sample,
    webhook,
)
from calsync.adapters.files import load_payload
from calsync.core import redact
from calsync.core.errors import CalSyncError
from calsync.core.parse import parse_booking
from conftest import GLOBAL, SECRET_TOKEN, Result, run_cli
from fakes.calendly_server import FakeCalendly
from fakes.google_server import FakeGoogle

SIGNING_KEY = "sentinel-signing-key-3c41d9a7"
TRIGGER_TOKEN = "glptt-sentinel0trigger0token0a1b2c3d4"
HOOK = (
    f"https://gitlab.example.com/api/v4/projects/7/ref/main/trigger/pipeline?token={TRIGGER_TOKEN}"
)
PERSONAL = [
    SENTINEL_EMAIL,
    SENTINEL_NAME,
    SENTINEL_ANSWER,
    "Sentinelperson",
    "Zelda",
    "sentinel.invitee",
    "my secret answer",
    "sentinel reason",
]
SE = "payload.scheduled_event"


def key_chunks(key_file: Path) -> list[str]:
    """Distinctive pieces of the private key: 16 characters from every line of its body."""
    pem = json.loads(key_file.read_text())["private_key"]
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    assert len(body) > 10
    return [line[i : i + 16] for line in body for i in (0, 24) if len(line) >= i + 16]


@dataclass
class Harness:
    """Runs the CLI with the sentinels in the environment; keeps every text it produced."""

    tmp: Path
    env: dict[str, str]
    verbosity: tuple[str, ...]
    texts: list[tuple[str, str]] = field(default_factory=list)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def run(
        self, argv: list[str], env: dict[str, str] | None = None, *, report: bool = True
    ) -> Result:
        report_file = self.tmp / f"report-{next(self.counter)}.json"
        extra = ["--report-file", str(report_file)] if report else []
        result = run_cli([*self.verbosity, *argv, *extra], {**self.env, **(env or {})})
        where = " ".join(argv[:2])
        self.texts += [(f"stdout of {where}", result.out), (f"stderr of {where}", result.err)]
        if report:
            assert report_file.exists(), result.err
            self.texts.append((f"report file of {where}", report_file.read_text()))
        return result

    def payload(self, body: Any) -> str:
        path = self.tmp / f"payload-{next(self.counter)}.json"
        path.write_text(body if isinstance(body, str) else json.dumps(body))
        return str(path)

    def google(
        self, body: Any, *flags: str, env: dict[str, str] | None = None, verify: bool = False
    ) -> Result:
        argv = [
            "sync",
            "--payload",
            self.payload(body),
            "--backend",
            "google",
            "--timeout",
            "2",
            "--config",
            str(self.tmp / "map.yaml"),
            *flags,
        ]
        return self.run(argv if verify else [*argv, "--no-verify"], env)

    def ics(self, body: Any, *flags: str) -> Result:
        argv = [
            "sync",
            "--payload",
            self.payload(body),
            "--backend",
            "ics",
            "--ics-file",
            str(self.tmp / "team.ics"),
            "--config",
            str(self.tmp / "map.yaml"),
            "--no-verify",
            *flags,
        ]
        return self.run(argv)


@pytest.fixture
def secrets(key_file: Path) -> list[str]:
    return [
        SECRET_TOKEN,
        SIGNING_KEY,
        TRIGGER_TOKEN,
        "PRIVATE KEY",
        *key_chunks(key_file),
        *PERSONAL,
    ]


def assert_clean(texts: list[tuple[str, str]], secrets: list[str]) -> None:
    for where, text in texts:
        for secret in secrets:
            assert secret not in text, f"{secret!r} in the {where}:\n{text}"


@pytest.fixture
def harness(tmp_path, google_env, sleeps, fake_google):
    def make(*verbosity: str) -> Harness:
        (tmp_path / "map.yaml").write_text(DISPLAY_MAP)
        env = {**google_env, "CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_SIGNING_KEY": SIGNING_KEY}
        return Harness(tmp_path, env, verbosity)

    return make


# -- scenarios: each drives the CLI through one path; the test then searches every output --------


def google_lifecycle(h: Harness, fake: FakeGoogle) -> None:
    assert h.google(webhook()).report["action"] == "created"
    [event] = fake.live_events(GLOBAL)  # the map shows the invitee: the calendar has it, logs not
    assert SENTINEL_NAME in event["summary"]
    assert SENTINEL_ANSWER in event["description"]
    assert h.google(webhook()).report["action"] == "unchanged"
    assert h.google(canceled(), "--dry-run").report["dry_run"] is True
    assert h.google(canceled()).report["action"] == "deleted"
    assert h.google(canceled()).report["action"] == "unchanged"
    assert h.google(sample("invitee_created_sales")).report["action"] == "skipped"


def google_faults(h: Harness, fake: FakeGoogle) -> None:
    fake.fail(method="POST", path_contains="/events", status=503, times=2)
    fake.fail(method="GET", path_contains="/events/", kind="reset")
    assert h.google(webhook()).report["action"] == "created"
    fake.fail(method="PATCH", kind="lost_response")
    assert h.google(canceled()).report["action"] == "deleted"
    fake.fail(method="POST", path_contains="/events", status=429, times=3)
    assert h.google(webhook(event="EV2"), "--retries", "2").code == 1
    fake.fail(kind="token", status=400, reason="invalid_grant", message=SENTINEL_EMAIL)
    assert h.google(webhook(event="EV3"), env={"GOOGLE_DELEGATED_USER": SENTINEL_EMAIL}).code == 2
    fake.deny(GLOBAL)
    assert h.google(webhook(event="EV4")).code == 2


def google_bad_credentials(h: Harness, fake: FakeGoogle) -> None:
    info = json.loads(Path(h.env["GOOGLE_APPLICATION_CREDENTIALS"]).read_text())
    variants = [
        {**info, "client_email": ""},
        {**info, "private_key": info["private_key"][: len(info["private_key"]) // 2]},
        {**info, "token_uri": None},
        {"type": info["private_key"]},  # the key where the type should be
    ]
    for number, variant in enumerate(variants):
        path = h.tmp / f"key-{number}.json"
        path.write_text(json.dumps(variant))
        assert h.google(webhook(), env={"GOOGLE_APPLICATION_CREDENTIALS": str(path)}).code == 2
    assert fake.requests == []


def bad_payloads(h: Harness, fake: FakeGoogle) -> None:
    """Personal data in the very fields that are refused: the error names the field only."""
    raw = json.dumps(webhook()).replace(
        '"email": ', f'"{SENTINEL_NAME}": 1, "{SENTINEL_NAME}": 2, "email": '
    )
    bad = [
        raw,  # a key, named twice, that is personal data
        json.dumps(webhook())[:-40],  # cut short in the middle of personal data
        body((f"{SE}.status", SENTINEL_NAME)),
        body((f"{SE}.uri", f"https://api.calendly.com/{SENTINEL_EMAIL}")),
        body((f"{SE}.location.join_url", f"https://zoom.us/j/1 {SENTINEL_ANSWER}")),
        body(("created_at", SENTINEL_ANSWER)),
        body(("payload.email", [SENTINEL_EMAIL]), ("payload.name", 5)),
        body(("event", SENTINEL_NAME)),  # an unknown event: skipped, its name in the reason
    ]
    for content in bad:
        assert h.google(content).code in (0, 2)
        assert h.ics(content).code in (0, 2)
    assert fake.requests == []


def ics_lifecycle(h: Harness, fake: FakeGoogle) -> None:
    assert h.ics(webhook()).report["action"] == "created"
    assert h.ics(webhook()).report["action"] == "unchanged"
    assert h.ics(canceled(), "--dry-run").report["action"] == "deleted"
    assert h.ics(canceled()).report["action"] == "deleted"
    assert h.ics(sample("invitee_created_sales")).report["action"] == "skipped"
    assert SENTINEL_NAME in (h.tmp / "team.ics").read_text()  # on the calendar, as the map asks


def validate_config(h: Harness, fake: FakeGoogle) -> None:
    assert h.run(["validate-config", "--config", str(h.tmp / "map.yaml")]).code == 0
    bad = h.tmp / "bad.yaml"
    bad.write_text(DISPLAY_MAP.replace("show_answers: true", f"members: [{SENTINEL_EMAIL}, x]"))
    assert h.run(["validate-config", "--config", str(bad)]).code == 2


def verified_sync(h: Harness, fake: FakeGoogle) -> None:
    """CALENDLY_TOKEN in use: against FakeCalendly, with the right token and a wrong one."""
    with FakeCalendly(token=SECRET_TOKEN) as calendly:
        env = {"CALENDLY_API_URL": calendly.base_url}
        body = webhook(api=calendly.base_url)
        invitee = copy.deepcopy(body["payload"])
        calendly.add_scheduled_event(invitee.pop("scheduled_event"))
        calendly.add_invitee(invitee)
        result = h.google(body, env=env, verify=True)
        assert (result.code, result.report["verified"]) == (0, True)
        assert (
            h.google(webhook(api=calendly.base_url, event="FORGED1"), env=env, verify=True).code
            == 2
        )
        calendly.token = "another-token-entirely"
        assert h.google(body, env=env, verify=True).code == 2


def calendly_unreachable(h: Harness, fake: FakeGoogle) -> None:
    """CALENDLY_API_URL on a closed loopback port: the token is sent nowhere, and not shown."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = h.google(webhook(api=closed), env={"CALENDLY_API_URL": closed}, verify=True)
    assert result.code == 1, result.err
    assert fake.requests == []


def calendly_commands(h: Harness, fake: FakeGoogle) -> None:
    with FakeCalendly(token=SECRET_TOKEN) as calendly:
        env = {"CALENDLY_API_URL": calendly.base_url}
        assert h.run(["whoami"], env, report=False).code == 0
        create = ["webhooks", "create", "--url", HOOK, "--signing-key", SIGNING_KEY]
        assert h.run(create, env, report=False).code == 0
        assert h.run(["webhooks", "list"], env, report=False).code == 0
        assert h.run(["webhooks", "list", "--json"], env, report=False).code == 0
        uri = calendly.subscriptions[0]["uri"]
        assert h.run(["webhooks", "delete", "--yes", uri], env, report=False).code == 0
        calendly.token = "another-token-entirely"
        assert h.run(["whoami"], env, report=False).code == 2


SCENARIOS: dict[str, Callable[[Harness, FakeGoogle], None]] = {
    f.__name__: f
    for f in (
        google_lifecycle,
        google_faults,
        google_bad_credentials,
        bad_payloads,
        ics_lifecycle,
        validate_config,
        verified_sync,
        calendly_commands,
    )
}


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_nothing_leaks_at_debug_level(harness, fake_google, secrets, scenario):
    h = harness("-vv")
    scenario(h, fake_google)
    assert len(h.texts) >= 4
    assert_clean(h.texts, secrets)


@pytest.mark.parametrize("verbosity", [(), ("-v",)], ids=["quiet", "-v"])
@pytest.mark.parametrize(
    "scenario",
    [google_lifecycle, google_faults, bad_payloads],
    ids=["google_lifecycle", "google_faults", "bad_payloads"],
)
def test_nothing_leaks_at_other_levels(harness, fake_google, secrets, scenario, verbosity):
    h = harness(*verbosity)
    scenario(h, fake_google)
    assert_clean(h.texts, secrets)


def test_nothing_leaks_when_calendly_is_unreachable(harness, fake_google, secrets):
    """The one slow case (urllib3 backs off for real, about 7 s): the token stays unseen."""
    h = harness("-vv")
    calendly_unreachable(h, fake_google)
    assert_clean(h.texts, secrets)


def test_verbosity_adds_detail(harness, fake_google):
    """-v adds INFO lines and -vv DEBUG lines to stderr; the default run prints none."""
    quiet, info, debug = harness(), harness("-v"), harness("-vv")
    errs = [
        h.google(webhook(event=f"EVVERBOSE{n}")).err for n, h in enumerate((quiet, info, debug))
    ]
    assert errs[0] == ""
    assert "INFO calsync" in errs[1]
    assert "DEBUG" not in errs[1]
    assert "DEBUG" in errs[2]


# -- exception messages: what the parsing and validating modules raise ------------------------


@pytest.mark.parametrize(
    "changes",
    [
        [(f"{SE}.status", SENTINEL_NAME)],
        [(f"{SE}.status", SENTINEL_EMAIL)],
        [(f"{SE}.uri", f"https://api.calendly.com/{SENTINEL_EMAIL}")],
        [(f"{SE}.name", [SENTINEL_NAME])],
        [(f"{SE}.location.join_url", f"javascript:{SENTINEL_ANSWER}")],
        [(f"{SE}.event_memberships", [SENTINEL_EMAIL])],
        [("created_at", SENTINEL_ANSWER)],
        [("payload.uri", f"https://api.calendly.com/scheduled_events/X/invitees/{SENTINEL_NAME}")],
        [("payload.questions_and_answers", [SENTINEL_ANSWER])],
        [("payload.questions_and_answers", SENTINEL_ANSWER)],
        [("payload.name", SENTINEL_NAME * 200)],
    ],
)
def test_booking_errors_do_not_echo_personal_data(changes):
    with pytest.raises(CalSyncError) as info:
        parse_booking(body(*changes))
    assert_clean([("exception", str(info.value))], PERSONAL)


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(webhook())[:-30],
        json.dumps(webhook()).replace(
            '"name": ', f'"{SENTINEL_EMAIL}": 0, "{SENTINEL_EMAIL}": 0, "name": '
        ),
        '{"payload": "' + json.dumps({"email": SENTINEL_EMAIL})[:-2] + '"}',
        json.dumps({"payload": f'{{"{SENTINEL_NAME}": 1, "{SENTINEL_NAME}": 2}}'}),
        SENTINEL_NAME,
    ],
)
def test_payload_errors_do_not_echo_personal_data(text):
    import io

    with pytest.raises(CalSyncError) as info:
        load_payload(arg="-", pasted="", trigger="", stdin=io.StringIO(text))
    assert_clean([("exception", str(info.value))], PERSONAL)


def test_team_map_errors_keep_values_short_and_on_one_line():
    """Team maps hold no personal data, but a wrong value is shown quoted and cut short."""
    from calsync.core.errors import ConfigError
    from calsync.core.team_map import parse_team_map

    with pytest.raises(ConfigError) as info:
        parse_team_map(
            DISPLAY_MAP.replace(f"calendar_id: {GLOBAL}", f'calendar_id: "{"x" * 500}\\n"')
        )
    assert all("\n" not in p and len(p) < 200 for p in info.value.problems)


def test_redaction_patterns(key_file):
    """The formatter's last line of defence, for values nobody registered."""
    pem = json.loads(key_file.read_text())["private_key"]
    body_line = pem.splitlines()[5]
    redact.reset([SECRET_TOKEN])
    text = redact.redact(
        f"token={SECRET_TOKEN} Authorization: Bearer abcdefgh12345678 {pem} {body_line} "
        f"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl {SENTINEL_EMAIL} {GLOBAL} "
        "sync@test-project.iam.gserviceaccount.com 7s86d9tah28idd9aqd0irjgddpl1nppdqfpk9ogic0j4nta6keug"
    )
    for secret in (SECRET_TOKEN, "abcdefgh12345678", body_line, "eyJzdWIiOiJ4In0", SENTINEL_EMAIL):
        assert secret not in text
    for kept in (
        GLOBAL,
        "sync@test-project.iam.gserviceaccount.com",
        "7s86d9tah28idd9aqd0irjgddpl1nppdqfpk9ogic0j4nta6keug",
    ):
        assert kept in text  # calendar ids, the service account and event ids stay readable


def test_each_run_starts_with_a_clean_slate():
    """A value protected by one run is not remembered by the next (in-process test runs)."""
    redact.reset([SECRET_TOKEN])
    redact.protect(["some-invitee-name"])
    redact.reset()
    assert redact.redact("some-invitee-name") == "some-invitee-name"
    assert redact.redact(SECRET_TOKEN) == SECRET_TOKEN
