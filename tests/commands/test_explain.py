"""`explain`: every route, whether it matched and why, then what sync would do. Own maps only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import SENTINEL_ANSWER, SENTINEL_EMAIL, SENTINEL_NAME, webhook
from calsync.core.booking import Kind
from calsync.core.explain import explain
from calsync.core.parse import parse_booking
from calsync.core.team_map import parse_team_map
from conftest import run_cli

ET = "https://api.calendly.com/event_types/"
MAP = f"""\
version: 1
teams:
  us-government:
    calendar_id: c_usgov@group.calendar.google.com
    members: [agent.one@example.com]
  emea:
    calendar_id: c_emea@group.calendar.google.com
  global:
    calendar_id: c_global@group.calendar.google.com
routes:
  - team: us-government
    event_name_contains: ["US Federal", "US Government"]
    host_is_member: true
  - team: emea
    event_type: ["{ET}ETEMEA"]
  - team: emea
    hosts: [emea.lead@example.com]
  - team: global
    event_name_contains: ["Support"]
"""
LINES = [11, 14, 16, 18]  # where each route starts in MAP
TEAM_MAP = parse_team_map(MAP)


def reasons(body):
    result = explain(parse_booking(body), TEAM_MAP)
    return [(r.matched, list(r.reasons)) for r in result.routes], result


@pytest.mark.parametrize(
    ("body", "route", "expected"),
    [
        (
            webhook(name="Onboarding"),
            4,
            (False, ['event name "Onboarding" contains none of ["Support"]']),
        ),
        (
            webhook(name="Global Support Call"),
            4,
            (True, ['event name "Global Support Call" contains "Support"']),
        ),
        (
            webhook(name="US Federal intro", hosts=("a@x.com",)),
            1,
            (
                False,
                [
                    'event name "US Federal intro" contains "US Federal"',
                    "host a@x.com is not a member of us-government",
                ],
            ),
        ),
        (
            webhook(name="US Government call", hosts=("a@x.com", "agent.one@example.com")),
            1,
            (
                True,
                [
                    'event name "US Government call" contains "US Government"',
                    "host agent.one@example.com is a member of us-government",
                ],
            ),
        ),
        (
            webhook(name="US Federal", hosts=("a@x.com", "b@x.com")),
            1,
            (
                False,
                [
                    'event name "US Federal" contains "US Federal"',
                    "none of the hosts a@x.com, b@x.com is a member of us-government",
                ],
            ),
        ),
        (
            webhook(hosts=()),
            3,
            (False, ['the meeting lists no host, so none is one of ["emea.lead@example.com"]']),
        ),
        (
            webhook(event_type="ETX"),
            2,
            (False, [f'event type "{ET}ETX" is not one of ["{ET}ETEMEA"]']),
        ),
        (webhook(event_type="ETEMEA"), 2, (True, [f'event type "{ET}ETEMEA" is listed'])),
        (
            webhook(hosts=("emea.lead@example.com",)),
            3,
            (True, ['host emea.lead@example.com is one of ["emea.lead@example.com"]']),
        ),
    ],
)
def test_each_condition_says_why(body, route, expected):
    """One sentence per condition, matched or not, in the route's order of conditions."""
    found, _ = reasons(body)
    assert found[route - 1] == expected


@pytest.mark.parametrize(
    ("body", "team", "action", "effect"),
    [
        (webhook(name="Sales"), None, "skip", "nothing: no calendar is read or written"),
        (webhook(), "global", "sync", "create the event on the team calendar"),
        (
            webhook("invitee.canceled"),
            "global",
            "sync",
            "delete the event: the meeting is canceled",
        ),
        (webhook(limit=5, active=3), "global", "sync", "create the group event"),
        (
            webhook("invitee.canceled", limit=5, active=2),
            "global",
            "sync",
            "update the group event's invitee count; it is deleted when no invitee is left (2",
        ),
        (webhook("invitee_no_show.created"), "global", "sync", "mark the invitee as a no-show"),
        (webhook("invitee_no_show.deleted"), "global", "sync", "clear the invitee's no-show"),
        ({"event": "routing_form_submission.created", "payload": {}}, None, "skip", "nothing"),
    ],
)
def test_decision_says_what_sync_would_do(body, team, action, effect):
    """One-on-one, round robin, collective and group bookings: team, action, effect."""
    _, result = reasons(body)
    assert (result.team, result.action) == (team, action)
    assert result.effect.startswith(effect), result.effect


def test_first_match_decides_and_later_matches_are_marked():
    """Routes are numbered from 1 with their YAML line; a later match is noted as unused."""
    _, result = reasons(webhook(name="Support", hosts=("emea.lead@example.com",)))
    assert [r.route for r in result.routes] == [1, 2, 3, 4]
    assert [r.line for r in result.routes] == LINES
    assert result.team == "emea"
    assert result.routes[3].matched
    assert result.routes[3].reasons[-1] == "not consulted: route 3 matched first"


def test_old_payload_without_meeting_details_is_explained_not_failed():
    body = webhook()
    del body["payload"]["scheduled_event"]
    _, result = reasons(body)
    assert result.action == "error"
    assert "CALENDLY_TOKEN" in result.effect
    assert all(not r.matched for r in result.routes)


@pytest.fixture
def files(tmp_path: Path):
    def write(body, team_map: str = MAP) -> tuple[Path, Path]:
        (tmp_path / "map.yaml").write_text(team_map)
        (tmp_path / "p.json").write_text(body if isinstance(body, str) else json.dumps(body))
        return tmp_path / "p.json", tmp_path / "map.yaml"

    return write


def test_cli_json_shape(files):
    payload, config = files(webhook(name="Onboarding"))
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config), "--json"], {})
    assert result.code == 0, result.err
    assert len(result.out.splitlines()) == 1
    report = result.report
    assert report["routes"][3] == {
        "route": 4,
        "line": 18,
        "team": "global",
        "matched": False,
        "reasons": ['event name "Onboarding" contains none of ["Support"]'],
    }
    assert report["decision"] == {
        "team": None,
        "calendar_id": None,
        "action": "skip",
        "effect": "nothing: no calendar is read or written (exit 0)",
        "reason": "no route matches event 'Onboarding'",
    }


def test_cli_text_names_routes_and_decision_without_personal_data(files):
    """Host e-mails (staff) show; the invitee's name, e-mail and answers never do."""
    payload, config = files(webhook(hosts=("agent.one@example.com",), name="US Federal Support"))
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config)], {})
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[1] == "route 1 (line 11) -> team us-government: MATCH"
    assert "  - host agent.one@example.com is a member of us-government" in lines
    assert "decision: sync to team us-government, calendar c_usgov@group.calendar.google.com" in (
        lines
    )
    for secret in (SENTINEL_EMAIL, SENTINEL_NAME, SENTINEL_ANSWER):
        assert secret not in result.out + result.err


def test_cli_reads_stdin_and_needs_no_credentials(files):
    _, config = files(webhook())
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent", "CALENDLY_TOKEN": ""}
    result = run_cli(
        ["explain", "--payload", "-", "--config", str(config)], env, stdin=json.dumps(webhook())
    )
    assert result.code == 0, result.err
    assert result.report["decision"]["team"] == "global"


def test_inner_payload_paste_is_inferred_and_said(files):
    """Only the inner `payload` object pasted: the kind is inferred and the report says so."""
    payload, config = files(webhook("invitee.canceled")["payload"])
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config), "--json"], {})
    assert result.code == 0, result.err
    assert result.report["event_kind"] == Kind.CANCELED.value
    assert result.report["inferred_event"] is True
    assert "inner 'payload' object" in result.report["inferred_reason"]


def test_inner_payload_without_status_asks_for_the_whole_body(files):
    inner = webhook()["payload"]
    del inner["status"]
    payload, config = files(inner)
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config)], {})
    assert result.code == 2
    assert "paste the whole webhook body" in result.err


@pytest.mark.parametrize("body", ["not json", "[1]", '{"payload": 5, "event": "invitee.created"}'])
def test_bad_input_exits_2(files, body):
    payload, config = files(body)
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config)], {})
    assert result.code == 2
    assert result.report["action"] == "error"


def test_bad_map_exits_2(files):
    payload, config = files(webhook(), MAP.replace("team: global", "team: nope"))
    result = run_cli(["explain", "--payload", str(payload), "--config", str(config)], {})
    assert result.code == 2
    assert f"{config}:18: routes.3.team: unknown team 'nope'" in result.err
