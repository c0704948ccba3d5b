"""Routing by Calendly group: `team-map resolve` writes the lock file, sync/validate read it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from builders import webhook
from calsync.adapters.files import load_team_map
from calsync.core.errors import ConfigError
from calsync.core.team_lock import LockEntry, merge_lock, parse_lock, render_lock
from calsync.core.team_map import parse_team_map
from calsync.core.team_online import online_problems
from conftest import run_cli
from fakes.calendly_server import FakeCalendly

HOST = "support.engineer@example.com"  # the host of builders.webhook's meetings
MAP = """\
version: 1
teams:
  emea:
    calendar_id: c_emea@group.calendar.google.com
    calendly_group: Support EMEA
routes:
  - team: emea
    event_name_contains: ["Support"]
    host_is_member: true
"""


@pytest.fixture
def team_map(tmp_path: Path) -> Path:
    path = tmp_path / "teams.yaml"
    path.write_text(MAP)
    return path


def emea(calendly: FakeCalendly, *emails: str) -> dict:
    """The group "Support EMEA" with these members, plus an admin and a pending invitee."""
    group = calendly.add_group("Support EMEA")
    for email in emails:
        calendly.add_to_group(group, calendly.add_member(email))
    calendly.add_to_group(group, calendly.add_member("lead@example.com"), role="admin")
    calendly.add_to_group(group, calendly.add_invitation("newbie@example.com"))
    return group


def test_resolve_writes_the_lock_next_to_the_map(calendly, env, team_map):
    """Sorted member e-mails (not admins, not invitees), group name and URI, UTC time taken."""
    group = emea(calendly, "zed@example.com", HOST, "amy@example.com")
    result = run_cli(["team-map", "resolve", "--config", str(team_map)], env)
    assert result.code == 0, result.err
    lock = yaml.safe_load((team_map.parent / "teams.lock.yaml").read_text())
    entry = lock["teams"]["emea"]
    assert entry["members"] == ["amy@example.com", HOST, "zed@example.com"]
    assert (entry["group"], entry["group_uri"]) == ("Support EMEA", group["uri"])
    assert entry["taken_at"].endswith("Z")
    assert "zed@example.com" in result.out  # staff e-mails are shown in full
    assert result.report["action"] == "written"


def test_resolve_again_without_changes_leaves_the_file_as_it_is(calendly, env, team_map):
    """A scheduled refresh with unchanged groups makes no diff (no merge request)."""
    emea(calendly, HOST)
    run_cli(["team-map", "resolve", "--config", str(team_map)], env)
    before = (team_map.parent / "teams.lock.yaml").read_text()
    again = run_cli(["team-map", "resolve", "--config", str(team_map)], env)
    assert (again.code, again.report["action"]) == (0, "unchanged")
    assert (team_map.parent / "teams.lock.yaml").read_text() == before


def test_resolve_unknown_group_is_exit_2_naming_the_team(calendly, env, team_map):
    """No such group: exit 2, the team named, no lock file written."""
    calendly.add_group("Support APAC")
    result = run_cli(["team-map", "resolve", "--config", str(team_map)], env)
    assert result.code == 2
    assert "team 'emea'" in result.err
    assert "teams.emea.calendly_group: no Calendly group 'Support EMEA'" in result.err
    assert not (team_map.parent / "teams.lock.yaml").exists()


def test_validate_without_lock_entry_fails_naming_the_team(team_map):
    """A group team with no lock entry: exit 2, naming the team and the fix."""
    result = run_cli(["validate-config", "--config", str(team_map)], {})
    assert result.code == 2
    assert "team(s) emea are not in teams.lock.yaml" in result.err
    assert "teams.emea.calendly_group: no entry for team 'emea' in teams.lock.yaml" in result.err


def test_sync_refuses_a_map_without_lock_entry(team_map, tmp_path):
    """sync treats the map as invalid: exit 2, nothing written."""
    payload = tmp_path / "p.json"
    payload.write_text(json.dumps(webhook()))
    ics = tmp_path / "cal.ics"
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics)]
    result = run_cli([*argv, "--config", str(team_map)], {})
    assert result.code == 2
    assert "teams.emea.calendly_group: no entry" in result.err
    assert not ics.exists()


def test_lock_for_another_group_is_refused():
    """The map renamed the group after the lock was taken: the team needs a new resolve."""
    team_map = parse_team_map(MAP)
    lock = {"emea": LockEntry("Support Europe", "https://api.calendly.com/groups/G1", (), "x")}
    with pytest.raises(ConfigError) as err:
        merge_lock(team_map, lock, source="teams.yaml", lock_name="teams.lock.yaml")
    assert err.value.problems[0].startswith(
        "teams.emea.calendly_group: teams.lock.yaml holds group 'Support Europe'"
    )


def test_lock_round_trip_and_strict_parsing():
    entries = {
        "emea": LockEntry(
            "Support EMEA",
            "https://api.calendly.com/groups/G1",
            ("a@example.com", "b@example.com"),
            "2025-01-31T12:00:00Z",
        )
    }
    assert parse_lock(render_lock(entries)) == entries
    with pytest.raises(ConfigError) as err:
        parse_lock("version: 1\nteams:\n  emea:\n    group: X\n    members: [nope]\n")
    assert "teams.emea.members.0: expected an e-mail" in err.value.problems
    assert "teams.emea.group_uri: expected a Calendly group URI" in err.value.problems


def test_booking_routes_by_group_through_the_lock_without_membership_calls(
    calendly, env, team_map, tmp_path
):
    """Lifecycle: resolve once; sync then routes by the lock file and asks Calendly nothing
    about groups or members (only the invitee and event it verifies)."""
    emea(calendly, HOST)
    assert run_cli(["team-map", "resolve", "--config", str(team_map)], env).code == 0
    body = webhook(api=calendly.base_url, hosts=(HOST,))
    invitee = json.loads(json.dumps(body["payload"]))
    calendly.add_scheduled_event(invitee.pop("scheduled_event"))
    calendly.add_invitee(invitee)
    payload, ics = tmp_path / "p.json", tmp_path / "cal.ics"
    payload.write_text(json.dumps(body))
    calendly.reset_requests()
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics)]
    result = run_cli([*argv, "--config", str(team_map)], env)
    assert result.code == 0, result.err
    assert (result.report["action"], result.report["team"]) == ("created", "emea")
    assert result.report["verified"] is True
    paths = [r.path for r in calendly.request_log]
    assert paths
    assert all(p.startswith("/scheduled_events/") for p in paths), paths
    assert calendly.calls("/group_relationships") == calendly.calls("/groups") == []
    assert calendly.calls("/organization_memberships") == []


def test_host_outside_the_group_is_not_routed(calendly, env, team_map, tmp_path):
    """Same map, the host is not in the group's lock entry: skipped, no calendar touched."""
    emea(calendly, "someone.else@example.com")
    assert run_cli(["team-map", "resolve", "--config", str(team_map)], env).code == 0
    payload, ics = tmp_path / "p.json", tmp_path / "cal.ics"
    payload.write_text(json.dumps(webhook(hosts=(HOST,))))
    argv = ["sync", "--payload", str(payload), "--backend", "ics", "--ics-file", str(ics)]
    result = run_cli([*argv, "--config", str(team_map), "--no-verify"], {})
    assert (result.code, result.report["action"]) == (0, "skipped")


def test_loaded_map_merges_the_lock_members(calendly, env, team_map):
    emea(calendly, HOST)
    run_cli(["team-map", "resolve", "--config", str(team_map)], env)
    assert load_team_map(team_map).teams["emea"].members == {HOST}
    assert load_team_map(team_map, lock=False).teams["emea"].members == frozenset()


ONLINE_MAP = """\
version: 1
teams:
  emea:
    calendar_id: c_emea@group.calendar.google.com
    members: [ann@example.com, gone@example.com]
    calendly_group: Support EMEA
  apac:
    calendar_id: c_apac@group.calendar.google.com
    calendly_group: Support APAC
routes:
  - team: emea
    event_name_contains: ["Support", "US Federal"]
    hosts: [ghost@example.com]
"""


def test_online_problems_name_their_yaml_location():
    team_map = parse_team_map(ONLINE_MAP)
    problems = online_problems(
        team_map,
        members={"ann@example.com"},
        groups={"Support EMEA"},
        event_type_names=["Global Support Call"],
    )
    assert problems == [
        (
            "teams.emea.members.1: gone@example.com is not an active member of the Calendly "
            "organization"
        ),
        "teams.apac.calendly_group: no Calendly group named 'Support APAC'",
        "routes.0.event_name_contains.1: 'US Federal' is part of no active event type's name",
        "routes.0.hosts: ghost@example.com is not an active member of the Calendly organization",
    ]


def test_validate_online_against_the_fake(calendly, env, tmp_path):
    """--online: exit 2 listing each problem by location; a pending invitee is not a member;
    an inactive event type's name does not count."""
    group = calendly.add_group("Support EMEA")
    calendly.add_to_group(group, calendly.add_member("ann@example.com"))
    calendly.add_invitation("gone@example.com")
    calendly.add_event_type("Global Support Call")
    calendly.add_event_type("US Federal intake", active=False)
    path = tmp_path / "teams.yaml"
    path.write_text(
        ONLINE_MAP.replace("  apac:", "  apac:\n    name: APAC").replace(
            "Support APAC", "Support EMEA"
        )
    )
    assert run_cli(["team-map", "resolve", "--config", str(path)], env).code == 0
    result = run_cli(["validate-config", "--online", "--config", str(path)], env)
    assert result.code == 2
    assert "  teams.emea.members.1: gone@example.com is not an active member" in result.err
    assert "  routes.0.event_name_contains.1: 'US Federal' is part of no active" in result.err
    assert "teams.apac" not in result.err
    calendly.add_event_type("US Federal Support")
    calendly.accept_invitation(calendly.invitations[0])
    calendly.add_member("ghost@example.com")
    fine = run_cli(["validate-config", "--online", "--config", str(path)], env)
    assert fine.code == 0, fine.err
    assert "checked against Calendly" in fine.out
