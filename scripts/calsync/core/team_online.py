"""What `validate-config --online` checks against Calendly's answers. Pure: the facts come in.

Each problem is one `dotted.path: message` line with the map's location, like the offline ones.
"""

from __future__ import annotations

from collections.abc import Collection

from calsync.core.team_map import TeamMap


def online_problems(
    team_map: TeamMap,
    *,
    members: Collection[str],
    groups: Collection[str],
    event_type_names: Collection[str],
) -> list[str]:
    """Map e-mails that are no active member, unknown groups, phrases in no active event type.

    ``members`` are the organization's member e-mails (lower case), ``groups`` its group names,
    ``event_type_names`` the names of its active event types.
    """
    names = [n.lower() for n in event_type_names]
    problems: list[str] = []
    for key, team in team_map.teams.items():
        for i, email in enumerate(team.listed):
            if email.lower() not in members:
                problems.append(
                    f"teams.{key}.members.{i}: {email} is not an active member of the Calendly "
                    "organization"
                )
        if team.calendly_group and team.calendly_group not in groups:
            problems.append(
                f"teams.{key}.calendly_group: no Calendly group named {team.calendly_group!r}"
            )
    for i, route in enumerate(team_map.routes):
        for j, phrase in enumerate(route.event_name_contains):
            if not any(phrase.lower() in name for name in names):
                problems.append(
                    f"routes.{i}.event_name_contains.{j}: {phrase!r} is part of no active event "
                    "type's name"
                )
        problems.extend(
            f"routes.{i}.hosts: {email} is not an active member of the Calendly organization"
            for email in sorted(route.hosts - set(members))
        )
    return problems
