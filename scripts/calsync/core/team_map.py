"""Load and validate the YAML team map into frozen values.

Strict: unknown keys (with a did-you-mean), wrong types, unknown teams, bad calendar ids and
empty lists are all reported at once, one `PATH:LINE: dotted.path: message` line each. The
YAML loader (calsync.core.team_map_yaml) refuses duplicate keys, non-text keys, tags and
aliases and caps size and depth; even a file that cannot be parsed gets such a line. The checks
of single values (lists, booleans, unknown keys) are calsync.core.team_map_checks'.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from calsync.core.errors import ConfigError
from calsync.core.fields import CALENDLY_URI, EMAIL
from calsync.core.team_map_checks import bool_value, kind, show, string_list, unknown_keys
from calsync.core.team_map_yaml import StrictLoader, key_lines, locate, seg, structure
from calsync.core.trust import UNSAFE_KEY, Committed, committed_options

MAX_CONFIG_BYTES = 512 * 1024
_TEAM_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_CALENDAR_ID = re.compile(r"^(primary|[A-Za-z0-9._%+-]{1,200}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,})$")
_DISPLAY = {"show_invitee_name", "show_answers", "show_hosts"}
_VISIBILITY = ("default", "private")
# The keys the validator accepts (the JSON Schema, config/team_map.schema.json, must agree).
ROOT_KEYS = {"version", "teams", "routes", "google", UNSAFE_KEY}
TEAM_KEYS = {"name", "calendar_id", "members", "visibility", "calendly_group"} | _DISPLAY
ROUTE_KEYS = {"team", "event_name_contains", "event_type", "host_is_member", "hosts"}
CONDITIONS = ROUTE_KEYS - {"team"}


@dataclass(frozen=True)
class Display:
    """What a team wants on its calendar beyond the default (no personal data by default)."""

    show_invitee_name: bool = False
    show_answers: bool = False
    show_hosts: bool = True
    # "private": people who see the calendar only as free/busy see no details (the event
    # still carries the meeting's join URL for those who can read it)
    visibility: str = "default"


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    calendar_id: str
    members: frozenset[str]  # lower-cased Calendly host emails (the map's, plus its group's)
    display: Display
    line: int = field(default=0, compare=False)  # where the team's key is in the YAML
    calendly_group: str = ""  # members also come from this Calendly group, via the lock file
    listed: tuple[str, ...] = ()  # the map's own `members`, in file order


@dataclass(frozen=True)
class Route:
    team: str
    event_name_contains: tuple[str, ...] = ()  # any of them, case-insensitive
    event_type: tuple[str, ...] = ()  # any of these event type URIs
    host_is_member: bool = False  # some host of the meeting is a member of the team
    hosts: frozenset[str] = frozenset()  # some host of the meeting has one of these emails
    line: int = field(default=0, compare=False)  # where the route starts in the YAML


@dataclass(frozen=True)
class TeamMap:
    teams: dict[str, Team]
    routes: tuple[Route, ...]
    trust: Committed = field(default_factory=Committed)  # top-level trust keys (core.trust)
    source: str = field(default="team map", compare=False)  # the file, for PATH:LINE: messages

    def calendars(self) -> list[tuple[str, str]]:
        """(team key, calendar id) of every team, in file order."""
        return [(t.key, t.calendar_id) for t in self.teams.values()]


def parse_team_map(text: str, *, source: str = "team map") -> TeamMap:
    loader = None
    try:
        loader = StrictLoader(text)
        node = loader.get_single_node()
        found = structure(node, "") if node is not None else []
        if found:
            raise ConfigError(
                f"{source}: invalid YAML: {found[0][1].split(': ', 1)[1]}",
                tuple(f"{source}:{line}: {problem}" for line, problem in found),
            )
        data = loader.construct_document(node) if node is not None else None
        lines = key_lines(node) if node is not None else {"": 1}
    except (yaml.YAMLError, RecursionError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if isinstance(err, RecursionError):
            problem = "nested too deeply"
        elif "'\\t'" in problem:
            problem += " (indent with spaces, not tabs)"
        path = ".".join(map(seg, loader.path if loader else [])) or "(root)"
        at = f"{source}:{mark.line + 1}:" if mark is not None else f"{source}:"
        raise ConfigError(
            f"{source}: invalid YAML{where}: {problem}", (f"{at} {path}: {problem}",)
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    problems: list[str] = []
    result = _validate(data, problems, lines, source)
    if problems or result is None:
        count = len(problems)
        raise ConfigError(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the team map",
            tuple(f"{source}:{locate(p, lines)}: {p}" for p in problems),
        )
    return result


# -- validation ------------------------------------------------------------------------------


def _validate(data: Any, problems: list[str], lines: dict[str, int], source: str) -> TeamMap | None:
    if data is None:
        problems.append("(root): the team map is empty")
        return None
    if not isinstance(data, dict):
        problems.append(f"(root): expected a mapping, got {kind(data)}")
        return None
    unknown_keys(data, ROOT_KEYS, "", problems)
    version = data.get("version")
    if type(version) is not int or version != 1:  # not True, not 1.0
        shown = repr(version) if isinstance(version, int | float) else show(version)
        problems.append(f"version: must be 1, got {shown}")
    teams = _teams(data.get("teams"), problems, lines)
    routes = _routes(data.get("routes"), teams, problems, lines)
    trust = committed_options(data, problems)
    if problems:
        return None
    return TeamMap(teams=teams, routes=routes, trust=trust, source=source)


def _teams(raw: Any, problems: list[str], lines: dict[str, int]) -> dict[str, Team]:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"teams: expected a non-empty mapping, got {kind(raw)}")
        return {}
    teams: dict[str, Team] = {}
    calendars: dict[str, str] = {}
    for key, spec in raw.items():
        p = f"teams.{seg(key)}"
        if not isinstance(key, str) or not _TEAM_KEY.match(key):
            problems.append(f"{p}: team key must be lower-case letters, digits, '-' or '_'")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{p}: expected a mapping, got {kind(spec)}")
            continue
        unknown_keys(spec, TEAM_KEYS, p, problems)
        cal = spec.get("calendar_id")
        if not isinstance(cal, str) or not _CALENDAR_ID.match(cal):
            problems.append(
                f"{p}.calendar_id: expected a Google calendar id like "
                f"c_xxx@group.calendar.google.com, got {show(cal)}"
            )
        elif cal in calendars:
            problems.append(f"{p}.calendar_id: already used by team {calendars[cal]!r}")
        else:
            calendars[cal] = key
        name = spec.get("name", key)
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{p}.name: expected a non-empty string")
        members = string_list(spec, "members", p, problems, check=EMAIL.match, what="an email")
        display = Display(
            **{k: bool_value(spec, k, p, problems, Display.__dict__[k]) for k in _DISPLAY},
            visibility=_visibility(spec.get("visibility", "default"), p, problems),
        )
        group = spec.get("calendly_group", "")
        if not isinstance(group, str) or ("calendly_group" in spec and not group.strip()):
            problems.append(
                f"{p}.calendly_group: expected a Calendly group name, got {show(group)}"
            )
            group = ""
        teams[key] = Team(
            key=key,
            name=str(name),
            calendar_id=str(cal),
            members=frozenset(m.lower() for m in members),
            display=display,
            line=lines.get(p, 0),
            calendly_group=group.strip(),
            listed=tuple(members),
        )
    return teams


def _routes(
    raw: Any, teams: dict[str, Team], problems: list[str], lines: dict[str, int]
) -> tuple[Route, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"routes: expected a non-empty list, got {kind(raw)}")
        return ()
    routes = []
    for i, spec in enumerate(raw):
        p = f"routes.{i}"
        if not isinstance(spec, dict):
            problems.append(f"{p}: expected a mapping, got {kind(spec)}")
            continue
        unknown_keys(spec, ROUTE_KEYS, p, problems)
        team = spec.get("team")
        if not isinstance(team, str):
            problems.append(f"{p}.team: expected a team key, got {show(team)}")
        elif team not in teams:
            problems.append(
                f"{p}.team: unknown team {team!r} (known: {', '.join(teams) or 'none'})"
            )
        if not CONDITIONS & spec.keys():
            problems.append(f"{p}: needs at least one of {', '.join(sorted(CONDITIONS))}")
        names = string_list(spec, "event_name_contains", p, problems, check=str.strip, what="text")
        types = string_list(
            spec,
            "event_type",
            p,
            problems,
            check=CALENDLY_URI.fullmatch,
            what="a Calendly event type URI",
        )
        hosts = string_list(spec, "hosts", p, problems, check=EMAIL.match, what="an email")
        member = bool_value(spec, "host_is_member", p, problems, False)
        known = teams.get(team) if isinstance(team, str) else None
        if member and known is not None and not known.members and not known.calendly_group:
            problems.append(f"{p}.host_is_member: team {team!r} has no members or calendly_group")
        routes.append(
            Route(
                team=str(team),
                event_name_contains=tuple(names),
                event_type=tuple(types),
                host_is_member=member,
                hosts=frozenset(h.lower() for h in hosts),
                line=lines.get(p, 0),
            )
        )
    return tuple(routes)


def _visibility(value: Any, p: str, problems: list[str]) -> str:
    if value not in _VISIBILITY:
        problems.append(f"{p}.visibility: expected one of {', '.join(_VISIBILITY)}")
        return "default"
    return str(value)
