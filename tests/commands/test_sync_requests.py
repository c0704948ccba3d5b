"""Google requests per delivery, counted by the fake Google server (each run gets a fresh token).

A new booking is the token and one insert (the client-chosen id makes the insert its own
existence check); a replay, an update or a cancel costs at most three requests.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from builders import T0, webhook
from conftest import GLOBAL
from fakes.google_server import FakeGoogle

GROUP = {"event": "EVGROUP0000001", "name": "Support office hours", "limit": 5}


def later(minutes: int) -> dict[str, object]:
    return {"at": T0 + timedelta(minutes=minutes)}


def costs(fake_google: FakeGoogle, sync, body: dict, action: str) -> list[str]:
    """Run one delivery; return the kinds of Google requests it made."""
    fake_google.reset_log()
    result = sync(body)
    assert (result.code, result.report["action"]) == (0, action), result.err
    return fake_google.kinds()


def test_new_booking_is_a_token_and_one_insert(sync, fake_google):
    """The insert-first path: no read before the insert of a new booking."""
    assert costs(fake_google, sync, webhook(), "created") == ["token", "insert"]
    assert len(fake_google.live_events(GLOBAL)) == 1


def test_first_invitee_of_a_group_meeting_is_a_new_booking(sync, fake_google):
    assert costs(fake_google, sync, webhook(**GROUP, active=1), "created") == ["token", "insert"]


def test_replay_costs_at_most_three_and_writes_nothing(sync, fake_google):
    body = webhook()
    sync(body)
    kinds = costs(fake_google, sync, body, "unchanged")
    assert len(kinds) <= 3, kinds
    assert kinds[0] == "token"
    assert not {"patch", "update", "delete"} & set(kinds)


SECOND = {**GROUP, "invitee": "INV00000000002"}


@pytest.mark.parametrize(
    ("first", "update", "action"),
    [
        (webhook(**GROUP, active=1), webhook(**SECOND, active=2, **later(5)), "updated"),
        (
            webhook(**GROUP, active=1),
            webhook("invitee.canceled", **SECOND, active=1, **later(9)),
            "updated",
        ),
        (webhook(), webhook("invitee_no_show.created", no_show=True, **later(5)), "updated"),
        (webhook(), webhook("invitee.canceled", **later(10)), "deleted"),
    ],
    ids=["group-join", "group-leave", "no-show", "cancel"],
)
def test_update_or_cancel_costs_at_most_three(sync, fake_google, first, update, action):
    """A second invitee, one leaving, a no-show mark, a cancel: token, read, one write."""
    sync(first)
    kinds = costs(fake_google, sync, update, action)
    assert len(kinds) <= 3, kinds
    assert kinds[0] == "token"
    writes = [k for k in kinds if k in ("insert", "patch", "update", "delete")]
    assert writes == ["delete" if action == "deleted" else "patch"], kinds


def test_skipped_booking_makes_no_google_request(sync, fake_google):
    costs(fake_google, sync, webhook(name="Sales demo"), "skipped")
    assert fake_google.kinds() == []
