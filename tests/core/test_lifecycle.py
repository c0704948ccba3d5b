"""lifecycle: State <-> extended properties, merge(), plan(), _same(). Table-driven, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from builders import T0, booking, scheduled_event
from calsync.core.booking import Kind
from calsync.core.decide import Action, Decision
from calsync.core.lifecycle import (
    Op,
    State,
    _instant,
    _same,
    identity,
    merge,
    plan,
    rescheduled_from,
    stamp,
)
from calsync.core.team_map import Display

AT = stamp(T0)
EARLIER = stamp(T0 - timedelta(minutes=1))
LATER = stamp(T0 + timedelta(minutes=1))
DECISION = Decision(Action.SYNC, "routed", "global", "c_global@x", "evid", Display())
GROUP = {"invitee_limit": 5, "active_invitees": 2}


# -- State <-> extended properties --------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "props"),
    [
        (State(), {"cg_at": "", "cg_meeting": "active", "cg_active": ""}),
        (State(AT, "canceled", 0), {"cg_at": AT, "cg_meeting": "canceled", "cg_active": "0"}),
        (
            State(AT, "active", 3, (("I1", True, AT), ("I2", False, LATER))),
            {
                "cg_at": AT,
                "cg_meeting": "active",
                "cg_active": "3",
                "ns.I1": f"1@{AT}",
                "ns.I2": f"0@{LATER}",
            },
        ),
    ],
)
def test_state_round_trips(state, props):
    assert state.props() == props
    assert State.from_props(props) == state


@pytest.mark.parametrize(
    ("props", "expect"),
    [
        ({}, None),
        ({"cg_at": AT, "cg_meeting": "active"}, None),  # one key missing
        ({"cg_at": AT, "cg_meeting": "active", "cg_active": 1}, None),  # not a string
        ({"cg_at": None, "cg_meeting": "active", "cg_active": "1"}, None),
        ({"cg_at": AT, "cg_meeting": "active", "cg_active": "x"}, State(AT, "active", None)),
        ({"cg_at": AT, "cg_meeting": "active", "cg_active": "-1"}, State(AT, "active", None)),
        (
            {"cg_at": "", "cg_meeting": "active", "cg_active": "", "ns.B": "1@t", "ns.A": "0@u"},
            State("", "active", None, (("A", False, "u"), ("B", True, "t"))),  # sorted
        ),
        (  # not ours or malformed: ignored
            {"cg_at": "", "cg_meeting": "active", "cg_active": "", "ns.A": "1", "nsB": "1@t"},
            State(),
        ),
        ({"cg_at": "", "cg_meeting": "active", "cg_active": "", "ns.A": 1}, State()),
        (
            {"cg_at": "", "cg_meeting": "active", "cg_active": "", "ns.A": "yes@t@u"},
            State(no_shows=(("A", False, "t@u"),)),
        ),
    ],
)
def test_state_from_props(props, expect):
    assert State.from_props(props) == expect


@pytest.mark.parametrize(
    ("state", "visible"),
    [
        (State(), True),  # unknown count: shown
        (State(active=1), True),
        (State(active=0), False),
        (State(meeting="canceled"), False),
        (State(meeting="canceled", active=2), False),
    ],
)
def test_state_visible(state, visible):
    assert state.visible is visible


@pytest.mark.parametrize(
    ("moment", "expect"),
    [
        (None, ""),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000000Z"),
        (
            datetime(2026, 1, 2, 3, 4, 5, 7, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-02T01:04:05.000007Z",
        ),
    ],
)
def test_stamp(moment, expect):
    assert stamp(moment) == expect


# -- merge -------------------------------------------------------------------------------


def merged(old: State, *, kind=Kind.CREATED, at=T0, group=False, event=None, **changes):
    meeting = scheduled_event(**(event or {}))
    b = booking(kind, event=meeting, created_at=at, **changes)
    return merge(old, b, group=group)


@pytest.mark.parametrize(
    ("old", "kwargs", "expect"),
    [
        # a first booking
        (State(), {}, (State(AT, "active", 1), True)),
        # the same delivery again: still the newest (>=), same state
        (State(AT, "active", 1), {}, (State(AT, "active", 1), True)),
        # an older delivery keeps the newer time and count
        (
            State(LATER, "active", 2),
            {"group": True, "event": GROUP},
            (State(LATER, "active", 2), False),
        ),
        # a newer one takes its count
        (
            State(EARLIER, "active", 5),
            {"group": True, "event": GROUP},
            (State(AT, "active", 2), True),
        ),
        # one-on-one cancel ends the meeting, whatever the order
        (State(LATER, "active", 1), {"kind": Kind.CANCELED}, (State(LATER, "canceled", 0), False)),
        (State(), {"kind": Kind.CANCELED}, (State(AT, "canceled", 0), True)),
        # a group invitee's cancel does not end the meeting; its count is taken when newest
        (
            State(EARLIER, "active", 3),
            {"kind": Kind.CANCELED, "group": True, "event": GROUP},
            (State(AT, "active", 2), True),
        ),
        # canceled is terminal: a newer active snapshot does not revive it
        (State(EARLIER, "canceled", 0), {}, (State(AT, "canceled", 1), True)),
        # a canceled meeting status cancels, even from an older delivery
        (
            State(LATER, "active", 1),
            {"event": {"status": "canceled"}},
            (State(LATER, "canceled", 1), False),
        ),
        # count unknown in the payload: one-on-one means one, group keeps the recorded count
        (
            State(EARLIER, "active", 4),
            {"event": {"active_invitees": None}},
            (State(AT, "active", 1), True),
        ),
        (
            State(EARLIER, "active", 4),
            {"group": True, "event": {"active_invitees": None, "invitee_limit": 5}},
            (State(AT, "active", 4), True),
        ),
    ],
)
def test_merge(old, kwargs, expect):
    assert merged(old, **kwargs) == expect


def test_merge_without_details_keeps_time_and_is_not_newer():
    b = booking(Kind.CANCELED, scheduled_event=None, created_at=T0 + timedelta(hours=1))
    assert merge(State(AT, "active", 1), b, group=False) == (State(AT, "canceled", 0), False)
    assert merge(State(AT, "active", 3), b, group=True) == (State(AT, "active", 3), False)


NS = "INV00000000001"


@pytest.mark.parametrize(
    ("old_marks", "kind", "no_show", "at", "expect"),
    [
        ((), Kind.NO_SHOW_CREATED, True, T0, ((NS, True, AT),)),
        ((), Kind.NO_SHOW_DELETED, False, T0, ((NS, False, AT),)),
        ((), Kind.CREATED, False, T0, ()),  # no mark, nothing recorded
        ((), Kind.CREATED, True, T0, ((NS, True, AT),)),  # a payload that says no_show
        (((NS, True, LATER),), Kind.NO_SHOW_DELETED, False, T0, ((NS, True, LATER),)),  # older
        (((NS, True, EARLIER),), Kind.NO_SHOW_DELETED, False, T0, ((NS, False, AT),)),  # newer
        (((NS, True, AT),), Kind.NO_SHOW_DELETED, False, T0, ((NS, False, AT),)),  # same time
        (((NS, True, AT),), Kind.CREATED, False, T0, ((NS, True, AT),)),  # not a mark: kept
        (
            (("OTHER", True, AT),),
            Kind.NO_SHOW_CREATED,
            True,
            T0,
            ((NS, True, AT), ("OTHER", True, AT)),  # sorted by invitee
        ),
    ],
)
def test_merge_no_show_marks(old_marks, kind, no_show, at, expect):
    old = State(EARLIER, "active", 1, old_marks)
    state, _ = merged(old, kind=kind, at=at, no_show=no_show)
    assert state.no_shows == expect


def test_merge_no_show_key_is_the_last_uri_segment_cut_to_40():
    long = "X" * 60
    state, _ = merged(State(), kind=Kind.NO_SHOW_CREATED, no_show=True, invitee_uri=f"a/b/{long}/")
    assert state.no_shows == (("X" * 40, True, AT),)
    state, _ = merged(State(), kind=Kind.NO_SHOW_CREATED, no_show=True, invitee_uri="")
    assert state.no_shows == ()


# -- identity, rescheduled_from -------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "kind", "expect"),
    [
        (
            {"old_invitee": "https://a/scheduled_events/OLD/invitees/I"},
            Kind.CREATED,
            "https://a/scheduled_events/OLD",
        ),
        (
            {"old_invitee": "https://a/scheduled_events/OLD"},
            Kind.CREATED,
            "https://a/scheduled_events/OLD",
        ),
        ({"old_invitee": ""}, Kind.CREATED, ""),
        ({"old_invitee": "https://a/scheduled_events/OLD/invitees/I"}, Kind.CANCELED, ""),
    ],
)
def test_rescheduled_from(changes, kind, expect):
    assert rescheduled_from(booking(kind, **changes)) == expect


def test_identity():
    moved = {"old_invitee": "https://a/scheduled_events/OLD/invitees/I"}
    b = booking(**moved)
    assert identity(b, {}, group=False) == {
        "calendly_event": b.event_uri,
        "calendly_event_type": b.scheduled_event.event_type,
        "cg_group": "0",
        "calendly_rescheduled_from": "https://a/scheduled_events/OLD",
    }
    # a group gathers many bookings: not per-invitee, but what was recorded stays
    assert "calendly_rescheduled_from" not in identity(b, {}, group=True)
    kept = identity(booking(), {"calendly_rescheduled_from": "R"}, group=True)
    assert kept["calendly_rescheduled_from"] == "R"
    assert kept["cg_group"] == "1"
    bare = booking(event=scheduled_event(event_type=""))
    assert "calendly_event_type" not in identity(bare, {}, group=False)
    assert "calendly_event_type" not in identity(booking(scheduled_event=None), {}, group=False)


# -- plan -----------------------------------------------------------------------------------


def stored(b=None, *, status="confirmed", **props):
    """The calendar event a plan for `b` would have written, with `props` changed."""
    p = plan(None, b or booking(), DECISION)
    body = dict(p.body)
    body["status"] = status
    body["extendedProperties"] = {"private": {**body["extendedProperties"]["private"], **props}}
    return body


def test_plan_insert_new_booking():
    p = plan(None, booking(), DECISION)
    assert (p.op, p.action, p.reason) == (Op.INSERT, "created", "booked in Calendly")
    assert p.body["status"] == "confirmed"
    assert p.body["summary"] == "Global Support Call"
    props = p.body["extendedProperties"]["private"]
    assert props["cg_at"] == AT
    assert props["cg_meeting"] == "active"
    assert props["cg_active"] == "1"


def test_plan_burn_cancel_before_booking():
    p = plan(None, booking(Kind.CANCELED), DECISION)
    assert (p.op, p.action) == (Op.BURN, "deleted")
    assert "reserved" in p.reason
    assert p.body["extendedProperties"]["private"]["cg_meeting"] == "canceled"
    assert "status" not in p.body


def test_plan_nothing_to_write_without_details():
    p = plan(None, booking(Kind.CANCELED, scheduled_event=None), DECISION)
    assert (p.op, p.action, p.body) == (Op.NOOP, "unchanged", {})


@pytest.mark.parametrize(
    ("existing", "b", "op", "action", "reason"),
    [
        (stored(), booking(), Op.NOOP, "unchanged", "already up to date"),
        (
            stored(),
            booking(created_at=T0 - timedelta(minutes=5)),
            Op.NOOP,
            "unchanged",
            "an older delivery; the calendar holds newer data",
        ),
        (stored(), booking(Kind.CANCELED), Op.DELETE, "deleted", "meeting canceled in Calendly"),
        (
            stored(booking(event=scheduled_event(**GROUP))),
            booking(
                Kind.CANCELED,
                event=scheduled_event(invitee_limit=5, active_invitees=0),
                created_at=T0 + timedelta(minutes=1),
            ),
            Op.DELETE,
            "deleted",
            "no active invitee",
        ),
        (
            stored(),
            booking(event=scheduled_event(name="Moved"), created_at=T0 + timedelta(minutes=1)),
            Op.PATCH,
            "updated",
            "calendar event differed from the booking",
        ),
        (
            stored(status="cancelled", cg_meeting="canceled", cg_active="0"),
            booking(Kind.CANCELED),
            Op.NOOP,
            "unchanged",
            "already removed from the calendar",
        ),
        (
            stored(status="cancelled", cg_meeting="canceled", cg_active="0"),
            booking(Kind.CANCELED, created_at=T0 + timedelta(minutes=1)),
            Op.PATCH,
            "unchanged",
            "already removed; recorded the newer state",
        ),
        (  # a group meeting deleted when empty, then a new join: restored
            stored(booking(event=scheduled_event(**GROUP)), status="cancelled", cg_active="0"),
            booking(event=scheduled_event(**GROUP), created_at=T0 + timedelta(minutes=1)),
            Op.PATCH,
            "created",
            "restored: the meeting is active again",
        ),
    ],
)
def test_plan_against_the_calendar(existing, b, op, action, reason):
    p = plan(existing, b, DECISION)
    assert (p.op, p.action, p.reason) == (op, action, reason)
    if op is Op.PATCH and action == "created":
        assert p.body["status"] == "confirmed"
    if reason.startswith("already removed; recorded"):
        assert set(p.body) == {"extendedProperties"}
    if op is Op.DELETE:
        assert set(p.body) == {"extendedProperties"}


def test_plan_older_delivery_keeps_the_newer_details():
    newer = booking(event=scheduled_event(name="New name"), created_at=T0 + timedelta(minutes=1))
    existing = stored(newer)
    p = plan(existing, booking(), DECISION)  # the older delivery carries the old name
    assert p.op is Op.NOOP
    # ...but an older no-show mark is still recorded, on the newer details
    mark = booking(Kind.NO_SHOW_CREATED, no_show=True)
    p = plan(existing, mark, DECISION)
    assert p.op is Op.PATCH
    assert p.body["summary"] == "[No-show] New name"
    assert p.body["extendedProperties"]["private"]["cg_at"] == LATER


def test_plan_no_show_prefix_and_rescheduled_line():
    moved = booking(old_invitee="https://a/scheduled_events/OLD/invitees/I")
    p = plan(None, moved, DECISION)
    assert p.body["description"].startswith("Rescheduled from: https://a/scheduled_events/OLD\n")
    p = plan(stored(), booking(Kind.NO_SHOW_CREATED, no_show=True), DECISION)
    assert p.body["summary"] == "[No-show] Global Support Call"
    undo = booking(Kind.NO_SHOW_DELETED, created_at=T0 + timedelta(minutes=1))
    p2 = plan({**p.body, "status": "confirmed"}, undo, DECISION)
    assert p2.body["summary"] == "Global Support Call"


def test_plan_group_flag_comes_from_the_record_without_details():
    group_event = stored(booking(event=scheduled_event(**GROUP)))
    leave = booking(Kind.CANCELED, scheduled_event=None, created_at=T0 + timedelta(minutes=1))
    p = plan(group_event, leave, DECISION)
    assert p.op is Op.NOOP  # one invitee's cancel does not end a group meeting
    one = stored()
    assert plan(one, leave, DECISION).op is Op.DELETE


@pytest.mark.parametrize("verified", [False, True])
def test_plan_deleted_event_without_state(verified):
    existing = {"id": "x", "status": "cancelled"}
    p = plan(existing, booking(), DECISION, verified=verified)
    if verified:
        assert (p.op, p.action) == (Op.PATCH, "created")
    else:
        assert (p.op, p.action) == (Op.NOOP, "unchanged")
        assert "set CALENDLY_TOKEN" in p.reason


def test_plan_takes_over_a_live_event_without_state():
    existing = {"id": "x", "status": "confirmed", "summary": "by hand"}
    p = plan(existing, booking(), DECISION)
    assert (p.op, p.action) == (Op.PATCH, "updated")
    assert p.body["summary"] == "Global Support Call"


# -- _same ------------------------------------------------------------------------------------


def test_same():
    body = stored()
    props = body["extendedProperties"]["private"]
    assert _same(body, body, props)
    assert not _same(body, body, {**props, "cg_active": "9"})
    assert _same(body, body, {**props, "extra": "kept"})  # only the new keys are compared
    for key in ("summary", "description", "location"):
        assert not _same({**body, key: "other"}, body, props), key
        assert _same({**body, key: None}, {**body, key: ""}, props), key
    other_time = {"dateTime": "2026-12-04T16:00:00Z", "timeZone": "UTC"}
    assert not _same({**body, "start": other_time}, body, props)
    assert not _same({**body, "end": other_time}, body, props)
    same_instant = {"dateTime": "2026-12-04T10:00:00-05:00", "timeZone": "America/New_York"}
    assert _same({**body, "start": same_instant}, body, props)
    gone = {**body, "status": "cancelled", "summary": "whatever"}
    assert _same(gone, body, props)  # a deleted event's other fields no longer matter


@pytest.mark.parametrize(
    ("value", "expect"),
    [
        ({"dateTime": "2026-12-04T15:00:00Z"}, datetime(2026, 12, 4, 15, tzinfo=UTC)),
        ({"dateTime": "2026-12-04T10:00:00-05:00"}, datetime(2026, 12, 4, 15, tzinfo=UTC)),
        ({"dateTime": "not a time"}, None),
        ({"dateTime": 5}, None),
        ({"date": "2026-12-04"}, None),
        ("2026-12-04T15:00:00Z", None),
        (None, None),
    ],
)
def test_instant(value, expect):
    assert _instant(value) == expect
