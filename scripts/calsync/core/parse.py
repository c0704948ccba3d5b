"""Parse a Calendly webhook body, or Calendly API resources, into a typed, frozen Booking.

Tolerant by design: unknown fields and unknown event names never fail; a field is only
required when the decision needs it, and then the error names it by its dotted path.
Personal data (invitee name, answers) is carried but never shown in errors.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from calsync.core.booking import Booking, Host, Kind, Location, ScheduledEvent
from calsync.core.errors import InputError
from calsync.core.fields import (
    WORD,
    objects,
    opt_bool,
    opt_int,
    opt_link,
    opt_str,
    opt_text,
    opt_time,
    opt_uri,
    req_time,
    req_uri,
    type_name,
)

_INVITEE_URI = re.compile(r"^(?P<event>.+/scheduled_events/[^/]+)/invitees/[^/]+$")


def parse_booking(body: Any) -> Booking:
    """Build a Booking from a decoded webhook body, or raise InputError naming the bad field."""
    if not isinstance(body, dict):
        raise InputError(f"payload: expected a JSON object, got {type_name(body)}")
    inner = body.get("payload")
    if isinstance(inner, dict) and isinstance(inner.get("event"), dict) and "invitee" in inner:
        raise InputError(
            "payload: this is a retired Calendly API v1 webhook body (no 'payload' object); "
            "replay the v2 delivery or fetch the booking with CALENDLY_TOKEN set"
        )
    if "payload" not in body and _looks_like_invitee(body):
        body = {"payload": body}  # the inner payload pasted alone; its kind is inferred below
        pasted_inner = True
    else:
        pasted_inner = False
    event_name = opt_str(body, "event", "event")
    try:
        kind = Kind(event_name)
    except ValueError:
        kind = Kind.OTHER
    created_at = opt_time(body, "created_at", "created_at")
    payload = body.get("payload")
    if kind in (Kind.OTHER, Kind.ROUTING_FORM) and not isinstance(payload, dict):
        payload = {}
    if payload is None:
        raise InputError("payload: missing; a Calendly webhook has the invitee under 'payload'")
    if not isinstance(payload, dict):
        raise InputError(f"payload: expected an object, got {type_name(payload)}")
    inferred = ""
    if kind is Kind.OTHER and not event_name and ("scheduled_event" in payload or pasted_inner):
        # some integrations drop the top-level "event", and operators paste only the inner
        # object: infer the kind from the invitee's status, and say so in the report
        kind, inferred = _infer(payload, pasted_inner)
    if kind in (Kind.OTHER, Kind.ROUTING_FORM):
        return _bare(kind, event_name, created_at)
    booking = _invitee_booking(kind, event_name, created_at, payload)
    return replace(booking, inferred=inferred) if inferred else booking


_WHOLE_BODY = 'paste the whole webhook body ({"event": ..., "payload": {...}})'


def _looks_like_invitee(body: dict[str, Any]) -> bool:
    """An Invitee (or InviteeNoShow) resource without the webhook wrapper around it."""
    uri, event = body.get("uri"), body.get("event")
    return (
        "scheduled_event" in body
        or (isinstance(uri, str) and "/invitee" in uri)
        or (isinstance(event, str) and "/scheduled_events/" in event)
    )


def _infer(payload: dict[str, Any], pasted_inner: bool) -> tuple[Kind, str]:
    what = (
        "the JSON is the inner 'payload' object without its webhook wrapper"
        if pasted_inner
        else "the webhook body has no top-level 'event'"
    )
    status = payload.get("status")
    if status in ("active", "canceled"):
        kind = Kind.CANCELED if status == "canceled" else Kind.CREATED
        return kind, f"{what}; took it as {kind.value} from the invitee status {status!r}"
    if pasted_inner:
        raise InputError(f"payload: {what} and no invitee status to infer it from; {_WHOLE_BODY}")
    # the older rule for a wrapped body: created unless it says canceled
    return Kind.CREATED, f"{what} and no invitee status; took it as {Kind.CREATED.value}"


def _invitee_booking(
    kind: Kind, event_name: str, created_at: datetime | None, payload: dict[str, Any]
) -> Booking:
    p = "payload"
    if kind in (Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED) and isinstance(
        payload.get("invitee"), str
    ):
        # the bare InviteeNoShow resource {uri, invitee, created_at}
        invitee_uri = req_uri(payload, "invitee", f"{p}.invitee")
        created_at = created_at or opt_time(payload, "created_at", f"{p}.created_at")
        payload = {"uri": invitee_uri}
    invitee_uri = opt_uri(payload, "uri", f"{p}.uri")
    se_raw = payload.get("scheduled_event")
    scheduled = None
    if se_raw is not None:
        scheduled = _scheduled_event(se_raw, f"{p}.scheduled_event")
    event_uri = scheduled.uri if scheduled else opt_uri(payload, "event", f"{p}.event")
    if not event_uri and invitee_uri:
        match = _INVITEE_URI.match(invitee_uri)
        event_uri = match.group("event") if match else ""
    if not event_uri:
        raise InputError(f"{p}.scheduled_event: missing; the payload does not say which meeting")
    _check_same_meeting(payload, invitee_uri, event_uri, p)
    no_show = _no_show(kind, payload)
    if created_at is None:
        created_at = _fallback_time(payload, kind, p)
    return Booking(
        kind=kind,
        event_name=event_name,
        created_at=created_at,
        invitee_uri=invitee_uri,
        event_uri=event_uri,
        scheduled_event=scheduled,
        no_show=no_show,
        **_invitee_fields(payload, p),
    )


def _check_same_meeting(payload: dict[str, Any], invitee_uri: str, event_uri: str, p: str) -> None:
    """The invitee, `event` and `scheduled_event` URIs must all name one meeting."""
    if invitee_uri:
        match = _INVITEE_URI.match(invitee_uri)
        if match is None:
            raise InputError(f"{p}.uri: not a Calendly invitee URI (.../invitees/ID)")
        if match.group("event") != event_uri:
            raise InputError(
                f"{p}.uri: the invitee belongs to another meeting than {p}.scheduled_event"
            )
    if opt_uri(payload, "event", f"{p}.event") not in ("", event_uri):
        raise InputError(f"{p}.event: names another meeting than {p}.scheduled_event.uri")


def _bare(kind: Kind, event_name: str, created_at: datetime | None) -> Booking:
    return Booking(
        kind=kind,
        event_name=event_name,
        created_at=created_at,
        invitee_uri="",
        event_uri="",
        scheduled_event=None,
        rescheduled=False,
        old_invitee="",
        new_invitee="",
        no_show=False,
        invitee_name="",
        answers=(),
    )


def _fallback_time(payload: dict[str, Any], kind: Kind, p: str) -> datetime | None:
    if kind is Kind.CANCELED and isinstance(payload.get("cancellation"), dict):
        t = opt_time(payload["cancellation"], "created_at", f"{p}.cancellation.created_at")
        if t:
            return t
    return opt_time(payload, "updated_at", f"{p}.updated_at") or opt_time(
        payload, "created_at", f"{p}.created_at"
    )


def _scheduled_event(raw: Any, p: str) -> ScheduledEvent:
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected an object, got {type_name(raw)}")
    uri = req_uri(raw, "uri", f"{p}.uri")
    start = req_time(raw, "start_time", f"{p}.start_time")
    end = req_time(raw, "end_time", f"{p}.end_time")
    if end <= start:
        raise InputError(f"{p}.end_time: must be after start_time")
    if (end - start).days > 31:
        raise InputError(f"{p}.end_time: meeting longer than 31 days")
    status = opt_str(raw, "status", f"{p}.status") or "active"
    if status not in ("active", "canceled"):
        shown = repr(status) if WORD.fullmatch(status) else "something else"
        raise InputError(f"{p}.status: expected 'active' or 'canceled', got {shown}")
    counter = raw.get("invitees_counter")
    active = limit = None
    if counter is not None:
        if not isinstance(counter, dict):
            raise InputError(f"{p}.invitees_counter: expected an object")
        active = opt_int(counter, "active", f"{p}.invitees_counter.active")
        limit = opt_int(counter, "limit", f"{p}.invitees_counter.limit")
    return ScheduledEvent(
        uri=uri,
        name=opt_str(raw, "name", f"{p}.name") or "Calendly meeting",
        status=status,
        start=start,
        end=end,
        event_type=opt_uri(raw, "event_type", f"{p}.event_type"),
        location=_location(raw.get("location"), f"{p}.location"),
        hosts=_hosts(raw.get("event_memberships"), f"{p}.event_memberships"),
        active_invitees=active,
        invitee_limit=limit,
    )


def _location(raw: Any, p: str) -> Location | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError(f"{p}: expected an object, got {type_name(raw)}")
    return Location(
        type=opt_str(raw, "type", f"{p}.type"),
        location=opt_str(raw, "location", f"{p}.location"),
        join_url=opt_link(raw, "join_url", f"{p}.join_url"),
    )


def _hosts(raw: Any, p: str) -> tuple[Host, ...]:
    return tuple(
        Host(
            user_uri=opt_str(item, "user", f"{at}.user"),
            email=opt_str(item, "user_email", f"{at}.user_email").lower(),
            name=opt_str(item, "user_name", f"{at}.user_name"),
        )
        for item, at in objects(raw, p)
    )


def _answers(raw: Any, p: str) -> tuple[tuple[str, str], ...]:
    return tuple(
        (opt_text(item, "question", f"{at}.question"), opt_text(item, "answer", f"{at}.answer"))
        for item, at in objects(raw, p)
    )


def booking_from_api(
    kind: Kind, created_at: datetime | None, event: dict[str, Any], invitee: dict[str, Any] | None
) -> Booking:
    """A Booking straight from the Calendly API's scheduled event (and invitee) resources.

    `created_at` orders it among deliveries; without one, the invitee's own times stand in.
    """
    scheduled = _scheduled_event(event, "scheduled_event")
    inv, p = invitee or {}, "invitee"
    if created_at is None and inv:
        created_at = _fallback_time(inv, kind, p)
    no_show = _no_show(kind, inv)
    return Booking(
        kind=kind,
        event_name=kind.value,
        created_at=created_at,
        invitee_uri=opt_uri(inv, "uri", f"{p}.uri"),
        event_uri=scheduled.uri,
        scheduled_event=scheduled,
        no_show=no_show,
        **_invitee_fields(inv, p),
    )


def _no_show(kind: Kind, invitee: dict[str, Any]) -> bool:
    """Whether the invitee is marked a no-show after this delivery (or per the API)."""
    if kind in (Kind.NO_SHOW_CREATED, Kind.NO_SHOW_DELETED):
        return kind is Kind.NO_SHOW_CREATED
    return isinstance(invitee.get("no_show"), dict)


def _invitee_fields(inv: dict[str, Any], p: str) -> dict[str, Any]:
    """The invitee resource's own fields a Booking keeps (webhook payload or API answer)."""
    return {
        "rescheduled": opt_bool(inv, "rescheduled", f"{p}.rescheduled"),
        "old_invitee": opt_uri(inv, "old_invitee", f"{p}.old_invitee"),
        "new_invitee": opt_uri(inv, "new_invitee", f"{p}.new_invitee"),
        "invitee_name": opt_str(inv, "name", f"{p}.name"),
        "answers": _answers(inv.get("questions_and_answers"), f"{p}.questions_and_answers"),
    }
