"""parse_booking(): tolerant of what Calendly really sends, precise about what it refuses."""

from __future__ import annotations

import copy

import pytest

from builders import sample, webhook
from calsync.core.booking import Kind
from calsync.core.errors import InputError
from calsync.core.parse import parse_booking


def test_sample_parses():
    booking = parse_booking(sample("invitee_created"))
    assert booking.kind is Kind.CREATED
    event = booking.scheduled_event
    assert event is not None
    assert event.name == "Global Support Call"
    assert event.start.tzinfo is not None
    assert [h.email for h in event.hosts] == ["support.engineer@example.com"]
    assert not event.is_group


def test_unknown_fields_are_ignored():
    body = webhook()
    body["payload"]["brand_new_field"] = {"x": [1, 2]}
    body["payload"]["scheduled_event"]["meeting_notes_html"] = "<b>x</b>"
    body["surprise"] = True
    assert parse_booking(body).kind is Kind.CREATED


@pytest.mark.parametrize(
    "location_type",
    [
        "physical",
        "outbound_call",
        "inbound_call",
        "google_conference",
        "zoom",
        "zoom_conference",
        "gotomeeting",
        "microsoft_teams_conference",
        "webex_conference",
        "custom",
        "ask_invitee",
    ],
)
def test_location_types(location_type):
    body = webhook(location={"type": location_type, "location": "somewhere"})
    assert parse_booking(body).scheduled_event.location.type == location_type


def test_null_location():
    body = webhook()
    body["payload"]["scheduled_event"]["location"] = None
    assert parse_booking(body).scheduled_event.location is None


def test_missing_top_level_event_is_inferred():
    body = webhook("invitee.canceled")
    del body["event"]
    assert parse_booking(body).kind is Kind.CANCELED


def test_v1_payload_is_refused_clearly():
    v1 = {
        "event": "invitee.created",
        "time": "2019-01-01T00:00:00Z",
        "payload": {"event_type": {"uuid": "X"}, "event": {"uuid": "Y"}, "invitee": {}},
    }
    with pytest.raises(InputError, match="retired Calendly API v1 webhook"):
        parse_booking(v1)


def test_no_show_resource_payload():
    """The bare InviteeNoShow shape {uri, invitee, created_at} is understood."""
    inv = "https://api.calendly.com/scheduled_events/EV1/invitees/INV1"
    body = {
        "event": "invitee_no_show.created",
        "created_at": "2026-12-01T10:00:00Z",
        "payload": {
            "uri": "https://api.calendly.com/invitee_no_shows/NS1",
            "invitee": inv,
            "created_at": "2026-12-01T10:00:00Z",
        },
    }
    booking = parse_booking(body)
    assert booking.no_show
    assert booking.event_uri == "https://api.calendly.com/scheduled_events/EV1"
    assert booking.scheduled_event is None


def _set(body, path, value):
    node = body
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = int(keys[-1]) if isinstance(node, list) else keys[-1]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("payload", [], "payload: expected an object, got a list"),
        ("created_at", 12, "created_at: expected a string, got a number"),
        ("created_at", "yesterday", "created_at: not an ISO 8601 timestamp"),
        ("created_at", "2026-01-01T10:00:00", "created_at: timestamp has no time zone"),
        ("payload.scheduled_event", "x", "payload.scheduled_event: expected an object"),
        ("payload.scheduled_event.uri", KeyError, "payload.scheduled_event.uri: missing"),
        ("payload.scheduled_event.start_time", "3026-01-01T00:00:00Z", "year 3026 is outside"),
        ("payload.scheduled_event.end_time", "2020-01-01T00:00:00Z", "end_time: must be after"),
        ("payload.scheduled_event.status", "weird", "status: expected 'active' or 'canceled'"),
        ("payload.scheduled_event.invitees_counter", [], "invitees_counter: expected an object"),
        ("payload.scheduled_event.invitees_counter.active", -1, "active: expected a whole number"),
        ("payload.scheduled_event.event_memberships", {}, "event_memberships: expected a list"),
        (
            "payload.scheduled_event.event_memberships.0",
            "x",
            "event_memberships.0: expected an object",
        ),
        ("payload.scheduled_event.uri", "https://evil.example/$HOME", "not an https URI"),
        ("payload.scheduled_event.uri", "javascript:alert(1)", "not an https URI"),
        ("payload.rescheduled", "yes", "payload.rescheduled: expected true or false"),
        ("payload.questions_and_answers", "x", "questions_and_answers: expected a list"),
        ("payload.name", "x" * 5000, "payload.name: longer than"),
    ],
)
def test_bad_fields_are_named(path, value, message):
    body = copy.deepcopy(webhook())
    _set(body, path, value)
    with pytest.raises(InputError) as info:
        parse_booking(body)
    assert message in str(info.value)
    assert "Sentinel" not in str(info.value)
