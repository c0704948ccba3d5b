"""The team calendars' backend of a run: Google, or the .ics file. The Google client is
imported only here, and only when a calendar is really needed (a skipped booking never is)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calsync.adapters.calendar import Calendar
from calsync.commands.context import Clock
from calsync.core.settings import Settings

if TYPE_CHECKING:
    from calsync.adapters.google import GoogleCalendar


def open_calendar(settings: Settings, clock: Clock) -> Calendar:
    """The backend Settings name (--backend / CALSYNC_BACKEND)."""
    if settings.backend == "ics":
        from calsync.adapters.ics import IcsCalendar

        return IcsCalendar(settings.ics_file)
    return open_google(settings, clock)


def open_google(settings: Settings, clock: Clock) -> GoogleCalendar:
    """The Google Calendar client of the run's credentials, endpoint, timeout and retries."""
    from calsync.adapters.google import build_calendar

    return build_calendar(
        credentials=settings.google_credentials,
        delegated_user=settings.google_delegated_user,
        endpoint=settings.google_api_endpoint,
        timeout=settings.timeout,
        num_retries=settings.retries,
        sleep=clock.sleep,
    )
