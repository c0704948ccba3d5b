"""Google's extended-property limits hold whatever the meeting's size (the fake answers 400
beyond them: key <= 44 characters, value <= 1,024, at most 300 properties, 32 kB per event)."""

from __future__ import annotations

from builders import API, T0, webhook
from calsync.core.state import MAX_MARKS, State, compact, invitee_key, stamp
from conftest import GLOBAL

GROUP = {"event": "GBIG0000001", "limit": 400, "name": "Support Office Hours"}


def _invitee(i: int) -> str:
    return f"{API}/scheduled_events/{GROUP['event']}/invitees/INV{i:05d}"


def test_350_invitees_with_no_shows_stay_within_the_limits(sync, fake_google):
    """A group meeting with 349 recorded no-show marks takes the 350th; a re-delivery of it
    writes nothing (no endless re-patching)."""
    first = webhook(invitee="INV00000", active=350, **GROUP)
    assert sync(first).report["action"] == "created"
    [event] = fake_google.live_events(GLOBAL)
    private = event["extendedProperties"]["private"]
    state = State.from_props(private)
    assert state is not None
    for i in range(1, 350):
        state = state.with_mark(_invitee(i), i % 3 != 0, stamp(T0))
    seeded = {k: v for k, v in private.items() if not k.startswith("cg_ns")} | state.props()
    fake_google.seed_event(GLOBAL, {**event, "extendedProperties": {"private": seeded}})

    mark = webhook("invitee_no_show.created", invitee="INV00350", active=350, no_show=True, **GROUP)
    marked = sync(mark)
    assert (marked.code, marked.report["action"]) == (0, "updated"), marked.err
    [event] = fake_google.live_events(GLOBAL)
    props = event["extendedProperties"]["private"]
    assert len(props) <= 300
    assert all(len(k) <= 44 and len(v) <= 1024 for k, v in props.items())
    assert sum(len(k.encode()) + len(v.encode()) for k, v in props.items()) <= 32 * 1024
    recorded = State.from_props(props)
    assert recorded is not None
    assert len(recorded.marks) == 350
    assert event["summary"].startswith("[234 no-shows] ")  # 233 seeded + the new one

    fake_google.reset_log()
    again = sync(mark)
    assert (again.code, again.report["action"]) == (0, "unchanged")
    assert "patch" not in fake_google.kinds()
    assert "update" not in fake_google.kinds()


def test_marks_beyond_capacity_keep_the_newest():
    """More marks than fit: the oldest are dropped, the props still fit."""
    ats = [stamp(T0.replace(microsecond=i)) for i in range(MAX_MARKS + 50)]
    # full to the cap as a store would hold it (with_mark ~900 times over would cost ~0.4 s)
    full = sorted((invitee_key(_invitee(i)), True, compact(ats[i])) for i in range(MAX_MARKS))
    state = State(at="x", marks=tuple(full))
    for i in range(MAX_MARKS, MAX_MARKS + 50):
        state = state.with_mark(_invitee(i), True, ats[i])
    assert len(state.marks) == MAX_MARKS
    props = state.props()
    assert len(props) <= 300
    assert all(len(v) <= 1024 for v in props.values())
    assert sum(len(k) + len(v) for k, v in props.items()) <= 32 * 1024
