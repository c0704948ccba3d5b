"""Broken and hostile team maps, through `validate-config` and `sync`.

Each ends in exit 2 with a headline on stderr and then every problem as one indented
`dotted.path: message` line (even when the file cannot be read or parsed), the JSON report as
the last stdout line, no traceback, and nothing written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from builders import webhook
from calsync.core.team_map import MAX_CONFIG_BYTES
from conftest import GLOBAL, Result, run_cli

GOOD = f"""\
version: 1
teams:
  global:
    name: Global Support
    calendar_id: {GLOBAL}
routes:
  - team: global
    event_name_contains: ["Support"]
"""


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


CAL = f"calendar_id: {GLOBAL}"
ROUTE = 'event_name_contains: ["Support"]'
BOMB = 'a: &a ["lol", "lol"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n'
DEEP_BLOCK = "version: 1\nteams:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 16))
TWO_TEAMS = GOOD.replace("routes:", f"  other:\n    {CAL}\nroutes:")

# (file content, the dotted paths that must each have a problem line)
CASES: list[Any] = [
    pytest.param(GOOD + "teams: {}\n", ["teams"], id="duplicate-root-key"),
    pytest.param(
        edit(CAL, f"{CAL}\n    calendar_id: primary"),
        ["teams.global.calendar_id"],
        id="duplicate-nested-key",
    ),
    pytest.param(
        edit("  - team: global", "  - team: global\n    team: global"),
        ["routes.0.team"],
        id="duplicate-route-key",
    ),
    pytest.param(
        edit("teams:", "defaults: &d {calendar_id: primary}\nteams:").replace(
            "    " + CAL, "    calendar_id: *d"
        ),
        ["teams.global.calendar_id"],
        id="alias",
    ),
    pytest.param(BOMB, ["b.0"], id="alias-bomb"),
    pytest.param(
        edit("  global:\n", "  global:\n    <<: {name: x}\n"), ["teams.global"], id="merge-key"
    ),
    pytest.param(
        "version: 1\nteams: " + "[" * 200 + "]" * 200, ["teams" + ".0" * 12], id="deep-flow"
    ),
    pytest.param(DEEP_BLOCK, ["teams.k1.k2.k3.k4.k5.k6.k7.k8.k9.k10.k11.k12"], id="deep-block"),
    pytest.param("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1), ["(file)"], id="huge-file"),
    pytest.param(edit(CAL, "calendar_id: 12345"), ["teams.global.calendar_id"], id="calendar-int"),
    pytest.param(
        edit(CAL, "calendar_id: [a, b]"), ["teams.global.calendar_id"], id="calendar-list"
    ),
    pytest.param(edit(CAL, "calendar_id: true"), ["teams.global.calendar_id"], id="calendar-bool"),
    pytest.param(edit(CAL, "calendar_id:"), ["teams.global.calendar_id"], id="calendar-null"),
    pytest.param(
        edit(CAL, f'calendar_id: "{GLOBAL}\\nversion: 2"'),
        ["teams.global.calendar_id"],
        id="calendar-newline",
    ),
    pytest.param(
        edit(CAL, 'calendar_id: "c_\\u202eevil@group.calendar.google.com"'),
        ["teams.global.calendar_id"],
        id="calendar-rtl",
    ),
    pytest.param(
        edit(CAL, "calendar_id: 2024-01-01"), ["teams.global.calendar_id"], id="calendar-date"
    ),
    pytest.param(TWO_TEAMS, ["teams.other.calendar_id"], id="calendar-used-twice"),
    pytest.param(edit("team: global", "team: nope"), ["routes.0.team"], id="unknown-team"),
    pytest.param(edit("team: global", "team: [global]"), ["routes.0.team"], id="team-list"),
    pytest.param(edit(ROUTE, "hosts: []"), ["routes.0.hosts"], id="route-empty-hosts"),
    pytest.param(
        edit("  - team: global\n    " + ROUTE, "  - team: global"),
        ["routes.0"],
        id="route-without-condition",
    ),
    pytest.param(edit("version: 1", "version: '1'"), ["version"], id="version-string"),
    pytest.param(edit("version: 1", "version: true"), ["version"], id="version-bool"),
    pytest.param(edit("version: 1", "version: 1.0"), ["version"], id="version-float"),
    pytest.param(edit("version: 1\n", ""), ["version"], id="version-missing"),
    pytest.param(
        "version: 1\nteams: [global]\nroutes: {a: 1}\n",
        ["teams", "routes"],
        id="teams-list-routes-map",
    ),
    pytest.param("version: 1\nteams: {}\nroutes: []\n", ["teams", "routes"], id="all-empty"),
    pytest.param(
        edit("  global:\n", "  global:\n    show_answers: 'yes'\n"),
        ["teams.global.show_answers"],
        id="display-flag-string",
    ),
    pytest.param(
        edit("  global:\n", "  global:\n    members: a@example.com\n"),
        ["teams.global.members"],
        id="members-string",
    ),
    pytest.param(
        edit("  global:\n", "  global:\n    members: [a@example.com, nobody]\n"),
        ["teams.global.members.1"],
        id="member-not-email",
    ),
    pytest.param(
        edit(ROUTE, "host_is_member: true"),
        ["routes.0.host_is_member"],
        id="member-route-without-members",
    ),
    pytest.param(
        edit(ROUTE, "event_type: [http://api.calendly.com/event_types/X]"),
        ["routes.0.event_type.0"],
        id="event-type-not-https",
    ),
    pytest.param(edit(ROUTE, "hosts: [5]"), ["routes.0.hosts.0"], id="host-number"),
    pytest.param(GOOD + "colour: red\n", ["colour"], id="unknown-root-key"),
    pytest.param(
        edit("  global:\n", "  global:\n    colour: red\n"),
        ["teams.global.colour"],
        id="unknown-team-key",
    ),
    pytest.param(
        edit(ROUTE, f"{ROUTE}\n    priority: 1"), ["routes.0.priority"], id="unknown-route-key"
    ),
    pytest.param(
        edit("  global:", "  Global:").replace("team: global", "team: Global"),
        ["teams.Global", "routes.0.team"],
        id="team-key-upper-case",
    ),
    pytest.param(edit("    " + CAL, "\t" + CAL), ["teams.global"], id="tab-indent"),
    pytest.param("version: 1\nteams: {[}\n", ["teams"], id="garbage-flow"),
    pytest.param("version: 1\nteams:\n  a: b: c\n", ["teams"], id="garbage-block"),
    pytest.param("version: 1\x00\x01\n", ["(root)"], id="nul-bytes"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["(file)"], id="binary"),
    pytest.param(
        GOOD.replace("Global Support", "Glob\xe9l").encode("latin-1"), ["(file)"], id="latin-1"
    ),
    pytest.param("", ["(root)"], id="empty"),
    pytest.param("# nothing here\n", ["(root)"], id="comments-only"),
    pytest.param("- a\n- b\n", ["(root)"], id="root-list"),
    pytest.param("just text\n", ["(root)"], id="root-scalar"),
    pytest.param(GOOD + "---\nversion: 1\n", ["(root)"], id="two-documents"),
    pytest.param(
        edit("version: 1", 'version: !!python/object/apply:os.system ["id"]'),
        ["version"],
        id="python-tag",
    ),
    pytest.param(edit("version: 1", "version: !!binary aGVsbG8="), ["version"], id="binary-tag"),
    pytest.param(
        edit("  global:\n", "  ? [a, b]\n  : x\n  global:\n"), ["teams"], id="list-as-key"
    ),
    pytest.param(
        edit("  global:\n", '  "a\\nb": {calendar_id: primary}\n  global:\n'),
        ["teams.'a\\nb'"],
        id="key-with-newline",
    ),
    pytest.param(
        "version: 3\nteams:\n  a:\n    calendar_id: nope\n    surprise: 1\n"
        "routes:\n  - team: b\n  - {}\n",
        [
            "version",
            "teams.a.calendar_id",
            "teams.a.surprise",
            "routes.0.team",
            "routes.1",
            "routes.1.team",
        ],
        id="many-problems-at-once",
    ),
]


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_config_error(result: Result, config: Path, paths: list[str]) -> None:
    """Headline, then one `  path: message` line per problem, the JSON report last."""
    assert result.code == 2, result.err
    headline, *problems = result.err.splitlines()
    assert headline.startswith(f"error: {config}: "), headline
    assert "Traceback" not in result.err
    assert problems, "no problem lines after the headline"
    found = []
    for line in problems:
        assert line.startswith("  "), line
        assert not line.startswith("   "), line
        assert re.match(rf"  {re.escape(str(config))}:(\d+:)? ", line), line
        where = re.sub(rf"^  {re.escape(str(config))}:(\d+:)? ", "", line)
        path, sep, message = where.partition(": ")
        assert sep, line
        assert message.strip(), line
        found.append(path)
    for path in paths:
        assert path in found, (path, problems)
    if "problem" in headline:  # "N problems in the team map": N lines follow
        assert headline.split(": ")[-1].startswith(f"{len(problems)} problem"), headline
    report = json.loads(result.out.splitlines()[-1])
    assert report["action"] == "error"
    assert report["exit_code"] == 2
    assert report["reason"] == headline.removeprefix("error: ")


@pytest.mark.parametrize(("content", "paths"), CASES)
def test_validate_config_lists_every_problem(tmp_path, content, paths):
    config = write(tmp_path / "team_map.yaml", content)
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert_config_error(result, config, paths)
    assert len(result.out.splitlines()) == 1  # no "OK" line: only the report


@pytest.mark.parametrize(("content", "paths"), CASES)
def test_sync_refuses_a_bad_map_and_writes_nothing(tmp_path, content, paths):
    """sync checks the map before it touches any calendar, even for a booking it would skip."""
    config = write(tmp_path / "team_map.yaml", content)
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps(webhook()))
    ics = tmp_path / "team.ics"
    before = sorted(tmp_path.iterdir())
    argv = [
        "sync",
        "--payload",
        str(payload),
        "--config",
        str(config),
        "--backend",
        "ics",
        "--ics-file",
        str(ics),
    ]
    assert_config_error(run_cli(argv, {}), config, paths)
    assert sorted(tmp_path.iterdir()) == before


def test_case_count():
    assert len(CASES) >= 40


@pytest.mark.parametrize("kind", ["directory", "missing"])
def test_unreadable_paths(tmp_path, kind):
    config = tmp_path / "team_map.yaml"
    if kind == "directory":
        config.mkdir()
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert_config_error(result, config, ["(file)"])
    expected = "is a directory" if kind == "directory" else "team map not found"
    assert expected in result.err


def test_map_from_environment(tmp_path):
    """CALSYNC_CONFIG names the map when --config is absent; same errors."""
    config = write(tmp_path / "map.yaml", "version: 2\n")
    result = run_cli(["validate-config"], {"CALSYNC_CONFIG": str(config)})
    assert_config_error(result, config, ["version", "teams", "routes"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permission bits")
def test_unreadable_file(tmp_path):
    config = write(tmp_path / "team_map.yaml", GOOD)
    config.chmod(0)
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert_config_error(result, config, ["(file)"])
    assert "permission denied" in result.err


def test_messages_are_one_line_each(tmp_path):
    """Values and keys with newlines or RTL marks are quoted: one problem, one line."""
    config = write(
        tmp_path / "team_map.yaml",
        edit("  global:\n", '  "x\\ny": {calendar_id: "a\\u202eb"}\n  "\\u202e": 1\n  global:\n'),
    )
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert_config_error(result, config, ["teams.'x\\ny'", "teams.'\\u202e'"])
    assert "\u202e" not in result.err


def test_bad_map_on_google_makes_no_request(sync, fake_google, tmp_path):
    config = write(tmp_path / "team_map.yaml", edit("team: global", "team: nope"))
    result = sync(webhook(), "--config", str(config))
    assert_config_error(result, config, ["routes.0.team"])
    assert fake_google.requests == []


def test_good_map_still_validates(tmp_path):
    config = write(tmp_path / "team_map.yaml", GOOD)
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert (result.code, result.err) == (0, "")
    assert result.report["teams"] == {"global": GLOBAL}


# -- the Google credentials file (GOOGLE_APPLICATION_CREDENTIALS, gcal.load_credentials) --------

GAC = "GOOGLE_APPLICATION_CREDENTIALS"
NOT_JSON = f"error: {GAC}: not a JSON credentials file\n"


def key_info(key_file: Path, **changes: Any) -> dict[str, Any]:
    info: dict[str, Any] = json.loads(key_file.read_text())
    info.update(changes)
    return {k: v for k, v in info.items() if v is not None}


def credentials(tmp_path: Path, content: Any) -> dict[str, str]:
    path = tmp_path / "credentials.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return {GAC: str(path)}


def assert_credentials_refused(result: Result, fake_google, expected: str) -> None:
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1, result.err
    assert expected in result.err, result.err
    assert "Traceback" not in result.err
    assert (result.report["action"], result.report["exit_code"]) == ("error", 2)
    assert fake_google.requests == []  # refused before any request, even for a token


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param("", NOT_JSON, id="empty"),
        pytest.param("not json", NOT_JSON, id="not-json"),
        pytest.param("[1, 2]", NOT_JSON, id="json-list"),
        pytest.param(b"\xff\xfe\x00garbage", NOT_JSON, id="binary"),
        pytest.param(
            {"project_id": "x"}, f"{GAC}: unsupported credentials type None", id="no-type"
        ),
        pytest.param(
            {"type": "api_key"}, f"{GAC}: unsupported credentials type 'api_key'", id="unknown-type"
        ),
    ],
)
def test_unusable_credentials_file(sync, fake_google, tmp_path, content, expected):
    result = sync(webhook(), env=credentials(tmp_path, content))
    assert_credentials_refused(result, fake_google, expected)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"client_email": None}, f"error: {GAC}: missing client_email\n"),
        (
            {"private_key": None, "client_email": ""},
            f"error: {GAC}: missing client_email, private_key\n",
        ),
        ({"private_key": 12345}, f"error: {GAC}: private_key must be a string\n"),
        (
            {"private_key": "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----\n"},
            f"error: {GAC}: the private key cannot be read\n",
        ),
    ],
    ids=["no-client-email", "two-missing", "key-not-text", "key-garbage"],
)
def test_broken_service_account_key(sync, fake_google, key_file, tmp_path, changes, expected):
    result = sync(webhook(), env=credentials(tmp_path, key_info(key_file, **changes)))
    assert_credentials_refused(result, fake_google, expected)
    assert result.err == expected


def test_missing_credentials_file(sync, fake_google, tmp_path):
    result = sync(webhook(), env={GAC: str(tmp_path / "nope.json")})
    assert_credentials_refused(result, fake_google, f"error: {GAC}: file not found\n")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permission bits")
def test_unreadable_credentials_file(sync, fake_google, key_file):
    key_file.chmod(0)
    result = sync(webhook())
    assert_credentials_refused(result, fake_google, "file is not readable by this user")


def test_external_account_works(sync, fake_google, tmp_path):
    """Workload identity federation (the keyless CI setup) reaches the calendar."""
    from fakes.google_server import write_external_account_file

    path = write_external_account_file(
        tmp_path / "wif.json",
        token_uri=fake_google.token_uri,
        subject_token_file=tmp_path / "oidc.jwt",
    )
    result = sync(webhook(), env={GAC: str(path)})
    assert (result.code, result.err, result.report["action"]) == (0, "", "created")


def test_external_account_cannot_delegate(sync, fake_google, tmp_path):
    from fakes.google_server import write_external_account_file

    path = write_external_account_file(
        tmp_path / "wif.json",
        token_uri=fake_google.token_uri,
        subject_token_file=tmp_path / "oidc.jwt",
    )
    result = sync(webhook(), env={GAC: str(path), "GOOGLE_DELEGATED_USER": "bot@example.com"})
    assert_credentials_refused(
        result, fake_google, "error: GOOGLE_DELEGATED_USER needs a service-account key file\n"
    )


def test_credentials_path_is_a_directory(sync, fake_google, tmp_path):
    result = sync(webhook(), env={GAC: str(tmp_path)})
    assert_credentials_refused(result, fake_google, "is a directory")


@pytest.mark.parametrize(
    "changes",
    [{"token_uri": 7}, {"client_email": ["a@b.iam.gserviceaccount.com"]}],
    ids=["token-uri-number", "client-email-list"],
)
def test_service_account_field_types(sync, fake_google, key_file, tmp_path, changes):
    result = sync(webhook(), env=credentials(tmp_path, key_info(key_file, **changes)))
    assert_credentials_refused(result, fake_google, f"{GAC}: {next(iter(changes))}")


@pytest.mark.parametrize(
    ("kind", "changes", "expected"),
    [
        (
            "authorized_user",
            {"GOOGLE_DELEGATED_USER": "bot@example.com"},
            "GOOGLE_DELEGATED_USER needs a service-account key file",
        ),
        ("authorized_user", {"refresh_token": None}, f"{GAC}: missing refresh_token"),
        ("impersonated_service_account", {}, f"{GAC}: missing"),
    ],
    ids=["user-with-delegation", "user-without-refresh-token", "impersonated-incomplete"],
)
def test_user_credentials_files(sync, fake_google, tmp_path, kind, changes, expected):
    from fakes.google_server import write_authorized_user_file

    info = json.loads(
        write_authorized_user_file(
            tmp_path / "adc.json", token_uri=fake_google.token_uri
        ).read_text()
    )
    info["type"] = kind
    env = {k: v for k, v in changes.items() if k.isupper()}
    info = {k: v for k, v in {**info, **changes}.items() if v is not None and not k.isupper()}
    result = sync(webhook(), env={**credentials(tmp_path, info), **env})
    assert_credentials_refused(result, fake_google, expected)


def test_external_account_without_source_object(sync, fake_google, tmp_path):
    info = {
        "type": "external_account",
        "audience": "x",
        "credential_source": "oidc.jwt",
        "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
    }
    result = sync(webhook(), env=credentials(tmp_path, info))
    assert_credentials_refused(result, fake_google, f"{GAC}: credential_source")


def test_credentials_type_is_not_echoed(sync, fake_google, tmp_path, key_file):
    """A junk `type` (here: the key itself) is not repeated in the error."""
    info = json.loads(key_file.read_text())
    result = sync(webhook(), env=credentials(tmp_path, {**info, "type": info["private_key"]}))
    assert_credentials_refused(result, fake_google, f"{GAC}: unsupported credentials type ?")
