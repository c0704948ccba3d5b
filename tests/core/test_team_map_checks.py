"""Team map checks: the exact `source:line: dotted.path: message` of each problem, and values."""

from __future__ import annotations

import pytest

from calsync.core.errors import ConfigError
from calsync.core.team_map import parse_team_map

TEAM = "version: 1\nteams:\n  a:\n    calendar_id: c_a@group.calendar.google.com\n"
ROUTE = "routes:\n  - team: a\n    event_name_contains: [x]\n"
ALLOWED = (
    "calendar_id, calendly_group, members, name, show_answers, show_hosts, show_invitee_name, "
    "visibility"
)


def refused(text: str) -> tuple[str, tuple[str, ...]]:
    with pytest.raises(ConfigError) as info:
        parse_team_map(text, source="m.yaml")
    return str(info.value), info.value.problems


@pytest.mark.parametrize(
    ("text", "message", "problems"),
    [
        (
            TEAM + "    name: ''\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            ("m.yaml:5: teams.a.name: expected a non-empty string",),
        ),
        (
            TEAM + "    name: 5\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            ("m.yaml:5: teams.a.name: expected a non-empty string",),
        ),
        (
            TEAM + "    visibility: secret\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            ("m.yaml:5: teams.a.visibility: expected one of default, private",),
        ),
        (
            TEAM + "    calendly_group: '  '\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            ("m.yaml:5: teams.a.calendly_group: expected a Calendly group name, got '  '",),
        ),
        (
            TEAM + "    calendly_group: 5\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            ("m.yaml:5: teams.a.calendly_group: expected a Calendly group name, got int",),
        ),
        (
            TEAM + "    nme: x\n" + ROUTE,
            "m.yaml: 1 problem in the team map",
            (f"m.yaml:5: teams.a.nme: unknown key; did you mean 'name'? (allowed: {ALLOWED})",),
        ),
        (
            "version: 1\nteams:\n  a: 5\n  b: [1]\n" + ROUTE,
            "m.yaml: 3 problems in the team map",
            (
                "m.yaml:3: teams.a: expected a mapping, got int",
                "m.yaml:4: teams.b: expected a mapping, got a list",
                "m.yaml:6: routes.0.team: unknown team 'a' (known: none)",
            ),
        ),
        (
            "version: 1\nteams: []\n" + ROUTE,
            "m.yaml: 2 problems in the team map",
            (
                "m.yaml:2: teams: expected a non-empty mapping, got a list",
                "m.yaml:4: routes.0.team: unknown team 'a' (known: none)",
            ),
        ),
        (
            TEAM + "    calendar_id: c_a@group.calendar.google.com\n" + ROUTE,
            "m.yaml: invalid YAML: duplicate key 'calendar_id' (first on line 4)",
            ("m.yaml:5: teams.a.calendar_id: duplicate key 'calendar_id' (first on line 4)",),
        ),
        (
            "version: 1\nteams:\n\ta: 1\n",
            (
                "m.yaml: invalid YAML (line 3): found character '\\t' that cannot start any token "
                "(indent with spaces, not tabs)"
            ),
            (
                (
                    "m.yaml:3: teams: found character '\\t' that cannot start any token "
                    "(indent with spaces, not tabs)"
                ),
            ),
        ),
        (
            "version: 1\nteams: [\n",
            "m.yaml: invalid YAML (line 3): expected the node content, but found '<stream end>'",
            ("m.yaml:3: teams: expected the node content, but found '<stream end>'",),
        ),
        (
            "a: &x 1\nb: *y\n",
            "m.yaml: invalid YAML: aliases (*y) are not allowed (line 2)",
            ("m.yaml: b: aliases (*y) are not allowed (line 2)",),
        ),
        (
            "",
            "m.yaml: 1 problem in the team map",
            ("m.yaml:1: (root): the team map is empty",),
        ),
        (
            TEAM + "routes:\n  - team: b\n  - 5\n  - team: 5\n    hosts: []\n",
            "m.yaml: 5 problems in the team map",
            (
                "m.yaml:6: routes.0.team: unknown team 'b' (known: a)",
                (
                    "m.yaml:6: routes.0: needs at least one of event_name_contains, event_type, "
                    "host_is_member, hosts"
                ),
                "m.yaml:7: routes.1: expected a mapping, got int",
                "m.yaml:8: routes.2.team: expected a team key, got int",
                "m.yaml:9: routes.2.hosts: expected a non-empty list, got a list",
            ),
        ),
        (
            TEAM + "routes:\n  - team: a\n    host_is_member: true\n    event_type: [nope]\n",
            "m.yaml: 2 problems in the team map",
            (
                "m.yaml:8: routes.0.event_type.0: expected a Calendly event type URI, got 'nope'",
                "m.yaml:7: routes.0.host_is_member: team 'a' has no members or calendly_group",
            ),
        ),
    ],
)
def test_refused(text, message, problems):
    assert refused(text) == (message, problems)


def test_too_deep_is_refused():
    message, problems = refused("[" * 2000 + "]" * 2000)
    assert message == "m.yaml: invalid YAML: nested deeper than 12 levels"
    assert problems == ("m.yaml: 0.0.0.0.0.0.0.0.0.0.0.0.0: nested deeper than 12 levels",)


def test_default_source_name():
    with pytest.raises(ConfigError) as info:
        parse_team_map("")
    assert str(info.value) == "team map: 1 problem in the team map"


def test_values_and_lines():
    text = (
        "version: 1\n"
        "teams:\n"
        "  first:\n"
        "    calendar_id: c_1@group.calendar.google.com\n"
        "  a:\n"
        "    calendar_id: c_a@group.calendar.google.com\n"
        "    name: Team A\n"
        "    visibility: private\n"
        "    calendly_group: ' Support A '\n"
        "routes:\n"
        "  - team: first\n"
        "    event_name_contains: [x]\n"
        "  - team: a\n"
        "    host_is_member: true\n"
    )
    team_map = parse_team_map(text)
    first, a = team_map.teams["first"], team_map.teams["a"]
    assert (first.name, first.display.visibility, first.calendly_group, first.line) == (
        "first",
        "default",
        "",
        3,
    )
    assert (a.name, a.display.visibility, a.calendly_group, a.line) == (
        "Team A",
        "private",
        "Support A",
        5,
    )
    assert [r.line for r in team_map.routes] == [11, 13]
