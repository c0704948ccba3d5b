"""The team map's lock file: parse (every problem named), merge into the map, render, file name."""

from __future__ import annotations

import pytest
import yaml

from calsync.core.errors import ConfigError
from calsync.core.team_lock import (
    HEADER,
    RESOLVE,
    LockEntry,
    lock_file_name,
    merge_lock,
    parse_lock,
    render_lock,
)
from calsync.core.team_map import parse_team_map

URI = "https://api.calendly.com/groups/G1"
GOOD_ENTRY = {
    "group": "Support EMEA",
    "group_uri": URI,
    "taken_at": "2025-01-31T12:00:00Z",
    "members": ["B@example.com", "a@example.com", "b@example.com"],
}


def lock_text(**teams: object) -> str:
    return yaml.safe_dump({"version": 1, "teams": teams})


def lock_problems(text: str, source: str = "lock file") -> tuple[str, tuple[str, ...]]:
    with pytest.raises(ConfigError) as info:
        parse_lock(text, source=source) if source != "lock file" else parse_lock(text)
    return str(info.value), info.value.problems


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("team_map.yaml", "team_map.lock.yaml"),
        ("teams.yml", "teams.lock.yaml"),
        ("a.b.yaml", "a.b.lock.yaml"),
        ("teams", "teams.lock.yaml"),
        ("teams.json", "teams.json.lock.yaml"),
    ],
)
def test_lock_file_name(name, expected):
    assert lock_file_name(name) == expected


def test_a_good_entry_is_parsed_with_sorted_lower_cased_unique_members():
    entries = parse_lock(lock_text(emea=GOOD_ENTRY))
    assert entries == {
        "emea": LockEntry(
            "Support EMEA", URI, ("a@example.com", "b@example.com"), "2025-01-31T12:00:00Z"
        )
    }


def test_an_empty_teams_mapping_and_no_teams_are_valid():
    assert parse_lock("version: 1\nteams: {}\n") == {}
    assert parse_lock("version: 1\n") == {}


def test_team_keys_are_strings():
    assert list(parse_lock(lock_text(**{"7": GOOD_ENTRY}))) == ["7"]
    assert list(
        parse_lock(
            f"version: 1\nteams:\n  7: {yaml.safe_dump(GOOD_ENTRY, default_flow_style=True)}"
        )
    ) == ["7"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[1, 2]", ("(root): expected a mapping with version and teams",)),
        ("", ("(root): expected a mapping with version and teams",)),
        ("version: 2\nteams: {}\n", ("version: must be 1, got 2",)),
        ("teams: {}\n", ("version: must be 1, got None",)),
        (
            "version: 1\nteams: {}\nextra: 1\nmore: 2\n",
            (
                "extra: unknown key (allowed: teams, version)",
                "more: unknown key (allowed: teams, version)",
            ),
        ),
        ("version: 1\nteams: [a]\n", ("teams: expected a mapping of team keys",)),
        ("version: 1\nteams:\n  emea: 3\n", ("teams.emea: expected a mapping",)),
    ],
)
def test_root_problems(text, expected):
    _, found = lock_problems(text)
    assert found == expected


def test_one_problem_message_is_singular_and_names_the_fix():
    message, _ = lock_problems("version: 2\nteams: {}\n", source="x.lock.yaml")
    assert message == f"x.lock.yaml: 1 problem in the lock file; regenerate it with: {RESOLVE}"


def test_many_problems_message_is_plural():
    message, found = lock_problems("version: 2\nteams: [a]\n")
    assert len(found) == 2
    assert message == f"lock file: 2 problems in the lock file; regenerate it with: {RESOLVE}"


def test_invalid_yaml_names_the_line():
    message, found = lock_problems("version: 1\nteams: {\n  a: [\n", source="t.lock.yaml")
    assert message.startswith("t.lock.yaml: invalid YAML (line ")
    line = message.removeprefix("t.lock.yaml: invalid YAML (line ").rstrip(")")
    assert int(line) == 4
    assert found == (f"(root): invalid YAML (line {line})",)


def test_invalid_yaml_on_the_first_line():
    message, found = lock_problems("a: b: c\n")
    assert message == "lock file: invalid YAML (line 1)"
    assert found == ("(root): invalid YAML (line 1)",)


E = "teams.emea"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"extra": 1}, f"{E}.extra: unknown key"),
        ({"group": ""}, f"{E}.group: expected the group's name"),
        ({"group": "   "}, f"{E}.group: expected the group's name"),
        ({"group": 5}, f"{E}.group: expected the group's name"),
        ({"group": None}, f"{E}.group: expected the group's name"),
        (
            {"group_uri": "https://api.calendly.com/users/U1"},
            f"{E}.group_uri: expected a Calendly group URI",
        ),
        (
            {"group_uri": "https://evil.example/groups/G1"},
            f"{E}.group_uri: expected a Calendly group URI",
        ),
        ({"group_uri": URI + " x"}, f"{E}.group_uri: expected a Calendly group URI"),
        ({"group_uri": 7}, f"{E}.group_uri: expected a Calendly group URI"),
        ({"group_uri": None}, f"{E}.group_uri: expected a Calendly group URI"),
        (
            {"taken_at": "2025-01-31 12:00:00"},
            f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z",
        ),
        (
            {"taken_at": "2025-01-31T12:00:00+00:00"},
            f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z",
        ),
        (
            {"taken_at": "x2025-01-31T12:00:00Z"},
            f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z",
        ),
        ({"taken_at": 5}, f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z"),
        ({"members": "a@example.com"}, f"{E}.members: expected a list of e-mails"),
        ({"members": None}, f"{E}.members: expected a list of e-mails"),
        ({"members": ["a@example.com", "nobody"]}, f"{E}.members.1: expected an e-mail"),
        ({"members": [3]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a b@example.com"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a@example.c"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a@example"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["@example.com"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a" * 65 + "@example.com"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a@" + "b" * 201 + ".com"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a@ex_ample.com"]}, f"{E}.members.0: expected an e-mail"),
        ({"members": ["a@example.c0m"]}, f"{E}.members.0: expected an e-mail"),
    ],
)
def test_entry_problems(change, expected):
    _, found = lock_problems(lock_text(emea={**GOOD_ENTRY, **change}))
    assert found == (expected,)


@pytest.mark.parametrize(
    "members",
    [
        ["a" * 64 + "@example.com"],
        ["a@" + "b" * 200 + ".com"],
        ["a.b+c@Sub-Domain.Example.ORG"],
        ["a@b.co"],
        [],
    ],
)
def test_entry_boundaries_accepted(members):
    entries = parse_lock(lock_text(emea={**GOOD_ENTRY, "members": members}))
    assert entries["emea"].members == tuple(sorted(m.lower() for m in members))


def test_local_uri_is_accepted_for_the_fakes():
    uri = "http://127.0.0.1:8080/groups/G1"
    assert parse_lock(lock_text(emea={**GOOD_ENTRY, "group_uri": uri}))["emea"].group_uri == uri


def test_a_missing_entry_key_is_named_and_every_entry_checked():
    _, found = lock_problems(
        lock_text(
            emea={k: v for k, v in GOOD_ENTRY.items() if k != "taken_at"}, us=[1], ok=GOOD_ENTRY
        )
    )
    assert found == (
        f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z",
        "teams.us: expected a mapping",
    )


def test_all_entry_problems_are_listed_together():
    _, found = lock_problems(lock_text(emea={"x": 1, "members": ["a@example.com", "no"]}))
    assert found == (
        f"{E}.x: unknown key",
        f"{E}.group: expected the group's name",
        f"{E}.group_uri: expected a Calendly group URI",
        f"{E}.taken_at: expected a UTC time like 2025-01-31T12:00:00Z",
        f"{E}.members.1: expected an e-mail",
    )


MAP = """
version: 1
teams:
  first:
    calendar_id: c_first@group.calendar.google.com
  emea:
    calendar_id: c_emea@group.calendar.google.com
    calendly_group: Support EMEA
    members: [host@example.com]
  us:
    calendar_id: c_us@group.calendar.google.com
    calendly_group: Support US
  global:
    calendar_id: c_global@group.calendar.google.com
    members: [g@example.com]
routes:
  - team: global
    event_name_contains: ["Support"]
"""


def entry(group: str, *members: str) -> LockEntry:
    return LockEntry(group, URI, members, "2025-01-31T12:00:00Z")


def test_merge_joins_each_group_team_with_its_lock_members():
    team_map = parse_team_map(MAP)
    lock = {
        "emea": entry("Support EMEA", "a@example.com"),
        "us": entry("Support US", "u@example.com"),
        "global": entry("Other", "x@example.com"),  # not a group team: ignored
    }
    merged = merge_lock(team_map, lock, source="teams.yaml", lock_name="teams.lock.yaml")
    assert merged.teams["emea"].members == frozenset({"host@example.com", "a@example.com"})
    assert merged.teams["us"].members == frozenset({"u@example.com"})
    assert merged.teams["global"].members == team_map.teams["global"].members
    assert merged.routes == team_map.routes
    assert team_map.teams["emea"].members == frozenset({"host@example.com"})


def test_merge_without_a_lock_names_every_group_team():
    with pytest.raises(ConfigError) as info:
        merge_lock(parse_team_map(MAP), None, source="teams.yaml", lock_name="teams.lock.yaml")
    assert str(info.value) == (
        "teams.yaml: the Calendly group members of team(s) emea, us are not in teams.lock.yaml"
    )
    assert info.value.problems == (
        f"teams.emea.calendly_group: no entry for team 'emea' in teams.lock.yaml; run: {RESOLVE}",
        f"teams.us.calendly_group: no entry for team 'us' in teams.lock.yaml; run: {RESOLVE}",
    )


def test_merge_refuses_an_entry_for_another_group():
    lock = {"emea": entry("Support Europe"), "us": entry("Support US")}
    with pytest.raises(ConfigError) as info:
        merge_lock(parse_team_map(MAP), lock, source="m.yaml", lock_name="m.lock.yaml")
    assert str(info.value) == (
        "m.yaml: the Calendly group members of team(s) emea are not in m.lock.yaml"
    )
    assert info.value.problems == (
        (
            "teams.emea.calendly_group: m.lock.yaml holds group 'Support Europe', the map names "
            f"'Support EMEA'; run: {RESOLVE}"
        ),
    )


def test_render_is_stable_and_parses_back():
    entries = {
        "zeta": entry("Z group", "a@example.com", "b@example.com"),
        "alpha": entry("Ä group", "c@example.com"),
    }
    text = render_lock(entries)
    assert text.startswith(HEADER)
    assert text[len(HEADER) :] == (
        "version: 1\n"
        "teams:\n"
        "  zeta:\n"
        "    group: Z group\n"
        f"    group_uri: {URI}\n"
        "    taken_at: '2025-01-31T12:00:00Z'\n"
        "    members:\n"
        "    - a@example.com\n"
        "    - b@example.com\n"
        "  alpha:\n"
        "    group: Ä group\n"
        f"    group_uri: {URI}\n"
        "    taken_at: '2025-01-31T12:00:00Z'\n"
        "    members:\n"
        "    - c@example.com\n"
    )
    assert parse_lock(text) == entries


def test_render_keeps_long_lines_up_to_width_100():
    long_group = "word " * 17 + "end"
    text = render_lock({"t": entry(long_group)})
    assert f"    group: {long_group}\n" in text
