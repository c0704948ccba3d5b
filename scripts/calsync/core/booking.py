"""The booking model: one delivery (or one Calendly API read) reduced to what the sync needs.

Built by calsync.core.parse from a webhook body (`parse_booking`) or from Calendly API
resources (`booking_from_api`). Personal data (invitee name, answers) is carried but never
shown in errors or reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Kind(Enum):
    """The webhook events we know; anything else is OTHER (skipped, never an error)."""

    CREATED = "invitee.created"
    CANCELED = "invitee.canceled"
    NO_SHOW_CREATED = "invitee_no_show.created"
    NO_SHOW_DELETED = "invitee_no_show.deleted"
    ROUTING_FORM = "routing_form_submission.created"
    OTHER = "other"


@dataclass(frozen=True)
class Host:
    user_uri: str
    email: str
    name: str


@dataclass(frozen=True)
class Location:
    type: str
    location: str  # address, phone number or free text; may be personal data (outbound_call)
    join_url: str


@dataclass(frozen=True)
class ScheduledEvent:
    uri: str
    name: str
    status: str  # active | canceled
    start: datetime  # aware, UTC
    end: datetime
    event_type: str
    location: Location | None
    hosts: tuple[Host, ...]
    active_invitees: int | None  # invitees_counter.active at delivery time
    invitee_limit: int | None  # invitees_counter.limit: > 1 means a group event

    @property
    def is_group(self) -> bool:
        return (self.invitee_limit or 1) > 1


@dataclass(frozen=True)
class Booking:
    """One webhook delivery, reduced to what the sync needs."""

    kind: Kind
    event_name: str  # the webhook's "event" string as received ("" if absent)
    created_at: datetime | None  # when Calendly says this happened; orders deliveries
    invitee_uri: str
    event_uri: str  # scheduled event URI ("" if the payload cannot tell)
    scheduled_event: ScheduledEvent | None  # absent in older payloads
    rescheduled: bool
    old_invitee: str
    new_invitee: str
    no_show: bool  # the invitee is marked as a no-show (after this delivery)
    invitee_name: str  # personal data: rendered only if the team map asks
    answers: tuple[tuple[str, str], ...]  # personal data: rendered only if the team map asks
    inferred: str = ""  # why the event kind was guessed (no top-level "event"), or ""
