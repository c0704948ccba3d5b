"""Booking histories: what happens in Calendly, and the webhooks Calendly sends for it.

A history is a list of real-world actions in time order. `deliveries()` turns it into the
webhook bodies Calendly would send, each with the truthful snapshot of its meeting at that
moment (status, invitees_counter), as the property and scenario tests need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from builders import T0, webhook

ONE_ON_ONE = "one"  # a meeting with one invitee (one-on-one, round robin, collective)
GROUP = "group"


@dataclass
class Meeting:
    key: str
    kind: str
    limit: int
    name: str = "Global Support Call"
    invitees: dict[str, str] = field(default_factory=dict)  # invitee -> active | canceled
    canceled: bool = False
    start_offset_h: int = 72

    @property
    def active(self) -> int:
        return sum(1 for s in self.invitees.values() if s == "active")


def meetings() -> dict[str, Meeting]:
    """The meetings the scenario and property tests play with: three one-on-one, one group."""
    return {
        "M1": Meeting("M1", ONE_ON_ONE, 1),
        "M2": Meeting("M2", ONE_ON_ONE, 1, start_offset_h=96),
        "M3": Meeting("M3", ONE_ON_ONE, 1, start_offset_h=120),
        "G1": Meeting("G1", GROUP, 5, name="Support Office Hours"),
    }


@dataclass(frozen=True)
class Action:
    """One thing that happens in Calendly."""

    verb: str  # book | cancel | reschedule | host_cancel | no_show | undo_no_show
    meeting: str
    invitee: str = ""
    target: str = ""  # reschedule: the meeting the invitee moves to


def deliveries(actions: list[Action], meetings: dict[str, Meeting]) -> list[dict[str, Any]]:
    """Replay the actions on the meetings and return every webhook body, in true order."""
    out: list[dict[str, Any]] = []
    for step, act in enumerate(actions):
        at = T0 + timedelta(minutes=step + 1)
        m = meetings[act.meeting]

        def hook(kind: str, meeting: Meeting, invitee: str, **extra: Any) -> dict[str, Any]:
            return webhook(
                kind,
                event=meeting.key,
                invitee=invitee,
                name=meeting.name,
                at=at,  # noqa: B023
                start=T0 + timedelta(hours=meeting.start_offset_h),
                limit=meeting.limit,
                active=meeting.active,
                status="canceled" if meeting.canceled else "active",
                **extra,
            )

        if act.verb == "book":
            m.invitees[act.invitee] = "active"
            out.append(hook("invitee.created", m, act.invitee))
        elif act.verb == "cancel":
            m.invitees[act.invitee] = "canceled"
            m.canceled = m.canceled or m.kind == ONE_ON_ONE
            out.append(hook("invitee.canceled", m, act.invitee))
        elif act.verb == "reschedule":
            new_inv = act.invitee + "R"
            m.invitees[act.invitee] = "canceled"
            m.canceled = m.canceled or m.kind == ONE_ON_ONE
            target = meetings[act.target]
            target.invitees[new_inv] = "active"
            out.append(
                hook(
                    "invitee.canceled",
                    m,
                    act.invitee,
                    rescheduled=True,
                    new_invitee=f"{target.key}/invitees/{new_inv}",
                )
            )
            out.append(
                hook(
                    "invitee.created",
                    target,
                    new_inv,
                    old_invitee=f"{m.key}/invitees/{act.invitee}",
                )
            )
        elif act.verb == "host_cancel":
            m.canceled = True
            active = [inv for inv, status in m.invitees.items() if status == "active"]
            for inv in active:
                m.invitees[inv] = "canceled"
            out.extend(hook("invitee.canceled", m, inv) for inv in active)
        elif act.verb in ("no_show", "undo_no_show"):
            kind = "invitee_no_show.created" if act.verb == "no_show" else "invitee_no_show.deleted"
            out.append(hook(kind, m, act.invitee, no_show=act.verb == "no_show"))
    return out
