"""Team map validation: strict, every problem reported as `dotted.path: message`."""

from __future__ import annotations

import re

import pytest

from calsync.adapters.files import load_team_map
from calsync.core.errors import ConfigError
from calsync.core.team_map import parse_team_map
from conftest import TEAM_MAP

GOOD = """
version: 1
teams:
  global:
    calendar_id: c_global@group.calendar.google.com
routes:
  - team: global
    event_name_contains: ["Support"]
"""


def problems(text: str) -> tuple[str, ...]:
    """The `dotted.path: message` part of each `PATH:LINE: dotted.path: message` problem."""
    with pytest.raises(ConfigError) as info:
        parse_team_map(text)
    found = info.value.problems or (str(info.value),)
    assert all(re.match(r"team map:\d+: ", p) for p in found), found
    return tuple(re.sub(r"^team map:\d+: ", "", p) for p in found)


def test_the_tests_map_encodes_the_seed_rules():
    """The tests' own map (tests/data) loads from a file; the shipped one is validate-config's."""
    team_map = load_team_map(TEAM_MAP)
    assert [r.team for r in team_map.routes] == ["us-government", "global"]
    first = team_map.routes[0]
    assert first.host_is_member
    assert set(first.event_name_contains) == {"US Federal", "US Government"}


def test_good_map_loads():
    team_map = parse_team_map(GOOD)
    assert team_map.teams["global"].display.show_invitee_name is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "(root): the team map is empty"),
        ("[1, 2]", "(root): expected a mapping, got a list"),
        (GOOD.replace("version: 1", "version: 2"), "version: must be 1, got 2"),
        (GOOD + "extra: 1\n", "extra: unknown key"),
        (GOOD.replace("team: global", "team: nope"), "routes.0.team: unknown team 'nope'"),
        (
            GOOD.replace("c_global@group.calendar.google.com", "not a calendar"),
            "teams.global.calendar_id: expected a Google calendar id",
        ),
        (
            GOOD.replace("c_global@group.calendar.google.com", "12345"),
            "teams.global.calendar_id: expected a Google calendar id",
        ),
        (
            GOOD.replace('["Support"]', "[]"),
            "routes.0.event_name_contains: expected a non-empty list",
        ),
        (
            GOOD.replace('["Support"]', "[3]"),
            "routes.0.event_name_contains.0: expected text, got int",
        ),
        (
            GOOD.replace('event_name_contains: ["Support"]', "colour: red"),
            "routes.0.colour: unknown key",
        ),
        (
            GOOD.replace('event_name_contains: ["Support"]', "host_is_member: yes please"),
            "routes.0.host_is_member: expected true or false",
        ),
        (
            GOOD.replace("    calendar_id", "    members: [not-an-email]\n    calendar_id"),
            "teams.global.members.0: expected an email",
        ),
        (
            GOOD.replace("  global:", "  Global Team:").replace(
                "team: global", "team: Global Team"
            ),
            "teams.Global Team: team key must be lower-case",
        ),
        ("version: 1\nteams: {}\nroutes: []\n", "teams: expected a non-empty mapping"),
    ],
)
def test_each_problem_is_reported_by_path(text, expected):
    assert any(p.startswith(expected) for p in problems(text)), problems(text)


def test_every_problem_is_listed_at_once():
    text = """
version: 3
teams:
  a:
    calendar_id: nope
    surprise: true
routes:
  - team: b
  - {}
"""
    found = problems(text)
    for expected in (
        "version:",
        "teams.a.calendar_id:",
        "teams.a.surprise: unknown key",
        "routes.0.team: unknown team 'b'",
        "routes.0: needs at least one of",
        "routes.1.team: expected a team key",
    ):
        assert any(p.startswith(expected) for p in found), (expected, found)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "version: 1\n", "duplicate key 'version'"),
        ("a: &x [1]\nb: *x\n", "aliases (*x) are not allowed"),
        ("x: " + "[" * 50 + "]" * 50, "nested deeper than"),
        ("version: 1\nteams: {a: [}\n", "invalid YAML (line 2)"),
        ("!!python/object:os.system {}", "invalid YAML"),
    ],
)
def test_hostile_yaml_is_refused(text, message):
    with pytest.raises(ConfigError) as info:
        parse_team_map(text)
    assert message in str(info.value)


def test_duplicate_calendar_is_reported():
    text = GOOD.replace(
        "routes:", "  other:\n    calendar_id: c_global@group.calendar.google.com\nroutes:"
    )
    assert "teams.other.calendar_id: already used by team 'global'" in problems(text)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="team map not found"):
        load_team_map(tmp_path / "nope.yaml")
