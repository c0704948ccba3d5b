"""Time windows from the command line: ISO dates and times, or relative offsets. Pure."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from calsync.core.errors import InputError

_RELATIVE = re.compile(r"([+-])(\d{1,5})([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime, what: str) -> datetime:
    """An ISO date/time (UTC unless it says otherwise) or a relative -2d, -12h, +90d, +30m, -1w."""
    value = text.strip()
    if match := _RELATIVE.fullmatch(value):
        delta = timedelta(**{_UNITS[match[3]]: int(match[2])})
        return now - delta if match[1] == "-" else now + delta
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{what}: expected an ISO date or time (2026-01-31, 2026-01-31T09:00Z) "
            f"or a relative time (-2d, -12h, +90d), got {value[:40]!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
