"""Verify a webhook delivery with the Calendly API: the payload is a hint, the API is the truth.

GitLab hands the job neither the raw body nor the signature header, so the signature cannot be
checked. Instead the invitee and its scheduled event are fetched again, from the configured
CALENDLY_API_URL only (the client refuses a URI on any other host before sending anything, and
rebuilds the request path from the URI's UUIDs), and the Booking is rebuilt from the answers:
meeting name, times, status, hosts, location, invitee counter, no-show, reschedule links, and
the invitee's name and answers (shown only if the team map asks). A forged payload therefore
can at most make us re-read a booking that Calendly really has, in the state Calendly says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from calsync.adapters.calendly import NotFound
from calsync.commands.calendly_api import open_client
from calsync.commands.context import Clock
from calsync.core import redact
from calsync.core.booking import Booking, Kind
from calsync.core.errors import VerificationError
from calsync.core.fields import opt_time
from calsync.core.parse import booking_from_api
from calsync.core.settings import Settings

JSON = dict[str, Any]
_INVITEE_KINDS = (Kind.CREATED, Kind.CANCELED, Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED)


def verify_booking(booking: Booking, settings: Settings, clock: Clock | None = None) -> Booking:
    """The booking as the Calendly API knows it; VerificationError if Calendly does not.

    What the delivery keeps: its webhook event name (for the report). What the API decides:
    the time that orders deliveries (lifecycle.merge): the newest `updated_at` of the invitee
    and the event, since the state read is at least that recent, and a forged `created_at`
    cannot outrank later deliveries (the payload's time stands in only when the API gives
    none); and everything else, including which
    of created/canceled the delivery amounts to. An `invitee.created` whose invitee the API
    reports canceled (a late or replayed delivery) is acted on as a cancel: putting a canceled
    meeting on the calendar would be wrong, and since its `created_at` is older than the real
    cancel's, the calendar's newer record still wins any conflict. Symmetrically a forged or
    stale `invitee.canceled` for an invitee the API reports active is acted on as a create and
    removes nothing. A no-show delivery becomes "marked" or "unmarked" from the invitee's
    `no_show` as the API has it now.
    """
    if booking.kind not in _INVITEE_KINDS or not booking.event_uri:
        return booking
    with open_client(settings, clock=clock) as api:
        invitee = None
        if booking.invitee_uri:
            invitee = _fetch(api.get_invitee, booking.invitee_uri, "invitee")
        event = _fetch(api.get_scheduled_event, booking.event_uri, "scheduled event")
    redact.protect_invitee(invitee)
    if invitee is not None and _norm(invitee.get("event")) != _norm(event.get("uri")):
        raise VerificationError(
            f"the invitee {booking.invitee_uri} belongs to another scheduled event than "
            f"{booking.event_uri} in the Calendly API; refusing the payload"
        )
    kind = effective_kind(booking.kind, invitee, event)
    verified = booking_from_api(
        kind, api_time(invitee, event) or booking.created_at, event, invitee
    )
    return replace(verified, event_name=booking.event_name)


def api_time(invitee: JSON | None, event: JSON) -> datetime | None:
    """The newest `updated_at` the Calendly API reports for the invitee and its event."""
    times = [opt_time(event, "updated_at", "scheduled_event.updated_at")]
    if invitee is not None:
        times.append(opt_time(invitee, "updated_at", "invitee.updated_at"))
    return max((t for t in times if t is not None), default=None)


def effective_kind(delivered: Kind, invitee: JSON | None, event: JSON) -> Kind:
    """What the delivery amounts to, given the API's invitee (or, lacking one, its event)."""
    if delivered in (Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED):
        if invitee is None:
            return delivered
        marked = isinstance(invitee.get("no_show"), dict)
        return Kind.NO_SHOW_CREATED if marked else Kind.NO_SHOW_DELETED
    status = (invitee if invitee is not None else event).get("status")
    return Kind.CANCELED if status == "canceled" else Kind.CREATED


def _fetch(get: Callable[[str], JSON], uri: str, what: str) -> JSON:
    try:
        return get(uri)
    except NotFound:
        raise VerificationError(
            f"the Calendly API has no {what} {uri} (or CALENDLY_TOKEN belongs to another "
            "organization): Calendly does not know this booking; refusing the payload"
        ) from None


def _norm(uri: Any) -> str:
    return uri.rstrip("/") if isinstance(uri, str) else ""
