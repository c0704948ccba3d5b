"""parse_booking(): tolerant of what Calendly really sends, precise about what it refuses."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from builders import T0, iso, sample, webhook
from calsync.core.booking import Kind
from calsync.core.errors import InputError
from calsync.core.parse import booking_from_api, parse_booking


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


# -- booking_from_api: Calendly API resources become the same Booking a webhook gives ------


def api_resources(body):
    """(event, invitee) as the Calendly API returns them for a webhook body's booking."""
    invitee = copy.deepcopy(body["payload"])
    return invitee.pop("scheduled_event"), invitee


@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("invitee.created", {}),
        ("invitee.created", {"limit": 5, "active": 3}),
        ("invitee.created", {"old_invitee": "EV0/invitees/OLD", "rescheduled": False}),
        ("invitee.canceled", {"rescheduled": True, "new_invitee": "EV2/invitees/NEW"}),
        ("invitee.canceled", {"limit": 4, "active": 2}),
        ("invitee_no_show.created", {"no_show": True}),
        ("invitee_no_show.deleted", {}),
        ("invitee.created", {"location": {"type": "physical", "location": "Room 1"}}),
        ("invitee.created", {"hosts": ("a@x.example", "b@x.example")}),
    ],
)
def test_booking_from_api_matches_the_webhook(kind, kwargs):
    body = webhook(kind, **kwargs)
    from_hook = parse_booking(body)
    event, invitee = api_resources(body)
    assert booking_from_api(from_hook.kind, from_hook.created_at, event, invitee) == from_hook


@pytest.mark.parametrize(
    ("kind", "invitee_changes", "expect"),
    [
        (Kind.CREATED, {}, T0 - timedelta(seconds=1)),  # the invitee's updated_at
        (Kind.CREATED, {"updated_at": None}, T0 - timedelta(seconds=1)),  # then its created_at
        (Kind.CREATED, {"updated_at": iso(T0 + timedelta(hours=1))}, T0 + timedelta(hours=1)),
        (Kind.CREATED, {"updated_at": None, "created_at": None}, None),
        (Kind.CANCELED, {"cancellation": {"created_at": iso(T0)}}, T0),  # when it was canceled
        (Kind.CANCELED, {"cancellation": {}}, T0 - timedelta(seconds=1)),
        (Kind.CANCELED, {"cancellation": "x"}, T0 - timedelta(seconds=1)),
        (Kind.CREATED, {"cancellation": {"created_at": iso(T0)}}, T0 - timedelta(seconds=1)),
    ],
)
def test_booking_from_api_orders_by_the_invitees_own_times(kind, invitee_changes, expect):
    event, invitee = api_resources(webhook(kind.value))
    invitee.pop("cancellation", None)
    invitee.update(invitee_changes)
    assert booking_from_api(kind, None, event, invitee).created_at == expect


def test_booking_from_api_given_time_wins():
    event, invitee = api_resources(webhook("invitee.canceled"))
    at = T0 + timedelta(days=1)
    assert booking_from_api(Kind.CANCELED, at, event, invitee).created_at == at


def test_booking_from_api_without_invitee():
    event, _ = api_resources(webhook(limit=5, active=2))
    booking = booking_from_api(Kind.CREATED, None, event, None)
    assert booking.created_at is None
    assert (booking.invitee_uri, booking.invitee_name, booking.answers) == ("", "", ())
    assert (booking.old_invitee, booking.new_invitee, booking.rescheduled) == ("", "", False)
    assert booking.no_show is False
    assert booking.event_uri == event["uri"]
    assert booking.scheduled_event is not None
    assert booking.scheduled_event.active_invitees == 2
    assert booking.event_name == "invitee.created"


@pytest.mark.parametrize(
    ("kind", "no_show", "expect"),
    [
        (Kind.NO_SHOW_CREATED, None, True),
        (Kind.NO_SHOW_DELETED, {"uri": "x"}, False),  # the delivery's kind decides
        (Kind.CREATED, {"uri": "x"}, True),
        (Kind.CREATED, None, False),
        (Kind.CREATED, "yes", False),
    ],
)
def test_booking_from_api_no_show(kind, no_show, expect):
    event, invitee = api_resources(webhook())
    invitee["no_show"] = no_show
    assert booking_from_api(kind, T0, event, invitee).no_show is expect


@pytest.mark.parametrize(
    ("where", "key", "value", "message"),
    [
        ("event", "start_time", "soon", "scheduled_event.start_time: "),
        ("event", "uri", 5, "scheduled_event.uri: "),
        ("invitee", "uri", 5, "invitee.uri: "),
        ("invitee", "name", 5, "invitee.name: "),
        ("invitee", "rescheduled", "yes", "invitee.rescheduled: "),
        ("invitee", "old_invitee", 5, "invitee.old_invitee: "),
        ("invitee", "new_invitee", 5, "invitee.new_invitee: "),
        ("invitee", "questions_and_answers", "x", "invitee.questions_and_answers: "),
        ("invitee", "updated_at", "late", "invitee.updated_at: "),
    ],
)
def test_booking_from_api_names_the_bad_field(where, key, value, message):
    event, invitee = api_resources(webhook())
    (event if where == "event" else invitee)[key] = value
    with pytest.raises(InputError) as info:
        booking_from_api(Kind.CREATED, None, event, invitee)
    assert str(info.value).startswith(message)


def test_booking_from_api_event_must_be_an_object():
    with pytest.raises(InputError, match=r"^scheduled_event: expected an object, got "):
        booking_from_api(Kind.CREATED, None, "x", None)
