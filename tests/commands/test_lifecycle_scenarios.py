"""Every booking lifecycle, in any delivery order: scenarios on the fake Google server, through
the CLI. The property test over generated histories is in test_lifecycle_property.py."""

from __future__ import annotations

import json

import pytest

from builders import API, webhook
from calsync.core.decide import event_id_for
from conftest import GLOBAL
from histories import Action, deliveries, meetings


def event_id(meeting: str) -> str:
    return event_id_for(f"{API}/scheduled_events/{meeting}")


def live(fake) -> dict[str, dict]:
    return {e["id"]: e for e in fake.live_events(GLOBAL)}


# -- scenarios against the fake Google server, through the CLI ------------------------------

RESCHEDULE = [Action("book", "M1", "A"), Action("reschedule", "M1", "A", target="M2")]
GROUP_FLOW = [
    Action("book", "G1", "A"),
    Action("book", "G1", "B"),
    Action("book", "G1", "C"),
    Action("cancel", "G1", "B"),
]


@pytest.mark.parametrize(
    ("name", "actions", "order", "expect"),
    [
        ("reschedule, cancel delivered first", RESCHEDULE, [0, 1, 2], {"M2": "Rescheduled from"}),
        ("reschedule, create delivered first", RESCHEDULE, [0, 2, 1], {"M2": "Rescheduled from"}),
        ("reschedule, all reversed", RESCHEDULE, [2, 1, 0], {"M2": "Rescheduled from"}),
        ("group: joins and a leave", GROUP_FLOW, [0, 1, 2, 3], {"G1": "Invitees: 2 of 5"}),
        ("group: leave before its join", GROUP_FLOW, [3, 2, 1, 0], {"G1": "Invitees: 2 of 5"}),
        (
            "group: everyone leaves",
            [Action("book", "G1", "A"), Action("cancel", "G1", "A")],
            [1, 0],
            {},
        ),
        (
            # a deleted event keeps only its id: unverified, nothing says the join is newer
            # (test_emptied_group_meeting_comes_back_when_verified covers the verified case)
            "group: empty, then a new join, unverified",
            [Action("book", "G1", "A"), Action("cancel", "G1", "A"), Action("book", "G1", "B")],
            [0, 1, 2],
            {},
        ),
        (
            "group: host cancels, late join",
            [Action("book", "G1", "A"), Action("book", "G1", "B"), Action("host_cancel", "G1")],
            [2, 3, 1, 0],
            {},
        ),
        (
            "one-on-one cancel before create",
            [Action("book", "M1", "A"), Action("cancel", "M1", "A")],
            [1, 0],
            {},
        ),
        (
            "no-show marks the title",
            [Action("book", "M1", "A"), Action("no_show", "M1", "A")],
            [0, 1],
            {"M1": "[No-show] Global Support Call"},
        ),
        (
            "no-show undone, delivered reversed",
            [
                Action("book", "M1", "A"),
                Action("no_show", "M1", "A"),
                Action("undo_no_show", "M1", "A"),
            ],
            [2, 1, 0],
            {"M1": "Global Support Call"},
        ),
    ],
)
def test_scenario(sync, fake_google, name, actions, order, expect):
    """Deliveries in the given order (then all replayed) leave exactly the expected events."""
    bodies = deliveries(actions, meetings())
    for i in order:
        result = sync(bodies[i])
        assert result.code == 0, (name, result.err)
    shown = live(fake_google)
    assert set(shown) == {event_id(m) for m in expect}, name
    for meeting, text in expect.items():
        event = shown[event_id(meeting)]
        assert text in event["summary"] + "\n" + event["description"], (name, event)
    before = json.dumps(fake_google.events(GLOBAL, include_deleted=True), sort_keys=True)
    for body in bodies:  # every rerun of a delivery is a no-op
        assert sync(body).report["action"] == "unchanged", name
    assert json.dumps(fake_google.events(GLOBAL, include_deleted=True), sort_keys=True) == before


def test_reschedule_links_to_the_old_booking(sync, fake_google):
    bodies = deliveries(RESCHEDULE, meetings())
    for body in bodies:
        sync(body)
    [event] = fake_google.live_events(GLOBAL)
    old = f"{API}/scheduled_events/M1"
    assert f"Rescheduled from: {old}" in event["description"]
    assert event["extendedProperties"]["private"]["calendly_rescheduled_from"] == old


def test_round_robin_and_collective_hosts_are_shown(sync, fake_google):
    body = webhook(hosts=("first.host@example.com", "second.host@example.com"))
    sync(body)
    [event] = fake_google.live_events(GLOBAL)
    assert "Hosts: first.host, second.host" in event["description"]


def test_stale_delivery_never_overwrites_newer(sync, fake_google):
    """An older delivery with other details loses to the newer one already applied."""
    from datetime import timedelta

    from builders import T0

    newer = webhook(name="Global Support Call (renamed)", at=T0 + timedelta(hours=1))
    older = webhook(name="Global Support Call", at=T0)
    assert sync(newer).report["action"] == "created"
    stale = sync(older)
    assert stale.report["action"] == "unchanged"
    assert "older delivery" in stale.report["reason"]
    [event] = fake_google.live_events(GLOBAL)
    assert event["summary"] == "Global Support Call (renamed)"


def test_deleted_event_without_state_is_not_resurrected(google_env, tmp_path, sleeps):
    """Google only guarantees the id of a deleted event: without state, stay deleted."""
    from conftest import run_cli
    from fakes.google_server import FakeGoogle, write_service_account_file

    with FakeGoogle(strip_deleted=True) as fake:
        fake.add_calendar(GLOBAL)
        key = write_service_account_file(tmp_path / "k.json", token_uri=fake.token_uri)
        env = {
            "GOOGLE_APPLICATION_CREDENTIALS": str(key),
            "GOOGLE_CALENDAR_API_ENDPOINT": fake.base_url,
        }
        bodies = deliveries([Action("book", "M1", "A"), Action("cancel", "M1", "A")], meetings())
        for body in (bodies[1], bodies[0]):
            path = tmp_path / "p.json"
            path.write_text(json.dumps(body))
            result = run_cli(["sync", "--payload", str(path)], env)
            assert result.code == 0, result.err
        assert "without verification" in result.report["reason"]
        assert fake.live_events(GLOBAL) == []
