"""`sync` with CALENDLY_TOKEN set: the payload is re-fetched from the Calendly API before use.

Real HTTP both ways: FakeCalendly for the API, FakeGoogle for the calendars.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from builders import SENTINEL_ANSWER, SENTINEL_EMAIL, SENTINEL_NAME, T0, iso, webhook
from conftest import GLOBAL, SECRET_TOKEN
from fakes.calendly_server import FakeCalendly

REFUSED = "Calendly does not know this booking; refusing the payload"


@pytest.fixture
def calendly() -> Iterator[FakeCalendly]:
    with FakeCalendly(token=SECRET_TOKEN) as fake:
        yield fake


@pytest.fixture
def verified(sync, calendly):
    """sync(body, *flags) with CALENDLY_TOKEN and CALENDLY_API_URL pointing at the fake."""
    env = {"CALENDLY_TOKEN": SECRET_TOKEN, "CALENDLY_API_URL": calendly.base_url}

    def run(body: dict[str, Any], *flags: str):
        result = sync(body, *flags, env=env)
        for secret in (SECRET_TOKEN, SENTINEL_EMAIL, SENTINEL_NAME, SENTINEL_ANSWER):
            assert secret not in result.out + result.err
        return result

    return run


def publish(calendly: FakeCalendly, body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the Calendly API know the booking of a webhook body: (event, invitee) as stored."""
    invitee = copy.deepcopy(body["payload"])
    event = invitee.pop("scheduled_event")
    calendly.add_scheduled_event(event)
    calendly.add_invitee(invitee)
    return event, invitee


def booking(calendly: FakeCalendly, kind: str = "invitee.created", **kw: Any) -> dict[str, Any]:
    return webhook(kind, api=calendly.base_url, **kw)


def test_known_booking_is_verified_and_synced(verified, calendly, fake_google):
    """The API confirms the booking: it is synced and the report says verified."""
    body = booking(calendly)
    publish(calendly, body)
    result = verified(body)
    assert (result.code, result.err) == (0, "")
    assert result.report["action"] == "created"
    assert result.report["verified"] is True
    assert result.report["webhook_event"] == "invitee.created"
    assert len(fake_google.live_events(GLOBAL)) == 1
    event_uri = body["payload"]["scheduled_event"]["uri"]
    assert calendly.requests == [
        ("GET", body["payload"]["uri"].removeprefix(calendly.base_url)),
        ("GET", event_uri.removeprefix(calendly.base_url)),
    ]


def test_forged_payload_is_refused_and_nothing_written(verified, calendly, fake_google):
    """A booking the API does not know: exit 2, one line, not a single Google request."""
    body = booking(calendly, event="FORGED00000001", invitee="FORGEDINV00001")
    result = verified(body)
    assert result.code == 2
    assert result.err == (
        f"error: the Calendly API has no invitee {body['payload']['uri']} (or CALENDLY_TOKEN "
        f"belongs to another organization): {REFUSED}\n"
    )
    assert result.report["action"] == "error"
    assert fake_google.requests == []


def test_unknown_event_is_refused(verified, calendly, fake_google):
    """A payload naming no invitee, only a scheduled event the API does not know."""
    body = booking(calendly)
    event = body["payload"]["scheduled_event"]
    del body["payload"]["uri"]
    result = verified(body)
    assert result.code == 2
    assert result.err.endswith(
        f"no scheduled event {event['uri']} (or CALENDLY_TOKEN belongs "
        f"to another organization): {REFUSED}\n"
    )
    assert fake_google.requests == []


def test_payload_on_another_host_is_refused_without_asking_it(verified, calendly, fake_google):
    """URIs on another host: refused before any request, to that host or any other."""
    with FakeCalendly(token=SECRET_TOKEN) as other:
        body = webhook(api=other.base_url)
        publish(other, body)  # valid over there: it must not matter
        result = verified(body)
    assert result.code == 2
    assert result.err == (
        f"error: Calendly invitee URI host '{other.base_url.removeprefix('http://')}' is not the "
        f"configured Calendly API '{calendly.base_url.removeprefix('http://')}'; refusing to "
        "fetch it\n"
    )
    assert other.requests == []
    assert calendly.requests == []
    assert fake_google.requests == []


def test_payload_mixing_two_meetings_is_refused(verified, calendly, fake_google):
    """The invitee of one meeting with the details of another: refused, nothing written."""
    first, second = (
        booking(calendly, event="EVFIRST0000001"),
        booking(calendly, event="EVSECOND000001"),
    )
    publish(calendly, first)
    publish(calendly, second)
    mixed = copy.deepcopy(first)
    mixed["payload"]["scheduled_event"] = second["payload"]["scheduled_event"]
    result = verified(mixed)
    assert result.code == 2
    assert "belongs to another" in result.err
    assert fake_google.requests == []


def test_api_invitee_of_another_meeting_is_refused(verified, calendly, fake_google):
    """Belt and braces: the API's own invitee must name the event the payload names."""
    first, second = (
        booking(calendly, event="EVFIRST0000001"),
        booking(calendly, event="EVSECOND000001"),
    )
    _, invitee = publish(calendly, first)
    publish(calendly, second)
    calendly.add_invitee({**invitee, "event": second["payload"]["scheduled_event"]["uri"]})
    result = verified(first)
    assert result.code == 2
    assert result.err == (
        f"error: the invitee {first['payload']['uri']} belongs to another scheduled event than "
        f"{first['payload']['scheduled_event']['uri']} in the Calendly API; refusing the payload\n"
    )
    assert fake_google.requests == []


def test_payload_without_scheduled_event_is_completed(verified, calendly, fake_google):
    """An old payload with no scheduled_event: the meeting comes from the API."""
    body = booking(calendly)
    publish(calendly, body)
    del body["payload"]["scheduled_event"]
    result = verified(body)
    assert (result.code, result.report["action"], result.report["verified"]) == (0, "created", True)
    [event] = fake_google.live_events(GLOBAL)
    assert event["summary"] == "Global Support Call"
    assert event["start"]["dateTime"] == iso(T0 + timedelta(days=3)).replace(".000000", "")


def test_tampered_details_are_replaced_by_the_api(verified, calendly, fake_google):
    """Time, name and location come from the API, not from the payload."""
    body = booking(calendly)
    publish(calendly, body)
    tampered = copy.deepcopy(body)
    meeting = tampered["payload"]["scheduled_event"]
    meeting.update(
        name="Global Support Call (free gift)",
        start_time=iso(T0 + timedelta(days=9)),
        end_time=iso(T0 + timedelta(days=9, minutes=30)),
        location={"type": "custom", "location": "https://phish.example/"},
    )
    result = verified(tampered)
    assert result.report["action"] == "created"
    [event] = fake_google.live_events(GLOBAL)
    assert event["summary"] == "Global Support Call"
    assert event["start"]["dateTime"] == "2026-12-04T15:00:00Z"
    assert event["location"] == "https://example.zoom.us/j/99"


def test_stale_create_of_a_canceled_invitee_acts_as_cancel(verified, calendly, fake_google):
    """invitee.created replayed after the invitee canceled: the API's cancel wins."""
    body = booking(calendly)
    event, invitee = publish(calendly, body)
    assert verified(body).report["action"] == "created"
    later = iso(T0 + timedelta(hours=1))
    calendly.add_scheduled_event(
        {
            **event,
            "status": "canceled",
            "updated_at": later,
            "invitees_counter": {"total": 1, "active": 0, "limit": 1},
        }
    )
    calendly.add_invitee({**invitee, "status": "canceled", "updated_at": later})
    replay = verified(body)
    assert (replay.code, replay.report["action"]) == (0, "deleted")
    assert replay.report["webhook_event"] == "invitee.created"  # as delivered
    assert fake_google.live_events(GLOBAL) == []


def test_cancel_of_an_active_invitee_removes_nothing(verified, calendly, fake_google):
    """A forged or stale invitee.canceled: the API says active, the meeting stays."""
    body = booking(calendly)
    publish(calendly, body)
    assert verified(body).report["action"] == "created"
    result = verified(booking(calendly, "invitee.canceled"))
    assert (result.code, result.report["action"]) == (0, "unchanged")
    assert len(fake_google.live_events(GLOBAL)) == 1


def test_no_verify_trusts_the_payload(verified, calendly, fake_google):
    """--no-verify: no Calendly request, the report says verified: false."""
    result = verified(booking(calendly), "--no-verify")
    assert (result.report["action"], result.report["verified"]) == ("created", False)
    assert calendly.requests == []


def test_rejected_token_is_exit_2_and_nothing_written(sync, calendly, fake_google):
    body = booking(calendly)
    publish(calendly, body)
    env = {"CALENDLY_TOKEN": "not-the-token-123", "CALENDLY_API_URL": calendly.base_url}
    result = sync(body, env=env)
    assert result.code == 2
    assert result.err.startswith("error: Calendly API 401 Unauthenticated")
    assert result.err.endswith("; check CALENDLY_TOKEN\n")
    assert fake_google.requests == []


def test_calendly_outage_is_transient_exit_1(verified, calendly, fake_google):
    """5xx from Calendly during verification: exit 1 (rerun), nothing written."""
    body = booking(calendly)
    publish(calendly, body)
    calendly.fail(status=502, times=10)
    result = verified(body)
    assert result.code == 1
    assert result.err.startswith("error: Calendly API unreachable after 5 tries: HTTP 502")
    assert fake_google.requests == []


def test_emptied_group_meeting_comes_back_when_verified(verified, calendly, fake_google):
    """Google keeps only the id of a deleted event and offers no undelete: a group meeting that
    emptied (deleted) and is active again per the API comes back under the next generation's
    id; a replay then changes nothing."""
    from calsync.core.decide import event_id_for

    first = booking(calendly, invitee="INVA", limit=5, active=1)
    leave = booking(
        calendly,
        "invitee.canceled",
        invitee="INVA",
        limit=5,
        active=0,
        at=T0 + timedelta(minutes=1),
    )
    join = booking(calendly, invitee="INVB", limit=5, active=1, at=T0 + timedelta(minutes=2))
    publish(calendly, first)
    assert verified(first).report["action"] == "created"
    publish(calendly, leave)
    assert verified(leave).report["action"] == "deleted"
    assert fake_google.live_events(GLOBAL) == []
    publish(calendly, join)
    restored = verified(join)
    assert (restored.code, restored.report["action"]) == (0, "created"), restored.err
    uri = join["payload"]["event"]
    [event] = fake_google.live_events(GLOBAL)
    assert event["id"] == event_id_for(uri, 1) == restored.report["event_id"]
    assert verified(join).report["action"] == "unchanged"
    assert verified(leave).report["action"] == "unchanged"  # API: the meeting is active
    assert len(fake_google.live_events(GLOBAL)) == 1
