"""decide(): routing as a pure function of (booking, team map), as tables."""

from __future__ import annotations

import dataclasses

import pytest

from builders import webhook
from calsync.core.decide import Action, decide, event_id_for
from calsync.core.errors import InputError
from calsync.core.parse import parse_booking
from calsync.core.team_map import parse_team_map

MAP = parse_team_map(
    """
version: 1
teams:
  us-government:
    calendar_id: c_usgov@group.calendar.google.com
    members: [agent.one@example.com, Agent.Two@Example.com]
  global:
    calendar_id: c_global@group.calendar.google.com
  emea:
    calendar_id: c_emea@group.calendar.google.com
routes:
  - team: us-government
    event_name_contains: ["US Federal", "US Government"]
    host_is_member: true
  - team: emea
    event_type: ["https://api.calendly.com/event_types/ETEMEA"]
  - team: emea
    hosts: [emea.lead@example.com]
  - team: global
    event_name_contains: ["Support"]
"""
)


@pytest.mark.parametrize(
    ("name", "hosts", "event_type", "team"),
    [
        ("US Government Support", ("agent.one@example.com",), "ETX", "us-government"),
        ("us federal onboarding", ("agent.two@example.com",), "ETX", "us-government"),
        ("US Government Support", ("someone@example.com",), "ETX", "global"),
        ("US Federal intro", ("someone@example.com",), "ETX", None),
        ("Round robin", ("x@example.com", "agent.one@example.com"), "ETEMEA", "emea"),
        ("Anything", ("emea.lead@example.com",), "ETX", "emea"),
        ("Global Support Call", ("someone@example.com",), "ETX", "global"),
        ("Sales Intro", ("someone@example.com",), "ETX", None),
        (
            "Collective US Government",
            ("a@example.com", "agent.one@example.com"),
            "ETX",
            "us-government",
        ),
    ],
)
def test_routes_first_match_wins(name, hosts, event_type, team):
    """The first route whose every condition holds decides; none -> skipped."""
    booking = parse_booking(webhook(name=name, hosts=hosts, event_type=event_type))
    decision = decide(booking, MAP)
    if team is None:
        assert decision.action is Action.SKIP
        assert decision.reason.startswith("no route matches event")
    else:
        assert decision.action is Action.SYNC
        assert decision.team == team
        assert decision.calendar_id == MAP.teams[team].calendar_id


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"event": "routing_form_submission.created", "payload": {}}, "routing form"),
        ({"event": "invitee.rescheduled", "payload": {}}, "'invitee.rescheduled' is not one"),
        ({"event": "organization.updated"}, "is not one this tool handles"),
    ],
)
def test_not_for_a_calendar_is_skipped(body, reason):
    assert reason in decide(parse_booking(body), MAP).reason
    assert decide(parse_booking(body), MAP).action is Action.SKIP


def test_event_id_is_deterministic_base32hex():
    """Same scheduled event URI -> same id, in Google's alphabet and length limits."""
    uri = "https://api.calendly.com/scheduled_events/ABC"
    eid = event_id_for(uri)
    assert eid == event_id_for(uri) != event_id_for(uri + "D")
    assert 5 <= len(eid) <= 1024
    assert set(eid) <= set("0123456789abcdefghijklmnopqrstuv")


def test_every_delivery_of_one_meeting_shares_the_id():
    """Create, cancel and no-show of one meeting address the same event; group invitees too."""
    ids = {
        decide(parse_booking(webhook(kind, invitee=inv, limit=5)), MAP).event_id
        for kind in ("invitee.created", "invitee.canceled", "invitee_no_show.created")
        for inv in ("A0000001", "B0000002")
    }
    assert len(ids) == 1


def test_cancel_without_details_locates():
    body = webhook("invitee.canceled")
    del body["payload"]["scheduled_event"]
    decision = decide(parse_booking(body), MAP)
    assert decision.action is Action.LOCATE
    assert decision.event_id == event_id_for(body["payload"]["event"])


def test_create_without_details_is_refused():
    body = webhook()
    del body["payload"]["scheduled_event"]
    with pytest.raises(InputError, match=r"^payload\.scheduled_event: missing"):
        decide(parse_booking(body), MAP)


def test_decision_is_frozen():
    decision = decide(parse_booking(webhook()), MAP)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.team = "other"  # type: ignore[misc]
