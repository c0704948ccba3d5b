"""Lint a valid team map: routes that can never match. Pure.

Routes are tried in order and the first match decides, so a route is dead when an earlier one
matches every booking it would: an exact duplicate, a route with no conditions before it, or
an earlier route whose every condition is implied by the later one's (name contains "Support"
before name contains "US Federal Support"). Each problem is `PATH:LINE: routes.N: message`.
"""

from __future__ import annotations

from calsync.core.team_map import Route, TeamMap


def lint(team_map: TeamMap) -> list[str]:
    """Every route shadowed by an earlier one, as compiler-style lines."""
    problems = []
    routes = team_map.routes
    for j, later in enumerate(routes):
        for i, earlier in enumerate(routes[:j]):
            why = _shadow(earlier, later, team_map)
            if why:
                problems.append(
                    f"{team_map.source}:{later.line}: routes.{j}: never matches: route {i + 1} "
                    f"(line {earlier.line}, team {earlier.team!r}) takes every booking it "
                    f"would ({why})"
                )
                break
    return problems


def _shadow(a: Route, b: Route, team_map: TeamMap) -> str:
    """Why every booking route `b` matches is matched by the earlier `a`, or "" if not."""
    if _conditions(a) == _conditions(b) and a.team == b.team:
        return "an exact duplicate"
    if not any(_conditions(a)):
        return "it has no conditions"
    checks = [_names(a, b), _types(a, b), _hosts(a, b, team_map), _member(a, b, team_map)]
    if all(ok for ok, _ in checks):
        return "; ".join(why for _, why in checks if why)
    return ""


def _conditions(r: Route) -> tuple[object, ...]:
    names = frozenset(s.casefold() for s in r.event_name_contains)
    return names, frozenset(r.event_type), r.host_is_member, r.hosts


def _names(a: Route, b: Route) -> tuple[bool, str]:
    if not a.event_name_contains:
        return True, ""
    if not b.event_name_contains:
        return False, ""
    pairs = []
    for later in b.event_name_contains:
        found = next((s for s in a.event_name_contains if s.casefold() in later.casefold()), None)
        if found is None:
            return False, ""
        pairs.append(f'"{later}" contains "{found}"')
    return True, "its names: " + ", ".join(pairs)


def _types(a: Route, b: Route) -> tuple[bool, str]:
    if not a.event_type:
        return True, ""
    if b.event_type and set(b.event_type) <= set(a.event_type):
        return True, "its event types include all of this route's"
    return False, ""


def _hosts(a: Route, b: Route, team_map: TeamMap) -> tuple[bool, str]:
    if not a.hosts:
        return True, ""
    if b.hosts and b.hosts <= a.hosts:
        return True, "its hosts include all of this route's"
    if b.host_is_member and team_map.teams[b.team].members <= a.hosts:
        return True, f"its hosts include every member of {b.team}"
    return False, ""


def _member(a: Route, b: Route, team_map: TeamMap) -> tuple[bool, str]:
    if not a.host_is_member:
        return True, ""
    members = team_map.teams[a.team].members
    if b.host_is_member and team_map.teams[b.team].members <= members:
        same = "the same team" if a.team == b.team else f"{b.team}'s members are all in {a.team}"
        return True, f"host is a member of {same}"
    if b.hosts and b.hosts <= members:
        return True, f"this route's hosts are all members of {a.team}"
    return False, ""
