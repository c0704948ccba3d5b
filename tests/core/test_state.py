"""state: the meeting state a live event records, as bounded extended properties. Pure."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from builders import EVENT_URI, T0
from calsync.core.state import (
    MAX_MARK_VALUES,
    MAX_MARKS,
    MAX_VALUE,
    State,
    _pack,
    compact,
    invitee_key,
    stamp,
)

AT = stamp(T0)
LATER = stamp(T0 + timedelta(minutes=1))
EARLIER = stamp(T0 - timedelta(minutes=1))
INV_A = f"{EVENT_URI}/invitees/A"
INV_B = f"{EVENT_URI}/invitees/B"
KEY_A, KEY_B = invitee_key(INV_A), invitee_key(INV_B)
PER_VALUE = (MAX_VALUE + 1) // 26  # marks of 25 characters, a space between: 38 a value
BASE = {"cg_at": AT, "cg_meeting": "active", "cg_active": "1"}


def mark(uri: str, flag: bool, at: str) -> tuple[str, bool, str]:
    return invitee_key(uri), flag, compact(at)


# -- stamp, compact, invitee_key ------------------------------------------------------------


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


@pytest.mark.parametrize(
    ("at", "expect"),
    [
        ("1970-01-01T00:00:00.000000Z", "0" * 14),
        ("1970-01-01T00:00:01.000001Z", format(1_000_001, "014x")),
        (AT, format(int(T0.timestamp()) * 1_000_000, "014x")),
    ],
)
def test_compact(at, expect):
    assert compact(at) == expect
    assert len(compact(at)) == 14


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (EARLIER, AT),
        (AT, LATER),
        ("2026-12-01T15:00:00.000001Z", "2026-12-01T15:00:00.000002Z"),
        ("2026-12-01T15:00:00.999999Z", "2026-12-01T15:00:01.000000Z"),
    ],
)
def test_compact_sorts_like_the_stamp(a, b):
    assert (a < b) == (compact(a) < compact(b)) is True


def test_invitee_key():
    assert len(KEY_A) == 8
    assert set(KEY_A) <= set("0123456789abcdefghijklmnopqrstuv")  # base32hex, lower case
    assert KEY_A != KEY_B
    assert invitee_key(INV_A + "/") == KEY_A  # a trailing slash is the same invitee
    assert "invitees" not in KEY_A  # a hash, not the URI


# -- State <-> extended properties ---------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "props"),
    [
        (State(), {"cg_at": "", "cg_meeting": "active", "cg_active": ""}),
        (State(AT, "canceled", 0), {"cg_at": AT, "cg_meeting": "canceled", "cg_active": "0"}),
        (
            State(AT, "active", 3, ((KEY_A, True, compact(AT)), (KEY_B, False, compact(LATER)))),
            {
                **BASE,
                "cg_active": "3",
                "cg_ns0": f"{KEY_A}:1:{compact(AT)} {KEY_B}:0:{compact(LATER)}",
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
        ({**BASE, "cg_active": 1}, None),  # not a string
        ({**BASE, "cg_at": None}, None),
        ({**BASE, "cg_active": "x"}, State(AT, "active", None)),
        ({**BASE, "cg_active": "-1"}, State(AT, "active", None)),
        ({**BASE, "cg_meeting": "whatever"}, State(AT, "active", 1)),  # only canceled is terminal
        # the old per-invitee keys are not read (nor written): legacy marks are ignored
        ({**BASE, "ns.INV1": f"1@{AT}", "ns.INV2": "0@t"}, State(AT, "active", 1)),
        (
            {**BASE, "cg_ns0": "b:1:2 a:0:1"},
            State(AT, "active", 1, (("a", False, "1"), ("b", True, "2"))),
        ),
        (  # malformed items are skipped, the good ones kept
            {**BASE, "cg_ns0": "a:1:5 b:2:5 c:1: :1:5 d e:0:7"},
            State(AT, "active", 1, (("a", True, "5"), ("e", False, "7"))),
        ),
        (
            {**BASE, "cg_ns0": "a:1:5", "cg_ns1": "b:0:6"},
            State(AT, "active", 1, (("a", True, "5"), ("b", False, "6"))),
        ),
        ({**BASE, "cg_ns1": "b:0:6"}, State(AT, "active", 1)),  # read from cg_ns0 on, no gaps
        ({**BASE, "cg_ns0": 5, "cg_ns1": "b:0:6"}, State(AT, "active", 1)),  # not a string: stop
        (
            {**BASE, "cg_ns0": "a:1:5", "cg_ns1": "a:0:6"},
            State(AT, "active", 1, (("a", False, "6"),)),
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


def test_no_shows_counts_the_set_marks():
    state = State(marks=(("a", True, "1"), ("b", False, "2"), ("c", True, "3")))
    assert state.no_shows == 2
    assert State().no_shows == 0


# -- with_mark -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "uri", "flag", "at", "expect"),
    [
        ((), INV_A, True, AT, (mark(INV_A, True, AT),)),
        ((), INV_A, False, AT, (mark(INV_A, False, AT),)),  # an unmark is recorded too
        ((mark(INV_A, True, LATER),), INV_A, False, AT, (mark(INV_A, True, LATER),)),  # older
        ((mark(INV_A, True, EARLIER),), INV_A, False, AT, (mark(INV_A, False, AT),)),  # newer
        ((mark(INV_A, True, AT),), INV_A, False, AT, (mark(INV_A, False, AT),)),  # same time
        ((mark(INV_A, True, AT),), INV_A + "/", False, LATER, (mark(INV_A, False, LATER),)),
        ((), INV_A, True, "", ((KEY_A, True, "0" * 14),)),  # no time: older than any
        (
            (mark(INV_B, True, AT),),
            INV_A,
            True,
            AT,
            tuple(sorted((mark(INV_A, True, AT), mark(INV_B, True, AT)))),  # sorted by key
        ),
    ],
)
def test_with_mark(old, uri, flag, at, expect):
    state = State(AT, "active", 2, old).with_mark(uri, flag, at)
    assert state.marks == expect
    assert (state.at, state.meeting, state.active) == (AT, "active", 2)


def test_with_mark_keeps_the_newest_max_marks():
    """Marks are bounded: past MAX_MARKS the oldest go, whatever the meeting size."""
    uris = [f"{EVENT_URI}/invitees/I{i}" for i in range(MAX_MARKS + 10)]
    ats = [stamp(T0 + timedelta(seconds=i)) for i in range(MAX_MARKS + 10)]
    # a full state as a store would hold it (with_mark ~900 times over would cost ~0.4 s)
    full = sorted(
        (invitee_key(u), True, compact(at))
        for u, at in zip(uris[:MAX_MARKS], ats[:MAX_MARKS], strict=True)
    )
    state = State(AT, "active", MAX_MARKS + 10, marks=tuple(full))
    for uri, at in zip(uris[MAX_MARKS:], ats[MAX_MARKS:], strict=True):
        state = state.with_mark(uri, True, at)
    assert len(state.marks) == MAX_MARKS
    kept = {key for key, _, _ in state.marks}
    assert kept == {invitee_key(u) for u in uris[10:]}
    # an older mark than every kept one is not recorded at the cap
    older = state.with_mark(f"{EVENT_URI}/invitees/OLD", True, EARLIER)
    assert older.marks == state.marks
    # a newer one displaces the oldest
    newest = state.with_mark(f"{EVENT_URI}/invitees/NEW", True, stamp(T0 + timedelta(days=1)))
    assert len(newest.marks) == MAX_MARKS
    assert invitee_key(uris[10]) not in {key for key, _, _ in newest.marks}


def test_props_stay_within_googles_limits_at_the_cap():
    """Google: key <= 44 characters, value <= 1,024, <= 300 properties, <= 32 kB per event."""
    marks = tuple(
        sorted(
            (invitee_key(f"{EVENT_URI}/invitees/I{i}"), i % 2 == 0, compact(AT))
            for i in range(MAX_MARKS)
        )
    )
    state = State(AT, "active", 99999, marks)
    props = state.props()
    assert len([k for k in props if k.startswith("cg_ns")]) == MAX_MARK_VALUES
    assert all(len(k) <= 44 for k in props)
    assert all(len(v) <= MAX_VALUE for v in props.values())
    assert len(props) <= 300 - 10  # room for the identity properties
    assert len(json.dumps(props).encode()) <= 32 * 1024 - 2048
    assert State.from_props(props) == state


@pytest.mark.parametrize(
    ("count", "values"),
    [
        (0, 0),
        (1, 1),
        (PER_VALUE, 1),
        (PER_VALUE + 1, 2),
        (MAX_MARKS, MAX_MARK_VALUES),
    ],
)
def test_pack_fills_each_value_up_to_the_limit(count, values):
    marks = tuple((f"{i:08d}", True, "0" * 14) for i in range(count))
    packed = _pack(marks)
    assert len(packed) == values
    assert all(len(v) <= MAX_VALUE for v in packed)
    assert " ".join(packed).split() == [f"{i:08d}:1:{'0' * 14}" for i in range(count)]
