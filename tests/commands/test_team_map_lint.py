"""validate-config lint: routes that can never match, unknown keys with a suggestion.

Every message starts with `PATH:LINE:` of the offending YAML line. Own maps only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from calsync.core.team_map import Display, Route, Team, TeamMap, parse_team_map
from calsync.core.team_map_lint import lint
from conftest import run_cli

HEAD = """\
version: 1
teams:
  us-gov:
    calendar_id: c_usgov@group.calendar.google.com
    members: [a@example.com, b@example.com]
  small:
    calendar_id: c_small@group.calendar.google.com
    members: [a@example.com]
  global:
    calendar_id: c_global@group.calendar.google.com
routes:
"""
ET = "https://api.calendly.com/event_types/"


def dead(routes: str) -> list[str]:
    return lint(parse_team_map(HEAD + routes, source="map.yaml"))


@pytest.mark.parametrize(
    ("routes", "why"),
    [
        (
            (
                '  - {team: global, event_name_contains: ["Support"]}\n'
                '  - {team: global, event_name_contains: ["support"]}\n'
            ),
            "an exact duplicate",
        ),
        (
            (
                '  - {team: global, event_name_contains: ["Support"]}\n'
                '  - {team: us-gov, event_name_contains: ["US Federal Support"], host_is_member: true}\n'
            ),
            'its names: "US Federal Support" contains "Support"',
        ),
        (
            (
                f'  - {{team: global, event_type: ["{ET}A", "{ET}B"]}}\n'
                f'  - {{team: us-gov, event_type: ["{ET}B"], event_name_contains: ["X"]}}\n'
            ),
            "its event types include all of this route's",
        ),
        (
            (
                "  - {team: global, hosts: [a@example.com, c@example.com]}\n"
                "  - {team: global, hosts: [a@example.com], event_name_contains: [X]}\n"
            ),
            "its hosts include all of this route's",
        ),
        (
            (
                "  - {team: global, hosts: [a@example.com, b@example.com]}\n"
                "  - {team: us-gov, host_is_member: true}\n"
            ),
            "its hosts include every member of us-gov",
        ),
        (
            ("  - {team: us-gov, host_is_member: true}\n  - {team: small, host_is_member: true}\n"),
            "host is a member of small's members are all in us-gov",
        ),
        (
            (
                "  - {team: us-gov, host_is_member: true}\n"
                "  - {team: global, hosts: [b@example.com]}\n"
            ),
            "this route's hosts are all members of us-gov",
        ),
    ],
)
def test_shadowed_route_is_reported_at_its_line(routes, why):
    found = dead(routes)
    assert len(found) == 1, found
    assert found[0].startswith("map.yaml:13: routes.1: never matches: route 1 (line 12, "), found
    assert why in found[0]


@pytest.mark.parametrize(
    "routes",
    [
        (
            '  - {team: global, event_name_contains: ["US Federal Support"]}\n'
            '  - {team: global, event_name_contains: ["Support"]}\n'
        ),  # the narrow one first: fine
        (
            '  - {team: global, event_name_contains: ["Support"], hosts: [a@example.com]}\n'
            '  - {team: global, event_name_contains: ["Support"]}\n'
        ),
        (
            f'  - {{team: global, event_type: ["{ET}A"]}}\n'
            f'  - {{team: global, event_type: ["{ET}A", "{ET}B"]}}\n'
        ),
        "  - {team: small, host_is_member: true}\n  - {team: us-gov, host_is_member: true}\n",
        "  - {team: global, hosts: [a@example.com]}\n  - {team: us-gov, host_is_member: true}\n",
        (
            '  - {team: global, event_name_contains: ["Support"]}\n'
            "  - {team: us-gov, host_is_member: true}\n"
        ),
        (
            '  - {team: global, event_name_contains: ["Support", "Help"]}\n'
            '  - {team: global, event_name_contains: ["Support call", "Other"]}\n'
        ),
    ],
)
def test_reachable_routes_are_not_reported(routes):
    assert dead(routes) == []


def test_catch_all_before_shadows_everything_after():
    """A route without conditions (not writable in YAML today) takes every later booking."""
    team = Team("global", "Global", "c_global@group.calendar.google.com", frozenset(), Display())
    routes = (Route("global", line=5), Route("global", ("X",), line=7), Route("global", line=9))
    found = lint(TeamMap({"global": team}, routes, source="m.yaml"))
    assert found[0].startswith("m.yaml:7: routes.1: never matches: route 1 (line 5")
    assert "it has no conditions" in found[0]
    assert found[1].startswith("m.yaml:9: routes.2: never matches: route 1 (line 5")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("calendar_id:", "calender_id:", 1),
            "teams.us-gov.calender_id: unknown key; did you mean 'calendar_id'?",
        ),
        (("routes:", "route:", 1), "route: unknown key; did you mean 'routes'?"),
        (
            ("members: [a", "member: [a", 1),
            "teams.us-gov.member: unknown key; did you mean 'members'?",
        ),
    ],
)
def test_unknown_key_suggests_the_closest(tmp_path: Path, edit, message):
    old, new, count = edit
    text = (HEAD + '  - {team: global, event_name_contains: ["Support"]}\n').replace(
        old, new, count
    )
    config = tmp_path / "map.yaml"
    config.write_text(text)
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert result.code == 2
    line = next(n for n, t in enumerate(text.splitlines(), 1) if new.strip() in t)
    expected = f"  {config}:{line}: {message} (allowed: "
    assert any(p.startswith(expected) for p in result.err.splitlines()), result.err


def test_validate_config_lists_every_lint_problem_and_exits_2(tmp_path: Path):
    config = tmp_path / "map.yaml"
    config.write_text(
        HEAD
        + '  - {team: global, event_name_contains: ["Support"]}\n'
        + '  - {team: us-gov, event_name_contains: ["US Federal Support"]}\n'
        + '  - {team: global, event_name_contains: ["Support"]}\n'
    )
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert result.code == 2
    headline, *problems = result.err.splitlines()
    assert headline == f"error: {config}: 2 problems in the team map"
    assert [p.split(": ")[0] for p in problems] == [f"  {config}:13", f"  {config}:14"]
    assert result.report["action"] == "error"


def test_a_clean_map_validates(tmp_path: Path):
    config = tmp_path / "map.yaml"
    config.write_text(HEAD + '  - {team: global, event_name_contains: ["Support"]}\n')
    result = run_cli(["validate-config", "--config", str(config)], {})
    assert result.code == 0, result.err
