"""Render the Google Calendar event body for a meeting. Pure; no personal data unless asked.

Text from the payload is stripped of control characters (a name cannot add lines to a
summary or an .ics file) and HTML-escaped in the description (no markup injection). The
summary is plain text, but some clients and mails render it as HTML: its `<` and `>` are
escaped too (not `&`, so "Q&A" still reads right).
"""

from __future__ import annotations

import html
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


def clean(text: str, *, keep_newlines: bool = False, limit: int = 500) -> str:
    """Drop control and format characters that could break a line or hide text; cap length."""
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


def base_summary(booking: Booking, event: ScheduledEvent, display: Display) -> str:
    summary = clean(event.name, limit=200) or "Calendly meeting"
    if display.show_invitee_name and not event.is_group and booking.invitee_name:
        summary += " — " + clean(booking.invitee_name, limit=100)
    return summary.replace("<", "&lt;").replace(">", "&gt;")


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
    lines = []
    if event.location and event.location.join_url:
        lines.append(f"Join: {clean(event.location.join_url, limit=1000)}")
    if display.show_hosts and event.hosts:
        names = ", ".join(clean(h.name or h.email, limit=100) for h in event.hosts)
        lines.append(f"Hosts: {names}")
    if event.is_group and event.active_invitees is not None:
        lines.append(f"Invitees: {event.active_invitees} of {event.invitee_limit}")
    if display.show_answers and booking.answers and not event.is_group:
        for question, answer in booking.answers:
            lines.append(f"{clean(question, limit=200)}: {clean(answer, limit=1000)}")
    lines.append(f"Calendly meeting: {event.uri}")
    if event.event_type:
        lines.append(f"Calendly event type: {event.event_type}")
    lines.append(MANAGED_NOTE)
    return "\n".join(html.escape(line, quote=False) for line in lines)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_rescheduled(text: str, old_meeting: str) -> str:
    """Put the 'Rescheduled from' line (a link to the old booking) in a description."""
    lines = [line for line in text.split("\n") if not line.startswith(_MOVED)]
    if old_meeting:
        lines.insert(0, _MOVED + html.escape(old_meeting, quote=False))
    return "\n".join(lines)


def event_fields(booking: Booking, event: ScheduledEvent, display: Display) -> dict[str, Any]:
    """The fields of the calendar event that come from the meeting itself."""
    return {
        "summary": base_summary(booking, event, display),
        "description": description(booking, event, display),
        "location": location(event),
        "start": {"dateTime": rfc3339(event.start), "timeZone": "UTC"},
        "end": {"dateTime": rfc3339(event.end), "timeZone": "UTC"},
    }
