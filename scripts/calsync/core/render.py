"""Render the Google Calendar event body for a meeting. Pure; no personal data unless asked.

Text from the payload is stripped of control characters (a name cannot add lines to a
summary or an .ics file) and HTML-escaped in the description (no markup injection). The
summary is plain text, but some clients and mails render it as HTML: its `<` and `>` are
escaped too (not `&`, so "Q&A" still reads right).

Sizes: the summary is at most 1,024 characters; the description at most 8,000 before
escaping, each answer cut at 2,000 and the answers together cut to what is left, always with
a visible "(truncated)". A team's `visibility: private` hides the details from people who
see its calendar as free/busy only; the event itself still carries the join URL.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from calsync.core.booking import Booking, ScheduledEvent
from calsync.core.team_map import Display

MANAGED_NOTE = "Managed by calendly-gcal from Calendly: changes made here are overwritten."
# Location types whose `location` text is the invitee's own data (phone number, address).
_INVITEE_LOCATIONS = {
    "outbound_call": "Phone call (the number is in Calendly)",
    "ask_invitee": "Location given by the invitee (see Calendly)",
}
_MOVED = "Rescheduled from: "
_NO_SHOW_PREFIX = re.compile(r"^\[(No-show|\d+ no-shows)\] ")
SUMMARY_LIMIT = 1024
DESCRIPTION_LIMIT = 8000
ANSWER_LIMIT = 2000
TRUNCATED = " … (truncated)"
_RESERVED = 300  # room for the "Rescheduled from" line added later (with_rescheduled)
_MAX_PREFIX = 24  # the longest no-show prefix, "[100000 no-shows] "


def clean(text: str, *, keep_newlines: bool = False, limit: int = 500) -> str:
    """Drop control and format characters that could break a line or hide text; cap length."""
    if (text.replace("\n", "") if keep_newlines else text).isprintable():
        return text.strip()[:limit]  # nothing to drop (the common case, and the fast one)
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif cat in ("Cc", "Cs", "Co") or ch in "\u2028\u2029":
            out.append(" ")
        elif cat == "Cf" and ch not in "\u200c\u200d":  # keep joiners (emoji, Indic scripts)
            continue
        else:
            out.append(ch)
    return "".join(out).strip()[:limit]


def cut(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and a visible '(truncated)'."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(TRUNCATED))].rstrip() + TRUNCATED


def base_summary(booking: Booking, event: ScheduledEvent, display: Display) -> str:
    summary = clean(event.name, limit=200) or "Calendly meeting"
    if display.show_invitee_name and not event.is_group and booking.invitee_name:
        summary += " — " + clean(booking.invitee_name, limit=100)
    escaped = summary.replace("<", "&lt;").replace(">", "&gt;")
    if len(escaped) > SUMMARY_LIMIT - _MAX_PREFIX:  # cut, never inside an &lt; or &gt;
        escaped = re.sub(r"&[a-z]{0,3}$", "", escaped[: SUMMARY_LIMIT - _MAX_PREFIX])
    return escaped


def with_no_show(summary: str, no_shows: int, active: int | None, is_group: bool) -> str:
    """Mark no-shows in the title: '[No-show] ' when everyone expected did not show."""
    bare = _NO_SHOW_PREFIX.sub("", summary)
    if no_shows <= 0:
        return bare
    if not is_group or active is None or no_shows >= active:
        return "[No-show] " + bare
    return f"[{no_shows} no-shows] " + bare


def location(event: ScheduledEvent) -> str:
    loc = event.location
    if loc is None:
        return ""
    if loc.join_url:
        return clean(loc.join_url, limit=1000)
    if loc.type in _INVITEE_LOCATIONS:
        return _INVITEE_LOCATIONS[loc.type]
    return clean(loc.location, limit=500)


def description(booking: Booking, event: ScheduledEvent, display: Display) -> str:
    head, tail = [], [f"Calendly meeting: {event.uri}"]
    if event.location and event.location.join_url:
        head.append(f"Join: {clean(event.location.join_url, limit=1000)}")
    if display.show_hosts and event.hosts:
        names = ", ".join(clean(h.name or h.email, limit=100) for h in event.hosts)
        head.append(cut(f"Hosts: {names}", 1000))
    if event.is_group and event.active_invitees is not None:
        head.append(f"Invitees: {event.active_invitees} of {event.invitee_limit}")
    if event.event_type:
        tail.append(f"Calendly event type: {event.event_type}")
    tail.append(MANAGED_NOTE)
    answers = []
    if display.show_answers and booking.answers and not event.is_group:
        left = DESCRIPTION_LIMIT - _RESERVED - len("\n".join(head + tail)) - 1
        for question, answer in booking.answers:
            line = cut(f"{clean(question, limit=200)}: ", 220) + cut(
                clean(answer, keep_newlines=False, limit=10**9), ANSWER_LIMIT
            )
            if len(line) + 1 > left:
                answers.append(cut(line, left - 1) if left > len(TRUNCATED) + 20 else TRUNCATED)
                break
            answers.append(line)
            left -= len(line) + 1
    lines = head + answers + tail
    return "\n".join(_escape(line) for line in lines)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_rescheduled(text: str, old_meeting: str) -> str:
    """Put the 'Rescheduled from' line (a link to the old booking) in a description."""
    lines = [line for line in text.split("\n") if not line.startswith(_MOVED)]
    if old_meeting and len(old_meeting) < _RESERVED - len(_MOVED):
        lines.insert(0, _MOVED + _escape(old_meeting))
    return "\n".join(lines)


def event_fields(booking: Booking, event: ScheduledEvent, display: Display) -> dict[str, Any]:
    """The fields of the calendar event that come from the meeting itself."""
    return {
        "summary": base_summary(booking, event, display),
        "description": description(booking, event, display),
        "location": location(event),
        "start": {"dateTime": rfc3339(event.start), "timeZone": "UTC"},
        "end": {"dateTime": rfc3339(event.end), "timeZone": "UTC"},
        "visibility": display.visibility,
    }


def _escape(text: str) -> str:
    """html.escape(text, quote=False), without importing html (its entity table costs ~2 ms
    on every run, skipped bookings included)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
