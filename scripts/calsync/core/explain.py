"""explain(booking, team_map) -> Explanation: every route, whether it matched and why. Pure.

Built on calsync.core.decide's own matching (`match`, `decide`), so what `explain` says is
what `sync` does. Shows event names, event type URIs and host e-mails (staff), never the
invitee's name, e-mail or answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calsync.core.booking import Booking, Kind
from calsync.core.decide import Action, decide, match
from calsync.core.errors import InputError
from calsync.core.team_map import TeamMap


@dataclass(frozen=True)
class RouteCheck:
    route: int  # numbered from 1 in file order
    line: int  # where the route starts in the YAML
    team: str
    matched: bool
    reasons: tuple[str, ...]  # one per condition the route sets


@dataclass(frozen=True)
class Explanation:
    kind: Kind
    inferred: str  # why the event kind was guessed, or ""
    routes: tuple[RouteCheck, ...]
    action: str  # sync | locate | skip | error
    team: str | None
    calendar_id: str | None
    effect: str  # what a sync would do for this event kind
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """The `--json` shape: {"routes": [...], "decision": {...}} plus the event kind."""
        return {
            "event_kind": self.kind.value,
            "inferred_event": bool(self.inferred),
            "inferred_reason": self.inferred,
            "routes": [
                {
                    "route": r.route,
                    "line": r.line,
                    "team": r.team,
                    "matched": r.matched,
                    "reasons": list(r.reasons),
                }
                for r in self.routes
            ],
            "decision": {
                "team": self.team,
                "calendar_id": self.calendar_id,
                "action": self.action,
                "effect": self.effect,
                "reason": self.reason,
            },
        }


def explain(booking: Booking, team_map: TeamMap) -> Explanation:
    """Check every route against the booking, then say what `sync` would do with it."""
    event = booking.scheduled_event
    checks = []
    reasons: tuple[str, ...]
    for number, route in enumerate(team_map.routes, 1):
        if event is None:
            ok, reasons = False, (_not_checked(booking),)
        else:
            found = match(route, team_map.teams[route.team], event)
            ok, reasons = found.matched, found.reasons
        checks.append(RouteCheck(number, route.line, route.team, ok, reasons))
    try:
        decision = decide(booking, team_map)
    except InputError as err:
        return Explanation(
            kind=booking.kind,
            inferred=booking.inferred,
            routes=tuple(checks),
            action="error",
            team=None,
            calendar_id=None,
            effect=f"nothing: sync would stop with exit 2: {err}",
            reason=str(err),
        )
    first = next((c for c in checks if c.matched), None)
    if decision.action is Action.SYNC and first is not None:  # the first match decides
        checks = [c if c.route <= first.route else _after(c, first.route) for c in checks]
    return Explanation(
        kind=booking.kind,
        inferred=booking.inferred,
        routes=tuple(checks),
        action=decision.action.value,
        team=decision.team or None,
        calendar_id=decision.calendar_id or None,
        effect=_effect(booking, decision.action),
        reason=decision.reason,
    )


def _after(check: RouteCheck, first: int) -> RouteCheck:
    """A route after the deciding one: its own result, noted as not consulted by sync."""
    note = f"not consulted: route {first} matched first"
    return RouteCheck(check.route, check.line, check.team, check.matched, (*check.reasons, note))


def _not_checked(booking: Booking) -> str:
    if booking.kind in (Kind.OTHER, Kind.ROUTING_FORM):
        return "not checked: this webhook event is never put on a calendar"
    return "not checked: the payload has no meeting details (scheduled_event)"


def _effect(booking: Booking, action: Action) -> str:
    if action is Action.SKIP:
        return "nothing: no calendar is read or written (exit 0)"
    if action is Action.LOCATE:
        return (
            "look for the meeting's event on every team calendar and update it there "
            "(nothing happens if no calendar holds it)"
        )
    event = booking.scheduled_event
    canceled = event is not None and event.status == "canceled"
    if booking.kind is Kind.NO_SHOW_CREATED:
        return "mark the invitee as a no-show in the event's title"
    if booking.kind is Kind.NO_SHOW_DELETED:
        return "clear the invitee's no-show mark from the event's title"
    group = event is not None and event.is_group
    if booking.kind is Kind.CANCELED and group and not canceled:
        active = event.active_invitees if event is not None else None
        left = "" if active is None else f" ({active} active now)"
        return (
            "update the group event's invitee count; it is deleted when no invitee is left" + left
        )
    if booking.kind is Kind.CANCELED or canceled:
        moved = " (rescheduled: the new booking makes its own event)" if booking.rescheduled else ""
        return "delete the event: the meeting is canceled" + moved
    if group:
        return "create the group event, or update its invitee count if it is there"
    return "create the event on the team calendar, or update it if it is already there"
