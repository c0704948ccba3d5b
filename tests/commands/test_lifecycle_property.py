"""Property: any history of deliveries, permuted and duplicated, ends with the calendar the
rules demand. The expected calendar comes from a deliberately simple model written from the
rules in calsync/core/lifecycle.py's docstring (`oracle`), never from the planner itself.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calsync.adapters.files import load_team_map
from calsync.commands.sync import process
from calsync.core.decide import event_id_for
from calsync.core.parse import parse_booking
from conftest import TEAM_MAP as TEAM_MAP_FILE
from histories import GROUP, Action, Meeting, deliveries, meetings
from memory_calendar import MemoryCalendar

TEAM_MAP = load_team_map(TEAM_MAP_FILE)
# generated histories per run; HISTORIES=5000 make test-fast for a deeper search
HISTORIES = int(os.environ.get("HISTORIES", "300"))
NO_SHOW_KINDS = ("invitee_no_show.created", "invitee_no_show.deleted")


@dataclass(frozen=True)
class Shown:
    """What a person sees of one live event, as far as the histories vary it."""

    summary: str
    invitees: str | None  # the "Invitees: N of L" line of a group meeting
    moved_from: str | None  # the "Rescheduled from: URI" line


def oracle(bodies: list[dict[str, Any]]) -> dict[str, Shown]:
    """The live events the calendar must hold after these (unverified) deliveries, in any order.

    - a meeting is canceled for good when any delivery says its status is canceled, or when
      the invitee of a one-invitee meeting canceled;
    - a group meeting is gone once a delivery counts no active invitee: its event is deleted
      and, unverified, a deleted event never comes back (the histories never refill an emptied
      meeting: that needs verification);
    - otherwise it is shown, under the meeting's own id (no restore, so no other generation);
    - its details are the newest delivery's; a no-show mark per invitee: the newest mark wins;
      '[No-show] ' when everyone expected did not show, else '[k no-shows] ';
    - a one-invitee meeting booked by rescheduling links to the meeting it replaces.
    """
    by_meeting: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for body in bodies:
        by_meeting[body["payload"]["event"]].append(body)
    shown = {}
    for uri, hooks in by_meeting.items():
        hooks.sort(key=lambda h: h["created_at"])
        newest = hooks[-1]["payload"]["scheduled_event"]
        counter = newest["invitees_counter"]
        group = counter["limit"] > 1
        canceled = any(h["payload"]["scheduled_event"]["status"] == "canceled" for h in hooks)
        canceled |= not group and any(h["event"] == "invitee.canceled" for h in hooks)
        emptied = group and any(
            h["payload"]["scheduled_event"]["invitees_counter"]["active"] == 0 for h in hooks
        )
        if canceled or emptied:
            continue
        marks = {
            h["payload"]["uri"]: h["event"] == "invitee_no_show.created"
            for h in hooks
            if h["event"] in NO_SHOW_KINDS
        }
        missing = sum(marks.values())
        if missing == 0:
            prefix = ""
        elif not group or missing >= counter["active"]:
            prefix = "[No-show] "
        else:
            prefix = f"[{missing} no-shows] "
        old = [h["payload"]["old_invitee"] for h in hooks if h["payload"]["old_invitee"]]
        shown[event_id_for(uri)] = Shown(
            summary=prefix + newest["name"],
            invitees=f"Invitees: {counter['active']} of {counter['limit']}" if group else None,
            moved_from=old[0].split("/invitees/")[0] if old and not group else None,
        )
    return shown


def on_calendar(calendar: MemoryCalendar) -> dict[str, Shown]:
    """The live events of the in-memory calendar, projected like the oracle."""

    def line(text: str, start: str) -> str | None:
        found = [x for x in text.split("\n") if x.startswith(start)]
        return found[0].removeprefix("Rescheduled from: ") if found else None

    return {
        event_id: Shown(
            summary=str(event["summary"]),
            invitees=line(str(event["description"]), "Invitees: "),
            moved_from=line(str(event["description"]), "Rescheduled from: "),
        )
        for (_, event_id), event in calendar._store.items()
        if event.get("status") != "cancelled"
    }


def _apply(calendar: MemoryCalendar, body: dict) -> None:
    process(parse_booking(body), TEAM_MAP, lambda: calendar)


def bookable(m: Meeting) -> bool:
    """A meeting takes a new invitee: a new one, or a group one that has not emptied. (A group
    meeting that emptied was deleted, and only a verified delivery brings it back: a deleted
    event keeps nothing that orders an unverified one.)"""
    return not m.invitees or (m.kind == GROUP and m.active > 0)


@st.composite
def histories(draw: st.DrawFn) -> list[Action]:
    """A valid sequence of things happening in Calendly to a few meetings."""
    state = meetings()
    actions: list[Action] = []
    counter = 0
    for _ in range(draw(st.integers(1, 12))):
        options: list[Action] = []
        for m in state.values():
            if m.canceled:
                continue
            active = [i for i, s in m.invitees.items() if s == "active"]
            if bookable(m):
                options.append(Action("book", m.key, f"I{counter}"))
            for inv in active:
                options.append(Action("cancel", m.key, inv))
                options.append(Action("no_show", m.key, inv))
                options.append(Action("undo_no_show", m.key, inv))
                options.extend(
                    Action("reschedule", m.key, inv, target=t.key)
                    for t in state.values()
                    if t.key != m.key and not t.canceled and bookable(t)
                )
            if m.kind == GROUP and active:
                options.append(Action("host_cancel", m.key))
        if not options:
            break
        act = draw(st.sampled_from(options))
        counter += 1
        actions.append(act)
        deliveries([act], state)  # advance the model
    return actions


def shuffled(data: st.DataObject, bodies: list[dict]) -> list[dict]:
    """The deliveries permuted, some duplicated anywhere."""
    order = data.draw(st.permutations(range(len(bodies))))
    extra = data.draw(st.lists(st.sampled_from(range(len(bodies))), max_size=len(bodies)))
    out = [bodies[i] for i in order]
    for i in extra:
        out.insert(data.draw(st.integers(0, len(out))), bodies[i])
    return out


@settings(max_examples=HISTORIES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_calendar_shows_what_the_rules_demand(data):
    """Permuted, duplicated deliveries end in the calendar the simple model says."""
    bodies = deliveries(data.draw(histories()), meetings())
    calendar = MemoryCalendar()
    for body in shuffled(data, bodies):
        _apply(calendar, body)
    assert on_calendar(calendar) == oracle(bodies)
    # unverified, no event is ever made under another id than the meeting's first
    first = {event_id_for(b["payload"]["event"]) for b in bodies}
    assert {event_id for _, event_id in calendar._store} <= first


@settings(max_examples=HISTORIES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_order_any_duplicates_same_calendar(data):
    """Duplicated and permuted deliveries end in the calendar in-order delivery produces
    (every shown field, not only the oracle's projection)."""
    bodies = deliveries(data.draw(histories()), meetings())
    expected = MemoryCalendar()
    for body in bodies:
        _apply(expected, body)
    actual = MemoryCalendar()
    for body in shuffled(data, bodies):
        _apply(actual, body)
    assert actual.visible() == expected.visible()


def test_oracle_sees_a_simple_history():
    """The model itself, on a history whose answer is known."""
    history = [
        Action("book", "M1", "A"),
        Action("reschedule", "M1", "A", target="M2"),
        Action("book", "G1", "B"),
        Action("book", "G1", "C"),
        Action("no_show", "G1", "B"),
    ]
    shown = oracle(deliveries(history, meetings()))
    m1 = "https://api.calendly.com/scheduled_events/M1"
    assert shown == {
        event_id_for("https://api.calendly.com/scheduled_events/M2"): Shown(
            "Global Support Call", None, m1
        ),
        event_id_for("https://api.calendly.com/scheduled_events/G1"): Shown(
            "[1 no-shows] Support Office Hours", "Invitees: 2 of 5", None
        ),
    }
