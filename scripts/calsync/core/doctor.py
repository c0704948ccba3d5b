"""`doctor`'s verdicts as values: one Check per line, the exit code of a list of them, and the
rule for a calendar's access role. Pure: the commands layer does the reading.

A check is `ok`, or a failure whose detail ends with the fix (`...: fix: ...`). A failure is
a misconfiguration (exit 2: fix it, then run doctor again) or a service that could not be
reached (exit 1: rerun later). When both kinds occur, 2 wins: a known misconfiguration needs a
person whatever a rerun shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from calsync.core.errors import CalSyncError, ExitCode

WRITE_ROLES = ("owner", "writer")
SHARING = "Make changes to events"
# what each read-only accessRole means in Google Calendar's sharing dialog
_ROLE_SHOWN = {
    "reader": "read-only ('See all event details')",
    "freeBusyReader": "for free/busy only ('See only free/busy (hide details)')",
}


@dataclass(frozen=True)
class Check:
    """One line of doctor's output."""

    name: str
    ok: bool
    detail: str
    code: ExitCode = ExitCode.OK  # of a failure: BAD_INPUT (misconfigured) or TRANSIENT

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def passed(name: str, detail: str) -> Check:
    return Check(name, True, detail)


def failed(name: str, detail: str, code: ExitCode = ExitCode.BAD_INPUT) -> Check:
    return Check(name, False, detail, code)


def from_error(name: str, err: CalSyncError, fix: str = "") -> Check:
    """A failed check from an error: a transient one is "unreachable", anything else is a
    misconfiguration; `fix` is appended unless the message already says how to fix it."""
    text = str(err)
    if err.exit_code is ExitCode.TRANSIENT:
        return failed(name, f"unreachable: {text}", ExitCode.TRANSIENT)
    return failed(name, f"{text}: fix: {fix}" if fix else text)


def exit_code(checks: Iterable[Check]) -> ExitCode:
    """0 when every check passed; 2 when something is misconfigured; else 1 (unreachable)."""
    codes = {c.code for c in checks if not c.ok}
    if not codes:
        return ExitCode.OK
    return ExitCode.BAD_INPUT if ExitCode.BAD_INPUT in codes else ExitCode.TRANSIENT


def summary(checks: list[Check]) -> str:
    bad = [c for c in checks if not c.ok]
    if not bad:
        return f"all {len(checks)} checks passed"
    names = ", ".join(c.name for c in bad)
    return f"{len(bad)} of {len(checks)} checks failed: {names}"


def calendar_check(team: str, calendar_id: str, role: str, who: str) -> Check:
    """Whether `who` may write events to the team's calendar, from its accessRole there."""
    name = f"calendar {team}"
    if role in WRITE_ROLES:
        return passed(name, f"{calendar_id}: {who} may write events (accessRole {role})")
    shown = _ROLE_SHOWN.get(role, f"with accessRole {role or 'unknown'}")
    return failed(
        name,
        f"team {team}: calendar {calendar_id} is shared with {who} {shown}, so sync cannot "
        f"write to it: fix: Google Calendar > the calendar's settings > Share with specific "
        f"people > {who} > '{SHARING}'",
    )
