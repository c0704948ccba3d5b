"""render: the event body from a meeting. Table-driven, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from builders import API, EVENT_URI, SENTINEL_ANSWER, SENTINEL_NAME, booking, scheduled_event
from calsync.core.booking import Host, Location
from calsync.core.render import (
    ANSWER_LIMIT,
    MANAGED_NOTE,
    TRUNCATED,
    base_summary,
    clean,
    cut,
    description,
    event_fields,
    location,
    rfc3339,
    with_no_show,
    with_rescheduled,
)
from calsync.core.team_map import Display

PRIVATE = Display()
SHOW_ALL = Display(show_invitee_name=True, show_answers=True)
GROUP = {"invitee_limit": 5, "active_invitees": 3}


@pytest.mark.parametrize(
    ("text", "kwargs", "expect"),
    [
        ("plain", {}, "plain"),
        ("  padded  ", {}, "padded"),
        ("a\nb", {}, "a b"),
        ("a\nb", {"keep_newlines": True}, "a\nb"),
        ("a\rb\tc\x00d", {}, "a b c d"),
        ("a\u2028b\u2029c", {}, "a b c"),
        ("a\u202eb\u200bc", {}, "abc"),  # format characters (RTL override, zero width) dropped
        ("\U0001f469\u200d\U0001f4bb", {}, "\U0001f469\u200d\U0001f4bb"),  # joiners kept
        ("a\u200cb", {}, "a\u200cb"),
        ("a\ud800b", {}, "a b"),  # lone surrogate
        ("a\ue000b", {}, "a b"),  # private use
        ("x" * 600, {}, "x" * 500),
        ("abcdef", {"limit": 3}, "abc"),
        ("  abcdef", {"limit": 3}, "abc"),  # stripped before it is cut
        ("\n\n", {"keep_newlines": True}, ""),
        (" a\nb ", {"keep_newlines": True}, "a\nb"),
        ("a\u00a0b\u3000c", {}, "a\u00a0b\u3000c"),  # spaces other than ' ' kept
    ],
)
def test_clean(text, kwargs, expect):
    assert clean(text, **kwargs) == expect


@pytest.mark.parametrize(
    ("changes", "event", "display", "expect"),
    [
        ({}, {}, PRIVATE, "Global Support Call"),
        ({}, {}, SHOW_ALL, f"Global Support Call — {SENTINEL_NAME}"),
        ({}, GROUP, SHOW_ALL, "Global Support Call"),  # a group meeting has many invitees
        ({"invitee_name": ""}, {}, SHOW_ALL, "Global Support Call"),
        ({}, {"name": ""}, PRIVATE, "Calendly meeting"),
        ({}, {"name": "\x07\n"}, PRIVATE, "Calendly meeting"),
        ({}, {"name": "<b>Q&A</b>"}, PRIVATE, "&lt;b&gt;Q&A&lt;/b&gt;"),
        ({"invitee_name": "<i>x</i>"}, {}, SHOW_ALL, "Global Support Call — &lt;i&gt;x&lt;/i&gt;"),
        ({}, {"name": "n" * 300}, PRIVATE, "n" * 200),
        ({"invitee_name": "m" * 300}, {}, SHOW_ALL, "Global Support Call — " + "m" * 100),
        ({"invitee_name": "A\nB"}, {}, SHOW_ALL, "Global Support Call — A B"),
    ],
)
def test_base_summary(changes, event, display, expect):
    meeting = scheduled_event(**event)
    assert base_summary(booking(event=meeting, **changes), meeting, display) == expect


LT = "&lt;"


@pytest.mark.parametrize(
    ("invitee", "expect"),
    [
        # 1,000 characters after escaping (the summary limit less the longest no-show prefix)
        ("<" * 49 + "&", LT * 200 + " — " + LT * 49 + "&"),
        # longer: cut at 1,000, never leaving half an entity behind
        ("<" * 50, LT * 200 + " — " + LT * 49),
        ("xx" + "<" * 50, LT * 200 + " — xx" + LT * 48),
        ("x" * 100, LT * 200 + " — " + "x" * 100),  # 903: not cut
    ],
)
def test_base_summary_is_cut_to_1000_characters(invitee, expect):
    meeting = scheduled_event(name="<" * 200)
    summary = base_summary(booking(event=meeting, invitee_name=invitee), meeting, SHOW_ALL)
    assert summary == expect
    assert len(summary) <= 1000


@pytest.mark.parametrize(
    ("text", "limit", "expect"),
    [
        ("abc", 3, "abc"),
        ("abc", 2, TRUNCATED),
        ("abcdef", 5, TRUNCATED),
        (" abcdefghijklmnopqrstuvwxyz", 16, " a" + TRUNCATED),
        ("ab  " + "c" * 30, 18, "ab" + TRUNCATED),
        ("x" * 30, 20, "x" * 6 + TRUNCATED),
    ],
)
def test_cut(text, limit, expect):
    assert cut(text, limit) == expect


@pytest.mark.parametrize(
    ("summary", "no_shows", "active", "group", "expect"),
    [
        ("Call", 0, 1, False, "Call"),
        ("Call", -1, 1, False, "Call"),
        ("Call", 1, 1, False, "[No-show] Call"),
        ("Call", 1, 0, False, "[No-show] Call"),
        ("[No-show] Call", 1, 1, False, "[No-show] Call"),  # never stacked
        ("[No-show] Call", 0, 1, False, "Call"),  # undone
        ("[2 no-shows] Call", 0, 3, True, "Call"),
        ("Call", 2, 3, True, "[2 no-shows] Call"),
        ("[2 no-shows] Call", 1, 3, True, "[1 no-shows] Call"),
        ("Call", 3, 3, True, "[No-show] Call"),  # everyone expected did not show
        ("Call", 4, 3, True, "[No-show] Call"),
        ("Call", 1, None, True, "[No-show] Call"),  # count unknown
        ("x [No-show] Call", 0, 1, False, "x [No-show] Call"),  # only a prefix is ours
        ("[No-show]Call", 0, 1, False, "[No-show]Call"),
    ],
)
def test_with_no_show(summary, no_shows, active, group, expect):
    assert with_no_show(summary, no_shows, active, group) == expect


@pytest.mark.parametrize(
    ("loc", "expect"),
    [
        (None, ""),
        (Location("zoom", "ignored", "https://zoom.example/j/1"), "https://zoom.example/j/1"),
        (Location("zoom", "", "https://zoom.example/j/1\n2"), "https://zoom.example/j/1 2"),
        (Location("physical", "1 Main St\nSpringfield", ""), "1 Main St Springfield"),
        (Location("outbound_call", "+1 555 0100", ""), "Phone call (the number is in Calendly)"),
        (Location("ask_invitee", "my home", ""), "Location given by the invitee (see Calendly)"),
        (Location("custom", "x" * 600, ""), "x" * 500),
        (Location("zoom", "", "https://z/" + "u" * 1200), ("https://z/" + "u" * 1200)[:1000]),
        (Location("custom", "", ""), ""),
    ],
)
def test_location(loc, expect):
    assert location(scheduled_event(location=loc)) == expect


def lines(changes=None, event=None, display=PRIVATE) -> list[str]:
    meeting = scheduled_event(**(event or {}))
    return description(booking(event=meeting, **(changes or {})), meeting, display).split("\n")


def test_description_default_has_no_personal_data():
    assert lines() == [
        "Join: https://example.zoom.us/j/99",
        "Hosts: Support Engineer",
        f"Calendly meeting: {EVENT_URI}",
        f"Calendly event type: {API}/event_types/ETGLOBAL000001",
        MANAGED_NOTE,
    ]


@pytest.mark.parametrize(
    ("changes", "event", "display", "expect_in", "expect_out"),
    [
        ({}, {}, SHOW_ALL, f"What would you like to discuss?: {SENTINEL_ANSWER}", None),
        ({}, GROUP, SHOW_ALL, "Invitees: 3 of 5", SENTINEL_ANSWER),  # no answers on a group
        ({}, {"active_invitees": None, "invitee_limit": 5}, PRIVATE, None, "Invitees:"),
        ({}, {}, PRIVATE, None, "Invitees:"),  # one-on-one: no count
        ({}, {}, Display(show_hosts=False), None, "Hosts:"),
        ({}, {"hosts": ()}, PRIVATE, None, "Hosts:"),
        ({}, {"location": None}, PRIVATE, None, "Join:"),
        ({}, {"location": Location("physical", "Room 1", "")}, PRIVATE, None, "Join:"),
        ({}, {"event_type": ""}, PRIVATE, None, "Calendly event type:"),
        ({"answers": ()}, {}, SHOW_ALL, None, "What would"),
        ({"answers": (("Q\nX", "<b>a</b>"),)}, {}, SHOW_ALL, "Q X: &lt;b&gt;a&lt;/b&gt;", "<b>"),
        (
            {"answers": (("Q", "a" * (ANSWER_LIMIT + 200)),)},
            {},
            SHOW_ALL,
            "Q: " + "a" * (ANSWER_LIMIT - len(TRUNCATED)) + TRUNCATED,
            "a" * (ANSWER_LIMIT - len(TRUNCATED) + 1),
        ),
        ({"answers": (("q" * 300, "a"),)}, {}, SHOW_ALL, "q" * 200 + ": a", "q" * 201),
    ],
)
def test_description_lines(changes, event, display, expect_in, expect_out):
    text = "\n".join(lines(changes, event, display))
    if expect_in is not None:
        assert expect_in in text.split("\n")
    if expect_out is not None:
        assert expect_out not in text


@pytest.mark.parametrize(
    ("hosts", "expect"),
    [
        (
            (Host("u1", "a@x.example", "Ann"), Host("u2", "b@x.example", "")),
            "Hosts: Ann, b@x.example",
        ),
        ((Host("u1", "a@x.example", "<Ann>"),), "Hosts: &lt;Ann&gt;"),
        ((Host("u1", "a@x.example", "n" * 150),), "Hosts: " + "n" * 100),
    ],
)
def test_description_hosts(hosts, expect):
    assert expect in lines(event={"hosts": hosts})


def test_description_order_with_everything():
    got = lines(event={"invitee_limit": 1}, display=SHOW_ALL)
    assert got[0].startswith("Join: ")
    assert got[1].startswith("Hosts: ")
    assert got[2].startswith("What would")
    assert got[-1] == MANAGED_NOTE


@pytest.mark.parametrize(
    ("text", "old", "expect"),
    [
        ("a\nb", "", "a\nb"),
        (
            "a\nb",
            f"{API}/scheduled_events/OLD",
            f"Rescheduled from: {API}/scheduled_events/OLD\na\nb",
        ),
        ("Rescheduled from: x\na", "y", "Rescheduled from: y\na"),  # replaced, not stacked
        ("Rescheduled from: x\na", "", "a"),  # removed
        ("a\nRescheduled from: x", "", "a"),
        ("", "<u>", "Rescheduled from: &lt;u&gt;\n"),
        ("a Rescheduled from: x", "", "a Rescheduled from: x"),  # only whole lines are ours
    ],
)
def test_with_rescheduled(text, old, expect):
    assert with_rescheduled(text, old) == expect


@pytest.mark.parametrize(
    ("moment", "expect"),
    [
        (datetime(2026, 12, 4, 15, 0, 0, 999, tzinfo=UTC), "2026-12-04T15:00:00Z"),
        (
            datetime(2026, 12, 4, 10, 0, tzinfo=timezone(timedelta(hours=-5))),
            "2026-12-04T15:00:00Z",
        ),
    ],
)
def test_rfc3339(moment, expect):
    assert rfc3339(moment) == expect


def test_event_fields():
    meeting = scheduled_event()
    fields = event_fields(booking(event=meeting), meeting, PRIVATE)
    assert fields == {
        "summary": "Global Support Call",
        "description": description(booking(event=meeting), meeting, PRIVATE),
        "location": "https://example.zoom.us/j/99",
        "start": {"dateTime": "2026-12-04T15:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2026-12-04T15:30:00Z", "timeZone": "UTC"},
        "visibility": "default",
    }
    hidden = event_fields(booking(event=meeting), meeting, Display(visibility="private"))
    assert hidden["visibility"] == "private"
