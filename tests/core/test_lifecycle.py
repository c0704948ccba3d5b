"""lifecycle: merge(), identity(), plan() on every branch, _same(). Table-driven, pure.

The state's own encoding (extended properties, marks, limits) is tested in test_state.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from builders import EVENT_URI, T0, booking, scheduled_event
from calsync.core.booking import Kind
from calsync.core.decide import Action, Decision
from calsync.core.lifecycle import (
    Op,
    _instant,
    _same,
    identity,
    merge,
    plan,
    rescheduled_from,
)
from calsync.core.state import MAX_VALUE, State, compact, invitee_key, stamp
from calsync.core.team_map import Display

AT = stamp(T0)
EARLIER = stamp(T0 - timedelta(minutes=1))
LATER = stamp(T0 + timedelta(minutes=1))
DECISION = Decision(Action.SYNC, "routed", "global", "c_global@x", "evid", Display())
PRIVATE = Decision(
    Action.SYNC, "routed", "global", "c_global@x", "evid", Display(visibility="private")
)
GROUP = {"invitee_limit": 5, "active_invitees": 2}
INVITEE = f"{EVENT_URI}/invitees/INV00000000001"  # builders.booking()'s invitee
DELETED = {"id": "evid", "status": "cancelled"}  # all Google keeps of a deleted event


def mark(flag: bool, at: str, uri: str = INVITEE) -> tuple[str, bool, str]:
    return invitee_key(uri), flag, compact(at)


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


@pytest.mark.parametrize(
    ("old_marks", "kind", "no_show", "expect"),
    [
        ((), Kind.NO_SHOW_CREATED, True, (mark(True, AT),)),
        ((), Kind.NO_SHOW_DELETED, False, (mark(False, AT),)),
        ((), Kind.CREATED, False, ()),  # no mark, nothing recorded
        ((), Kind.CREATED, True, (mark(True, AT),)),  # a payload that says no_show
        ((mark(True, LATER),), Kind.NO_SHOW_DELETED, False, (mark(True, LATER),)),  # older
        ((mark(True, EARLIER),), Kind.NO_SHOW_DELETED, False, (mark(False, AT),)),  # newer
        ((mark(True, AT),), Kind.NO_SHOW_DELETED, False, (mark(False, AT),)),  # same time
        ((mark(True, AT),), Kind.CREATED, False, (mark(True, AT),)),  # not a mark: kept
        (
            (mark(True, AT, "https://a/other"),),
            Kind.NO_SHOW_CREATED,
            True,
            tuple(sorted((mark(True, AT), mark(True, AT, "https://a/other")))),
        ),
    ],
)
def test_merge_no_show_marks(old_marks, kind, no_show, expect):
    old = State(EARLIER, "active", 1, old_marks)
    state, _ = merged(old, kind=kind, no_show=no_show)
    assert state.marks == expect


def test_merge_no_show_needs_an_invitee_and_keeps_the_older_time():
    """A mark without an invitee URI records nothing; a mark never moves `at` back."""
    state, _ = merged(State(), kind=Kind.NO_SHOW_CREATED, no_show=True, invitee_uri="")
    assert state.marks == ()
    state, newer = merged(State(LATER, "active", 1), kind=Kind.NO_SHOW_CREATED, no_show=True)
    assert (state.at, newer, state.marks) == (LATER, False, (mark(True, AT),))


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


@pytest.mark.parametrize(
    ("size", "kept"), [(MAX_VALUE, True), (MAX_VALUE + 1, False), (5000, False)]
)
def test_identity_drops_values_google_would_truncate(size, kept):
    """A value longer than MAX_VALUE is left out, never written cut."""
    event_type = "https://api.calendly.com/event_types/" + "x" * (size - 37)
    assert len(event_type) == size
    long_type = booking(event=scheduled_event(event_type=event_type))
    assert ("calendly_event_type" in identity(long_type, {}, group=False)) is kept
    recorded = identity(booking(), {"calendly_rescheduled_from": "R" * size}, group=True)
    assert ("calendly_rescheduled_from" in recorded) is kept
    assert all(len(v) <= MAX_VALUE for v in recorded.values())


# -- plan -----------------------------------------------------------------------------------


def stored(b=None, *, decision=DECISION, **props):
    """The live calendar event a plan for `b` would have written, with `props` changed."""
    p = plan(None, b or booking(), decision)
    assert p.op is Op.INSERT
    body = {**p.body, "id": "evid", "etag": '"1"'}
    body["extendedProperties"] = {"private": {**body["extendedProperties"]["private"], **props}}
    return body


def later(minutes: int = 1, **changes):
    return {"created_at": T0 + timedelta(minutes=minutes), **changes}


def test_plan_insert_new_booking():
    p = plan(None, booking(), DECISION)
    assert (p.op, p.action, p.reason) == (Op.INSERT, "created", "booked in Calendly")
    assert p.next_generation is False
    assert p.body["status"] == "confirmed"
    assert p.body["summary"] == "Global Support Call"
    assert p.body["visibility"] == "default"
    props = p.body["extendedProperties"]["private"]
    assert (props["cg_at"], props["cg_meeting"], props["cg_active"]) == (AT, "active", "1")
    assert plan(None, booking(), PRIVATE).body["visibility"] == "private"


@pytest.mark.parametrize("verified", [False, True])
def test_plan_insert_is_the_same_verified_or_not(verified):
    assert plan(None, booking(), DECISION, verified=verified) == plan(None, booking(), DECISION)


def test_plan_burn_cancel_before_booking_unverified():
    """Unverified, a cancel that arrives first reserves the id (insert then delete)."""
    p = plan(None, booking(Kind.CANCELED), DECISION)
    assert (p.op, p.action) == (Op.BURN, "deleted")
    assert "reserved" in p.reason
    assert p.body["extendedProperties"]["private"]["cg_meeting"] == "canceled"
    assert p.body["start"] == {"dateTime": "2026-12-04T15:00:00Z", "timeZone": "UTC"}
    assert "status" not in p.body


@pytest.mark.parametrize(
    ("b", "verified", "op"),
    [
        (booking(Kind.CANCELED), False, Op.BURN),
        (booking(Kind.CANCELED), True, Op.NOOP),
        (booking(event=scheduled_event(status="canceled")), True, Op.NOOP),
        (booking(event=scheduled_event(**{**GROUP, "active_invitees": 0})), False, Op.BURN),
        (booking(event=scheduled_event(**{**GROUP, "active_invitees": 0})), True, Op.NOOP),
    ],
)
def test_plan_not_visible_and_not_on_the_calendar(b, verified, op):
    """Verified, Calendly itself says the meeting is not shown: no write at all."""
    p = plan(None, b, DECISION, verified=verified)
    assert p.op is op
    if op is Op.NOOP:
        assert (p.action, p.reason, p.body) == (
            "unchanged",
            "canceled before it reached the calendar",
            {},
        )


def test_plan_nothing_to_write_without_details():
    mark_only = booking(Kind.NO_SHOW_CREATED, no_show=True, scheduled_event=None)
    p = plan(None, mark_only, DECISION)
    assert (p.op, p.action, p.body) == (Op.NOOP, "unchanged", {})
    assert p.reason == "not on the calendar and the payload has no details"


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
            stored(),
            booking(event=scheduled_event(status="canceled"), **later()),
            Op.DELETE,
            "deleted",
            "meeting canceled in Calendly",
        ),
        (  # canceled is terminal: even an older delivery that says so removes it
            stored(booking(**later(5))),
            booking(event=scheduled_event(status="canceled")),
            Op.DELETE,
            "deleted",
            "meeting canceled in Calendly",
        ),
        (
            stored(booking(event=scheduled_event(**GROUP))),
            booking(
                Kind.CANCELED,
                event=scheduled_event(invitee_limit=5, active_invitees=0),
                **later(),
            ),
            Op.DELETE,
            "deleted",
            "no active invitee",
        ),
        (
            stored(),
            booking(event=scheduled_event(name="Moved"), **later()),
            Op.PATCH,
            "updated",
            "calendar event differed from the booking",
        ),
        (
            stored(),
            booking(event=scheduled_event(start=T0 + timedelta(days=4)), **later()),
            Op.PATCH,
            "updated",
            "calendar event differed from the booking",
        ),
    ],
)
def test_plan_against_a_live_event(existing, b, op, action, reason):
    p = plan(existing, b, DECISION)
    assert (p.op, p.action, p.reason) == (op, action, reason)
    assert p.next_generation is False
    if op is Op.DELETE:
        assert p.body == {}  # one conditional delete: nothing patched before it
    if op is Op.PATCH:
        assert "status" not in p.body


@pytest.mark.parametrize(
    ("b", "verified", "op", "reason"),
    [
        (booking(), False, Op.NOOP, "without verification"),
        (booking(**later(60)), False, Op.NOOP, "without verification"),  # newer: still no
        (booking(), True, Op.INSERT, "restored: Calendly says the meeting is active again"),
        (booking(Kind.CANCELED), True, Op.NOOP, "already removed from the calendar"),
        (booking(Kind.CANCELED), False, Op.NOOP, "already removed from the calendar"),
        (
            booking(event=scheduled_event(**{**GROUP, "active_invitees": 0})),
            True,
            Op.NOOP,
            "already removed from the calendar",
        ),
        (
            booking(Kind.NO_SHOW_CREATED, no_show=True, scheduled_event=None),
            True,
            Op.NOOP,
            "already removed from the calendar",
        ),
    ],
)
def test_plan_against_a_deleted_event(b, verified, op, reason):
    """A deleted event is id and status only; only a verified, visible meeting comes back,
    as a new event under the next generation's id."""
    p = plan(DELETED, b, DECISION, verified=verified)
    assert (p.op, p.next_generation) == (op, op is Op.INSERT)
    assert reason in p.reason
    if not verified and b.kind is Kind.CREATED:
        assert "set CALENDLY_TOKEN" in p.reason
    if op is Op.INSERT:
        assert p.action == "created"
        assert p.body["status"] == "confirmed"
        assert p.body["summary"] == "Global Support Call"
        assert p.body["extendedProperties"]["private"]["cg_at"] == AT


def test_plan_never_reads_the_props_of_a_deleted_event():
    """Whatever a deleted event still carries (a lenient server) is not trusted."""
    leftover = {**stored(cg_meeting="canceled", cg_at=LATER), "status": "cancelled"}
    assert plan(leftover, booking(), DECISION) == plan(DELETED, booking(), DECISION)
    restored = plan(leftover, booking(), DECISION, verified=True)
    assert restored == plan(DELETED, booking(), DECISION, verified=True)
    assert restored.op is Op.INSERT


def test_plan_restores_a_group_meeting_from_the_payload_alone():
    group = booking(event=scheduled_event(**GROUP), **later())
    p = plan(DELETED, group, DECISION, verified=True)
    assert p.op is Op.INSERT
    props = p.body["extendedProperties"]["private"]
    assert (props["cg_group"], props["cg_active"]) == ("1", "2")
    assert "Invitees: 2 of 5" in p.body["description"]


def test_plan_older_delivery_keeps_the_newer_details():
    newer = booking(event=scheduled_event(name="New name"), **later())
    existing = stored(newer)
    p = plan(existing, booking(), DECISION)  # the older delivery carries the old name
    assert p.op is Op.NOOP
    # ...but an older no-show mark is still recorded, on the newer details
    mark_it = booking(Kind.NO_SHOW_CREATED, no_show=True)
    p = plan(existing, mark_it, DECISION)
    assert p.op is Op.PATCH
    assert p.body["summary"] == "[No-show] New name"
    props = p.body["extendedProperties"]["private"]
    assert props["cg_at"] == LATER
    assert props["cg_ns0"] == f"{invitee_key(INVITEE)}:1:{compact(AT)}"


def test_plan_older_delivery_on_a_private_team_writes_nothing():
    """The team's visibility is not the meeting's detail: an older delivery does not differ."""
    existing = stored(booking(**later()), decision=PRIVATE)
    assert existing["visibility"] == "private"
    p = plan(existing, booking(), PRIVATE)
    assert (p.op, p.reason) == (Op.NOOP, "an older delivery; the calendar holds newer data")
    # the team switched back to the default: applied, even by an older delivery
    back = plan(existing, booking(), DECISION)
    assert (back.op, back.body["visibility"]) == (Op.PATCH, "default")


def test_plan_no_show_prefix_and_rescheduled_line():
    moved = booking(old_invitee="https://a/scheduled_events/OLD/invitees/I")
    p = plan(None, moved, DECISION)
    assert p.body["description"].startswith("Rescheduled from: https://a/scheduled_events/OLD\n")
    p = plan(stored(), booking(Kind.NO_SHOW_CREATED, no_show=True), DECISION)
    assert p.body["summary"] == "[No-show] Global Support Call"
    undo = booking(Kind.NO_SHOW_DELETED, **later())
    p2 = plan({**p.body, "status": "confirmed"}, undo, DECISION)
    assert p2.body["summary"] == "Global Support Call"
    assert plan({**p2.body, "status": "confirmed"}, undo, DECISION).op is Op.NOOP


def test_plan_group_flag_comes_from_the_record_without_details():
    group_event = stored(booking(event=scheduled_event(**GROUP)))
    leave = booking(Kind.CANCELED, scheduled_event=None, **later())
    p = plan(group_event, leave, DECISION)
    assert p.op is Op.NOOP  # one invitee's cancel does not end a group meeting
    assert plan(stored(), leave, DECISION).op is Op.DELETE


def test_plan_takes_over_a_live_event_without_state():
    existing = {"id": "x", "status": "confirmed", "summary": "by hand"}
    p = plan(existing, booking(), DECISION)
    assert (p.op, p.action) == (Op.PATCH, "updated")
    assert p.body["summary"] == "Global Support Call"
    assert p.body["extendedProperties"]["private"]["cg_at"] == AT


def test_plan_ignores_legacy_no_show_keys():
    """Old `ns.<invitee>` marks on a live event neither count nor get rewritten."""
    existing = stored(**{"ns.INV00000000001": f"1@{AT}"})
    p = plan(existing, booking(), DECISION)
    assert p.op is Op.NOOP
    assert existing["summary"] == "Global Support Call"


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
    # visibility: missing means the default
    assert _same({**body, "visibility": None}, {**body, "visibility": "default"}, props)
    assert not _same({**body, "visibility": "private"}, body, props)
    assert not _same(body, {**body, "visibility": "private"}, props)


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
