"""Load and validate the YAML team map into frozen values.

Strict: unknown keys, wrong types, unknown teams, bad calendar ids and empty lists are all
reported at once, one `dotted.path: message` line each. The YAML loader refuses duplicate
keys, non-text keys, tags and aliases (no anchor bombs) and caps size and depth; even a file
that cannot be read or parsed gets one `path: message` line (`(file)`, or where it broke).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from calsync.core.errors import ConfigError

MAX_CONFIG_BYTES = 512 * 1024
_MAX_DEPTH = 12
_TEAM_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_CALENDAR_ID = re.compile(r"^(primary|[A-Za-z0-9._%+-]{1,200}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,})$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,200}\.[A-Za-z]{2,}$")
_URI = re.compile(r"^https://[A-Za-z0-9.-]+/[A-Za-z0-9._~/-]+$")
_DISPLAY = {"show_invitee_name", "show_answers", "show_hosts"}
_TEAM_KEYS = {"name", "calendar_id", "members", "calendly_group"} | _DISPLAY
_ROUTE_KEYS = {"team", "event_name_contains", "event_type", "host_is_member", "hosts"}
_CONDITIONS = _ROUTE_KEYS - {"team"}


@dataclass(frozen=True)
class Display:
    """What a team wants on its calendar beyond the default (no personal data by default)."""

    show_invitee_name: bool = False
    show_answers: bool = False
    show_hosts: bool = True


@dataclass(frozen=True)
class Team:
    key: str
    name: str
    calendar_id: str
    members: frozenset[str]  # lower-cased Calendly host emails (the map's, plus its group's)
    display: Display
    calendly_group: str = ""  # members also come from this Calendly group, via the lock file
    listed: tuple[str, ...] = ()  # the map's own `members`, in file order


@dataclass(frozen=True)
class Route:
    team: str
    event_name_contains: tuple[str, ...] = ()  # any of them, case-insensitive
    event_type: tuple[str, ...] = ()  # any of these event type URIs
    host_is_member: bool = False  # some host of the meeting is a member of the team
    hosts: frozenset[str] = frozenset()  # some host of the meeting has one of these emails


@dataclass(frozen=True)
class TeamMap:
    teams: dict[str, Team]
    routes: tuple[Route, ...]

    def calendars(self) -> list[tuple[str, str]]:
        """(team key, calendar id) of every team, in file order."""
        return [(t.key, t.calendar_id) for t in self.teams.values()]


def parse_team_map(text: str, *, source: str = "team map") -> TeamMap:
    loader = None
    try:
        loader = _StrictLoader(text)
        node = loader.get_single_node()
        problems = _structure(node, "") if node is not None else []
        if problems:
            raise ConfigError(
                f"{source}: invalid YAML: {problems[0].split(': ', 1)[1]}", tuple(problems)
            )
        data = loader.construct_document(node) if node is not None else None
    except (yaml.YAMLError, RecursionError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if isinstance(err, RecursionError):
            problem = "nested too deeply"
        elif "'\\t'" in problem:
            problem += " (indent with spaces, not tabs)"
        path = ".".join(map(_seg, loader.path if loader else [])) or "(root)"
        raise ConfigError(
            f"{source}: invalid YAML{where}: {problem}", (f"{path}: {problem}{where}",)
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    problems = []
    result = _validate(data, problems)
    if problems or result is None:
        count = len(problems)
        raise ConfigError(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the team map",
            tuple(problems),
        )
    return result


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and deep nesting; `path` is where it is reading."""

    def __init__(self, text: str) -> None:
        self.path: list[str] = []
        super().__init__(text)

    def compose_node(self, parent: Any, index: Any) -> Any:
        inner = isinstance(index, yaml.ScalarNode | int)  # a mapping value or a list item
        if inner:
            self.path.append(str(index.value if isinstance(index, yaml.ScalarNode) else index))
        if len(self.path) > _MAX_DEPTH:
            raise yaml.YAMLError(f"nested deeper than {_MAX_DEPTH} levels")
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.YAMLError(
                f"aliases (*{event.anchor}) are not allowed (line {event.start_mark.line + 1})"
            )
        node = super().compose_node(parent, index)
        if inner:  # on an error the path stays, to say where it happened
            self.path.pop()
        return node


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "bool", "null", "float", "map", "seq")
}


def _structure(node: Any, path: str) -> list[str]:
    """Duplicate keys, keys that are not text, merge keys and tagged values, by dotted path."""
    here = path or "(root)"
    if node.tag not in _PLAIN_TAGS:
        tag, line = node.tag.replace("tag:yaml.org,2002:", "!!"), node.start_mark.line + 1
        return [f"{here}: YAML tag {tag} is not allowed (line {line}); quote the value"]
    problems: list[str] = []
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _structure(item, f"{path}.{i}" if path else str(i))
        return problems
    first: dict[str, int] = {}
    for key_node, value in node.value if isinstance(node, yaml.MappingNode) else ():
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            problems.append(
                f"{here}: line {line}: a key must be plain text (no lists, "
                "mappings or '<<' merge keys)"
            )
            continue
        key = key_node.value
        where = f"{path}.{_seg(key)}" if path else _seg(key)
        if key in first:
            problems.append(
                f"{where}: duplicate key {key!r} (line {line}; first on line {first[key]})"
            )
        first.setdefault(key, line)
        problems += _structure(value, where)
    return problems


def _seg(key: Any) -> str:
    """A key as one readable path segment: odd keys (spaces, newlines, RTL marks) quoted."""
    text = str(key)
    return text if text.isprintable() and "." not in text and len(text) < 64 else repr(text)[:80]


# -- validation ------------------------------------------------------------------------------


def _validate(data: Any, problems: list[str]) -> TeamMap | None:
    if data is None:
        problems.append("(root): the team map is empty")
        return None
    if not isinstance(data, dict):
        problems.append(f"(root): expected a mapping, got {_kind(data)}")
        return None
    _unknown(data, {"version", "teams", "routes"}, "", problems)
    version = data.get("version")
    if type(version) is not int or version != 1:  # not True, not 1.0
        shown = repr(version) if isinstance(version, int | float) else _show(version)
        problems.append(f"version: must be 1, got {shown}")
    teams = _teams(data.get("teams"), problems)
    routes = _routes(data.get("routes"), teams, problems)
    return TeamMap(teams=teams, routes=routes) if not problems else None


def _teams(raw: Any, problems: list[str]) -> dict[str, Team]:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"teams: expected a non-empty mapping, got {_kind(raw)}")
        return {}
    teams: dict[str, Team] = {}
    calendars: dict[str, str] = {}
    for key, spec in raw.items():
        p = f"teams.{_seg(key)}"
        if not isinstance(key, str) or not _TEAM_KEY.match(key):
            problems.append(f"{p}: team key must be lower-case letters, digits, '-' or '_'")
            continue
        if not isinstance(spec, dict):
            problems.append(f"{p}: expected a mapping, got {_kind(spec)}")
            continue
        _unknown(spec, _TEAM_KEYS, p, problems)
        cal = spec.get("calendar_id")
        if not isinstance(cal, str) or not _CALENDAR_ID.match(cal):
            problems.append(
                f"{p}.calendar_id: expected a Google calendar id like "
                f"c_xxx@group.calendar.google.com, got {_show(cal)}"
            )
        elif cal in calendars:
            problems.append(f"{p}.calendar_id: already used by team {calendars[cal]!r}")
        else:
            calendars[cal] = key
        name = spec.get("name", key)
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{p}.name: expected a non-empty string")
        members = _strings(spec, "members", p, problems, check=_EMAIL.match, what="an email")
        display = Display(**{k: _bool(spec, k, p, problems, Display.__dict__[k]) for k in _DISPLAY})
        group = spec.get("calendly_group", "")
        if not isinstance(group, str) or ("calendly_group" in spec and not group.strip()):
            problems.append(
                f"{p}.calendly_group: expected a Calendly group name, got {_show(group)}"
            )
            group = ""
        teams[key] = Team(
            key=key,
            name=str(name),
            calendar_id=str(cal),
            members=frozenset(m.lower() for m in members),
            display=display,
            calendly_group=group.strip(),
            listed=tuple(members),
        )
    return teams


def _routes(raw: Any, teams: dict[str, Team], problems: list[str]) -> tuple[Route, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"routes: expected a non-empty list, got {_kind(raw)}")
        return ()
    routes = []
    for i, spec in enumerate(raw):
        p = f"routes.{i}"
        if not isinstance(spec, dict):
            problems.append(f"{p}: expected a mapping, got {_kind(spec)}")
            continue
        _unknown(spec, _ROUTE_KEYS, p, problems)
        team = spec.get("team")
        if not isinstance(team, str):
            problems.append(f"{p}.team: expected a team key, got {_show(team)}")
        elif team not in teams:
            problems.append(
                f"{p}.team: unknown team {team!r} (known: {', '.join(teams) or 'none'})"
            )
        if not _CONDITIONS & spec.keys():
            problems.append(f"{p}: needs at least one of {', '.join(sorted(_CONDITIONS))}")
        names = _strings(spec, "event_name_contains", p, problems, check=str.strip, what="text")
        types = _strings(
            spec, "event_type", p, problems, check=_URI.match, what="an event type URI"
        )
        hosts = _strings(spec, "hosts", p, problems, check=_EMAIL.match, what="an email")
        member = _bool(spec, "host_is_member", p, problems, False)
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
            )
        )
    return tuple(routes)


def _strings(
    spec: dict[str, Any],
    key: str,
    p: str,
    problems: list[str],
    *,
    check: Callable[[str], Any],
    what: str,
) -> list[str]:
    if key not in spec:
        return []
    raw = spec[key]
    if not isinstance(raw, list) or not raw:
        problems.append(f"{p}.{key}: expected a non-empty list, got {_kind(raw)}")
        return []
    good = []
    for j, item in enumerate(raw):
        if not isinstance(item, str) or not check(item):
            problems.append(f"{p}.{key}.{j}: expected {what}, got {_show(item)}")
        else:
            good.append(item)
    return good


def _bool(spec: dict[str, Any], key: str, p: str, problems: list[str], default: bool) -> bool:
    value = spec.get(key, default)
    if not isinstance(value, bool):
        problems.append(f"{p}.{key}: expected true or false, got {_show(value)}")
        return default
    return value


def _unknown(spec: dict[str, Any], allowed: set[str], p: str, problems: list[str]) -> None:
    for key in spec:
        if key not in allowed:
            where = f"{p}.{_seg(key)}" if p else _seg(key)
            problems.append(f"{where}: unknown key (allowed: {', '.join(sorted(allowed))})")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), type(value).__name__)


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) and len(value) < 80 else _kind(value)
